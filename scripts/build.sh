#!/usr/bin/env bash
# Builds from a clean clone with the top-level CMake, then the npm package in ts/.
#   build.sh          everything: C++ (addon, http-core native + .wasm, injector, tests, fuzz targets,
#                     benchmarks), the package and its API reference (ts/docs-api/, TypeDoc)
#   build.sh --image  only what the images hold (the Dockerfile's build stage): the addon, the .wasm,
#                     the injector and the package's dist/
set -euo pipefail
cd "$(dirname "$0")/.."
image=""
case "${1:-}" in
  "") ;;
  --image) image=1 ;;
  *) echo "build.sh: unknown argument $1 (--image)" >&2; exit 1 ;;
esac
export NODE_PATH=/usr/share/nodejs   # Debian's emcc imports acorn from there
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >&2
if [ -n "$image" ]; then
  cmake --build build -j"$(nproc)" --target capture_shim_addon http_core_wasm tcp-sniffer-injector >&2
  (cd ts && npm run --silent build >&2)
else
  cmake --build build -j"$(nproc)" >&2
  (cd ts && npm run --silent build >&2 && npm run --silent docs >&2)
fi
