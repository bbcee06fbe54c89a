#!/usr/bin/env bash
# Installs everything the build, the tests and the demo need, from Debian's packages and the npm
# registry only. Safe to run again: it installs only what is missing.
#   install-deps.sh           everything
#   install-deps.sh --build   only what scripts/build.sh needs (the Dockerfile's build stage)
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD_PACKAGES=(
  build-essential cmake pkg-config            # the C++ build
  libpcap-dev                                 # capture-shim
  emscripten node-llhttp                      # http-core: the compiler and llhttp's C sources
  libboost1.81-dev libboost-json1.81-dev libssl-dev   # injector
  libgtest-dev googletest                     # C++ tests
  curl ca-certificates                        # scripts/node-lts.sh
)
TEST_PACKAGES=(
  tshark tcpdump tcpflow wireshark-common     # reference decoder, capture files, tcpflow streams, editcap
  iproute2 iptables procps curl openssl       # end-to-end tests: namespaces, veth, loss; certificates
  chromium                                    # the decoder tested in a real browser
  python3 time                                # e2e: a second real HTTP server kind; bench: CPU seconds
  wrk                                         # injector benchmark
  ethtool                                     # bench/make-capture.sh with BENCH_MTU: loopback offloads off
  podman runc uidmap mmdebstrap              # images: build and run them, base images from Debian's archive
)
APT_PACKAGES=("${BUILD_PACKAGES[@]}")
[ "${1:-}" = --build ] || APT_PACKAGES+=("${TEST_PACKAGES[@]}")

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: apt-get install ${missing[*]}" >&2
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -q >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
fi

# Node >= 20 (the test tools need it). Debian 12's own nodejs is 18, end of life: where the machine's node
# is missing or older, install Node.js LTS from the npm registry (scripts/node-lts.sh) under /usr/local,
# which comes before /usr/bin in PATH. A machine's own newer Node (with its npm) is kept.
node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
if [ "$(node_major)" -lt 20 ] || ! command -v npm >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO ./scripts/node-lts.sh /usr/local/lib/tcp-sniffer-node
  for b in node npm npx; do $SUDO ln -sf "/usr/local/lib/tcp-sniffer-node/bin/$b" "/usr/local/bin/$b"; done
  hash -r
  if [ "$(node_major)" -lt 20 ]; then
    echo "install-deps: $(command -v node) is still $(node --version) (an older node comes first in PATH)" >&2
    exit 1
  fi
fi

if [ ! -d ts/node_modules ] || [ ts/package-lock.json -nt ts/node_modules/.package-lock.json ]; then
  (cd ts && npm ci --no-fund --no-audit >&2)
fi
