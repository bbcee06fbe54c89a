#!/usr/bin/env bash
# Proves the README's claim: its two commands work on a fresh Debian 12 machine. Runs them, as the
# README's first code block writes them, inside a clean Debian 12 container holding only a clean checkout
# of HEAD (git archive: no build, no node_modules, no Node.js).
#   scripts/fresh-check.sh [--demo-only]     (docker or podman; ENGINE=… to choose)
# The container runs as root, privileged (live capture, network namespaces, iptables, and the image
# tests' own podman), on the host's network; a fresh machine's root does not have sudo, so `sudo ` is
# dropped from the commands. The host's TLS-proxy CA (NODE_EXTRA_CA_CERTS), if any, is mounted read-only
# and named the same way, as that machine would be set up. Logs: build/fresh-check/.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

only_demo=""
[ "${1:-}" = --demo-only ] && only_demo=1

engine=${ENGINE:-}
if [ -z "$engine" ]; then
  if command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then engine=docker; else engine=podman; fi
fi
run_flags=(--privileged)
if [ "$engine" = podman ]; then
  export CONTAINERS_CONF=${CONTAINERS_CONF:-$root/scripts/containers.conf}
  run_flags+=(--network host)
fi
base=$(ENGINE=$engine ./scripts/base-image.sh full)

out=$root/build/fresh-check
rm -rf "$out"; mkdir -p "$out/storage"
git archive --format=tar -o "$out/checkout.tar" HEAD
commit=$(git rev-parse --short HEAD)

# The README's first shell block: the commands to check, in order.
mapfile -t commands < <(awk '/^```sh$/ {inside=1; next} inside && /^```$/ {exit} inside {print}' README.md \
  | sed -e 's/[[:space:]]*#.*$//' -e 's/^sudo //' | grep -v '^$')
[ ${#commands[@]} -ge 1 ] || { echo "fresh-check: no commands found in README.md's first sh block" >&2; exit 1; }
[ -n "$only_demo" ] && commands=("${commands[0]}")

ca_flags=()
if [ -n "${NODE_EXTRA_CA_CERTS:-}" ] && [ -r "$NODE_EXTRA_CA_CERTS" ]; then
  ca_flags=(-v "$NODE_EXTRA_CA_CERTS:/run/host-ca.pem:ro" -e NODE_EXTRA_CA_CERTS=/run/host-ca.pem)
fi

status=0
for cmd in "${commands[@]}"; do echo "fresh-check: will run: $cmd" >&2; done
script="set -e; mkdir /src && tar -xf /checkout.tar -C /src && cd /src"
for cmd in "${commands[@]}"; do
  script+="; echo '== $cmd'; start=\$(date +%s); $cmd; echo \"== ok in \$(( \$(date +%s) - start )) s: $cmd\""
done
start=$(date +%s)
# /var/lib/containers on a host directory: the suite's own podman cannot put overlay on overlay.
"$engine" run --rm --name "tsn-fresh-check-$$" "${run_flags[@]}" "${ca_flags[@]}" \
  -v "$out/checkout.tar:/checkout.tar:ro" -v "$out/storage:/var/lib/containers" \
  "$base" bash -c "$script" > "$out/run.log" 2>&1 || status=$?
echo "fresh-check: $base, commit $commit, $(( $(date +%s) - start )) s, exit $status (log: build/fresh-check/run.log)"
grep -E '^== |[0-9]+ passed, [0-9]+ failed' "$out/run.log" || true
rm -rf "$out/storage"
exit $status
