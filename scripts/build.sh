#!/usr/bin/env bash
# Builds everything from a clean clone: C++ (addon, http-core native + .wasm, injector, tests) with
# the top-level CMake, then the npm package in ts/ and its API reference (ts/docs-api/, TypeDoc).
set -euo pipefail
cd "$(dirname "$0")/.."
export NODE_PATH=/usr/share/nodejs   # Debian's emcc imports acorn from there
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >&2
cmake --build build -j"$(nproc)" >&2
(cd ts && npm run --silent build >&2 && npm run --silent docs >&2)
