#!/usr/bin/env bash
# Offline decoding speed, ours against tshark, in one run on the same capture file.
#   ours:   node ts/dist/cli.js --read F
#   tshark: tshark -r F -d tcp.port==P,http -Y http -T fields -e http.request.method -e http.request.uri
#           -e http.response.code
# Both write to a pipe into `wc -l` (the message count; wc's cost is negligible next to either). Prints
# seconds, MB/s of capture and messages/s for each, and the speed-up. Target: ours >= 5x tshark.
#
# Usage: bench/offline.sh [F (default bench/out/capture.pcap)]     (make F with bench/make-capture.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
f=${1:-bench/out/capture.pcap}
[ -f "$f" ] || { echo "offline: $f is missing; make it with bench/make-capture.sh" >&2; exit 1; }
[ -f ts/dist/cli.js ] || { echo "offline: ts/dist/cli.js is missing; run scripts/build.sh" >&2; exit 1; }
port=$(cat "$f.port" 2>/dev/null || echo 18080)
bytes=$(stat -c %s "$f")
mb=$(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1e6 }')

now() { date +%s.%N; }

# The page cache: both tools read the file warm.
cat "$f" > /dev/null

t0=$(now)
ours_msgs=$(node ts/dist/cli.js --read "$f" 2> /tmp/offline-ours.$$.log | wc -l)
t1=$(now)
tshark_msgs=$(tshark -r "$f" -d "tcp.port==$port,http" -Y http -T fields \
  -e http.request.method -e http.request.uri -e http.response.code 2> /tmp/offline-tshark.$$.log | wc -l)
t2=$(now)

grep -m3 '"level":"error"' /tmp/offline-ours.$$.log >&2 || true
rm -f /tmp/offline-ours.$$.log /tmp/offline-tshark.$$.log

awk -v mb="$mb" -v om="$ours_msgs" -v tm="$tshark_msgs" -v t0="$t0" -v t1="$t1" -v t2="$t2" -v f="$f" 'BEGIN {
  os = t1 - t0; ts = t2 - t1
  printf "capture: %s, %s MB\n", f, mb
  printf "%-8s %9s %9s %10s %12s\n", "tool", "seconds", "MB/s", "messages", "messages/s"
  printf "%-8s %9.2f %9.1f %10d %12.0f\n", "ours", os, mb / os, om, om / os
  printf "%-8s %9.2f %9.1f %10d %12.0f\n", "tshark", ts, mb / ts, tm, tm / ts
  printf "speed-up (tshark seconds / ours seconds): %.1fx (target >= 5x)\n", ts / os
}'
