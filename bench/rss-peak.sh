#!/usr/bin/env bash
# Where a running process's peak RSS sits: samples /proc/PID/smaps every 0.1 s until the process exits (or
# for --seconds N) and prints the sample with the largest total Rss, mapping by mapping (largest first), each
# with its virtual size so anonymous mappings can be told apart (V8's WebAssembly memory is a reservation of
# several GiB, glibc's thread arenas 64 MiB, the capture's batch buffers a few hundred KiB each, the capture
# ring a mapping of the packet socket). A diagnosis aid for bench/live-threads.sh --smaps; not a test.
#
# Usage: bench/rss-peak.sh [--seconds N] PID > FILE
set -uo pipefail
seconds=0
[ "${1:-}" = --seconds ] && { seconds=$2; shift 2; }
pid=${1:?give a pid}
best=$(mktemp) cur=$(mktemp)
trap 'rm -f "$best" "$cur"' EXIT
best_total=0
end=$(( $(date +%s) + seconds ))
while [ -r "/proc/$pid/smaps" ]; do
  # One line per mapping: Rss KiB, virtual KiB, name (anon when it has none).
  awk '/^[0-9a-f]+-[0-9a-f]+ / { name = $6 == "" ? "anon" : $6; for (i = 7; i <= NF; i++) name = name " " $i }
       /^Size:/ { v = $2 } /^Rss:/ { if ($2 > 0) print $2, v, name }' "/proc/$pid/smaps" 2> /dev/null > "$cur"
  total=$(awk '{ s += $1 } END { print s + 0 }' "$cur")
  if [ "$total" -gt "$best_total" ]; then best_total=$total; cp "$cur" "$best"; fi
  [ "$seconds" = 0 ] || [ "$(date +%s)" -lt "$end" ] || break
  sleep 0.1
done
echo "peak sample: $((best_total / 1024)) MiB Rss"
# Named mappings summed by name; anonymous ones summed by virtual size (the batch buffers are many of one size).
awk '$3 != "anon" { n[$3] += $1; next } { a[$2] += $1; c[$2]++ }
     END { for (k in n) printf "%8d KiB  %s\n", n[k], k
           for (k in a) printf "%8d KiB  anon: %d mapping%s of %d KiB virtual\n", a[k], c[k], (c[k] > 1 ? "s" : ""), k }' "$best" |
  sort -rn | head -30
