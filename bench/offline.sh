#!/usr/bin/env bash
# Offline decoding speed, ours against tshark, in one run on the same capture file.
#   ours:   node ts/dist/cli.js --read F > /dev/null     (messages counted from its stop statistics)
#   tshark: tshark -r F -d tcp.port==P,http -Y http -T fields -e http.request.method -e http.request.uri
#           -e http.response.code | wc -l               (a few bytes per message: the pipe costs nothing)
# Prints seconds, MB/s of capture and messages/s for each, CPU seconds, and the speed-up.
# Target: ours >= 5x tshark.
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
export LOADAVG; LOADAVG=$(cat /proc/loadavg)

# The page cache: both tools read the file warm.
cat "$f" > /dev/null

# CPU seconds (user + sys) of each decoder too: on a shared machine the wall clock also measures the
# neighbours. /usr/bin/time writes "user sys" of the decoder process alone.
t0=$(now)
/usr/bin/time -f '%U %S' -o /tmp/offline-ours.$$.cpu node ts/dist/cli.js --read "$f" \
  > /dev/null 2> /tmp/offline-ours.$$.log
t1=$(now)
tshark_msgs=$(/usr/bin/time -f '%U %S' -o /tmp/offline-tshark.$$.cpu tshark -r "$f" -d "tcp.port==$port,http" -Y http \
  -T fields -e http.request.method -e http.request.uri -e http.response.code 2> /tmp/offline-tshark.$$.log | wc -l)
t2=$(now)
# Ours again without bodies (--max-body-size 0): closer to the work of tshark's three printed fields.
/usr/bin/time -f '%U %S' -o /tmp/offline-nobody.$$.cpu node ts/dist/cli.js --read "$f" --max-body-size 0 \
  > /dev/null 2> /tmp/offline-nobody.$$.log
t3=$(now)
nobody_cpu=$(awk '{ print $1 + $2 }' /tmp/offline-nobody.$$.cpu)
nobody_msgs=$(grep -o '"stdout":{"delivered":[0-9]*' /tmp/offline-nobody.$$.log | grep -o '[0-9]*$' || echo 0)
ours_cpu=$(awk '{ print $1 + $2 }' /tmp/offline-ours.$$.cpu)
tshark_cpu=$(awk '{ print $1 + $2 }' /tmp/offline-tshark.$$.cpu)
decoded=$(grep -o '"pipeline":{"messages":[0-9]*' /tmp/offline-ours.$$.log | grep -o '[0-9]*$' || true)
dropped=$(grep -o '"stdout":{[^}]*"dropped":[0-9]*' /tmp/offline-ours.$$.log | grep -o '[0-9]*$' || true)
# Messages written to stdout, from the CLI's own stop statistics (stdout itself went to /dev/null).
ours_msgs=$(grep -o '"stdout":{"delivered":[0-9]*' /tmp/offline-ours.$$.log | grep -o '[0-9]*$' || echo 0)

grep -m3 '"level":"error"' /tmp/offline-ours.$$.log >&2 || true
if [ -n "$dropped" ] && [ "$dropped" != 0 ]; then
  echo "offline: WARNING: ours decoded ${decoded:-?} messages but its stdout output dropped $dropped of them" >&2
fi
rm -f /tmp/offline-ours.$$.* /tmp/offline-tshark.$$.* /tmp/offline-nobody.$$.*

awk -v mb="$mb" -v om="$ours_msgs" -v tm="$tshark_msgs" -v t0="$t0" -v t1="$t1" -v t2="$t2" -v f="$f" \
    -v oc="$ours_cpu" -v tc="$tshark_cpu" -v t3="$t3" -v nc="$nobody_cpu" -v nm="$nobody_msgs" 'BEGIN {
  ns = t3 - t2
  os = t1 - t0; ts = t2 - t1
  printf "capture: %s, %s MB; load average %s\n", f, mb, substr(ENVIRON["LOADAVG"], 1, 14)
  printf "%-8s %9s %9s %10s %12s %9s %12s\n", "tool", "seconds", "MB/s", "messages", "messages/s", "cpu s", "MB/cpu-s"
  printf "%-8s %9.2f %9.1f %10d %12.0f %9.2f %12.1f\n", "ours", os, mb / os, om, om / os, oc, mb / oc
  printf "%-8s %9.2f %9.1f %10d %12.0f %9.2f %12.1f\n", "tshark", ts, mb / ts, tm, tm / ts, tc, mb / tc
  printf "%-8s %9.2f %9.1f %10d %12.0f %9.2f %12.1f\n", "ours-nb", ns, mb / ns, nm, nm / ns, nc, mb / nc
  printf "speed-up, wall clock: %.1fx; CPU time: %.1fx (target >= 5x)\n", ts / os, tc / oc
  printf "speed-up without bodies (ours-nb: --max-body-size 0), wall clock: %.1fx; CPU time: %.1fx\n", ts / ns, tc / nc
}'
