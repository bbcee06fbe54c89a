#!/usr/bin/env bash
# Builds tcp-sniffer:<version> and tcp-sniffer-injector:<version> (the version in ts/package.json) with
# docker or podman, whichever runs here (ENGINE=docker|podman to choose). docs/deployment.md explains.
#   scripts/image.sh [--from-host | --from-source] [--push PREFIX]
#     --from-host    copy the host's build (scripts/build.sh) into runtime-only images; the default when
#                    that build exists
#     --from-source  build what the images hold inside the Dockerfile's build stage (build.sh --image)
#     --push PREFIX  also tag PREFIX/<name>:<version> and push it
# Prints each image's name and size. Where no image registry is reachable, the Debian base image is
# made from Debian's archive (mmdebstrap) once; a TLS proxy's CA (NODE_EXTRA_CA_CERTS) reaches the build
# steps as a build secret, never a layer.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

mode=""; push=""
while [ $# -gt 0 ]; do
  case "$1" in
    --from-host) mode=host ;;
    --from-source) mode=source ;;
    --push) push=${2:?--push needs a registry prefix}; shift ;;
    *) echo "image.sh: unknown argument $1 (--from-host, --from-source, --push PREFIX)" >&2; exit 1 ;;
  esac
  shift
done

version=$(node -p 'require("./ts/package.json").version')
[ -n "$version" ] || { echo "image.sh: no version in ts/package.json" >&2; exit 1; }

engine=${ENGINE:-}
if [ -z "$engine" ]; then
  if command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then engine=docker
  elif command -v podman >/dev/null 2>&1; then engine=podman
  else echo "image.sh: no container engine: neither a running docker nor podman" >&2; exit 1
  fi
fi
build_flags=()
if [ "$engine" = podman ]; then
  # The project's settings (runc, cgroupfs, ulimits within the machine's limits), not the machine's.
  export CONTAINERS_CONF=${CONTAINERS_CONF:-$root/scripts/containers.conf}
  build_flags+=(--network host --layers)
else
  export DOCKER_BUILDKIT=1
fi

if [ -z "$mode" ]; then
  if [ -f ts/dist/cli.js ] && [ -f ts/native/capture_shim.node ] && [ -f build/injector/tcp-sniffer-injector ]; then
    mode=host
  else
    mode=source
  fi
fi
mkdir -p build/image
if [ "$mode" = host ]; then
  ./scripts/stage-artifacts.sh build/image/out
fi

# The CA of a TLS proxy in front of the registries: a build secret (an empty one when there is none,
# so the Dockerfile's mounts always resolve).
secret=build/image/npm_ca.pem
if [ -n "${NODE_EXTRA_CA_CERTS:-}" ] && [ -r "$NODE_EXTRA_CA_CERTS" ]; then
  cp "$NODE_EXTRA_CA_CERTS" "$secret"
else
  : > "$secret"
fi

# Base images: Debian's from a registry when one answers, otherwise one made from Debian's archive.
base=$(ENGINE=$engine ./scripts/base-image.sh slim)
build_base=$(ENGINE=$engine ./scripts/base-image.sh full)

for target in sniffer injector; do
  name=tcp-sniffer; [ "$target" = injector ] && name=tcp-sniffer-injector
  start=$(date +%s)
  stage=$target; [ "$mode" = host ] && stage=$target-host
  "$engine" build "${build_flags[@]}" --target "$stage" \
    --build-arg "BASE_IMAGE=$base" --build-arg "BUILD_IMAGE=$build_base" \
    --secret "id=npm_ca,src=$root/$secret" \
    -t "$name:$version" . >&2
  size=$("$engine" image inspect --format '{{.Size}}' "$name:$version")
  echo "$name:$version $(( size / 1000000 )) MB, built in $(( $(date +%s) - start )) s ($engine, from $mode)"
  if [ -n "$push" ]; then
    "$engine" tag "$name:$version" "$push/$name:$version"
    "$engine" push "$push/$name:$version" >&2
  fi
done
