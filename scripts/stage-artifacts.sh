#!/usr/bin/env bash
# Puts what the images hold into OUT, from a finished scripts/build.sh (--image or not):
#   OUT/package/               the npm package as `npm pack` makes it (its prepack strips the addon),
#                              without its API reference
#   OUT/tcp-sniffer-injector   the injector, stripped
# Used by the Dockerfile's build stage and by scripts/image.sh for the host's build, so both paths put
# the same files in the images.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mkdir -p "${1:?usage: stage-artifacts.sh OUT}" && cd "$1" && pwd)
rm -rf "$out/package" "$out/tcp-sniffer-injector" "$out"/*.tgz
mkdir -p "$out/package"
tgz=$(cd ts && npm pack --json --pack-destination "$out" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s)[0].filename))')
tar -xzf "$out/$tgz" -C "$out/package" --strip-components=1
# The API reference is for the package's readers, not its runtime (build.sh --image does not build it):
# without it both paths stage the same files.
rm -rf "$out/$tgz" "$out/package/docs-api"
strip --strip-unneeded -o "$out/tcp-sniffer-injector" build/injector/tcp-sniffer-injector
