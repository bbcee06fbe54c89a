#!/usr/bin/env bash
# The CLI's memory before any traffic: peak (VmHWM) and current RSS once it is capturing on `lo`, and the
# largest mappings from /proc/PID/smaps. The start-up compile of the HTTP core and the ring are most of
# what bench/live.sh reports as peak RSS for a light load. Run as root.
#
# Usage: bench/idle-rss.sh [--runs N] BUILD... (NODE=/path/to/node to choose the runtime)
set -uo pipefail
runs=1
[ "${1:-}" = --runs ] && { runs=$2; shift 2; }
[ $# -ge 1 ] || { echo "idle-rss: give one or more build directories" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "idle-rss: run as root (live capture)" >&2; exit 1; }
node=${NODE:-node}
err=$(mktemp); trap 'rm -f "$err"' EXIT
echo "idle-rss: $("$node" --version), load average $(cut -d' ' -f1-3 /proc/loadavg)"
for run in $(seq 1 "$runs"); do
  for build in "$@"; do
    port=$((30000 + RANDOM % 20000))
    "$node" "$build/ts/dist/cli.js" --interface lo --ports "$port" > /dev/null 2> "$err" &
    pid=$!
    for _ in $(seq 1 150); do grep -q capturing "$err" && break; sleep 0.2; done
    sleep 1
    if ! grep -q capturing "$err"; then echo "idle-rss: $build did not start capturing" >&2; kill "$pid"; exit 1; fi
    hwm=$(awk '/^VmHWM/ { print int($2 / 1024) }' "/proc/$pid/status")
    rss=$(awk '/^VmRSS/ { print int($2 / 1024) }' "/proc/$pid/status")
    top=$(awk '/^[0-9a-f]+-/ { name = $6 == "" ? "anon" : $6 } /^Rss:/ { r[name] += $2 }
               END { for (n in r) if (r[n] >= 1024) printf "%d %s\n", r[n] / 1024, n }' "/proc/$pid/smaps" |
          sort -rn | head -4 | awk '{ printf "%s%s %s MiB", (NR > 1 ? ", " : ""), $2, $1 }')
    printf '%s  run %d  peak %d MiB  rss %d MiB  (%s)\n' "$build" "$run" "$hwm" "$rss" "$top"
    kill -INT "$pid"; wait "$pid" 2>/dev/null
  done
done
