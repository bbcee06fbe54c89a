#!/usr/bin/env bash
# Installs everything the build, the tests and the demo need, from Debian's packages and the npm
# registry only. Safe to run again: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  build-essential cmake pkg-config            # the C++ build
  libpcap-dev                                 # capture-shim
  emscripten node-llhttp                      # http-core: the compiler and llhttp's C sources
  libboost1.81-dev libboost-json1.81-dev libssl-dev   # injector
  libgtest-dev googletest                     # C++ tests
  tshark tcpdump tcpflow wireshark-common     # reference decoder, capture files, tcpflow streams, editcap
  iproute2 iptables procps curl openssl       # end-to-end tests: namespaces, veth, loss; certificates
  chromium                                    # the decoder tested in a real browser
  python3 time                                # e2e: a second real HTTP server kind; bench: CPU seconds
  wrk                                         # injector benchmark
)

missing=()
# Node and npm: this machine image may ship its own (whose nodejs conflicts with Debian's npm);
# install Debian's only where the commands are absent.
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: apt-get install ${missing[*]}" >&2
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -q >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
fi

if [ ! -d ts/node_modules ] || [ ts/package-lock.json -nt ts/node_modules/.package-lock.json ]; then
  (cd ts && npm ci --no-fund --no-audit >&2)
fi
