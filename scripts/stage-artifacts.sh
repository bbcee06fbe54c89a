#!/usr/bin/env bash
# Puts what the images hold into OUT, from a finished scripts/build.sh:
#   OUT/package/               the npm package as `npm pack` makes it (its prepack strips the addon)
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
rm "$out/$tgz"
strip --strip-unneeded -o "$out/tcp-sniffer-injector" build/injector/tcp-sniffer-injector
