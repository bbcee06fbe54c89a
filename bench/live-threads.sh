#!/usr/bin/env bash
# Where one build's CPU goes under a load of bench/live.sh (wrk, the default, or conns): the sniffer's CPU
# per completed exchange split by thread (the JS main thread and V8's helper threads are all named "node";
# the capture thread "tcp-sniffer-cap"), from /proc/PID/task/*/stat once it is capturing until the load ends (and 1 s after), with the context
# switches per exchange of each thread name (each one a wake-up taken from the load's two cores), its
# minor page faults (a first touch costs 15-17 us of CPU on this VM: bench/first-touch.mjs) and the same CPU
# from /proc/PID/task/*/schedstat (nanoseconds, where the ticks count 10 ms at a time); then the
# CPU from the stop to the exit (/usr/bin/time less the last reading: the drain and the exit, which
# bench/live.sh counts and this split does not). With --perf, also a perf profile
# of the same window (perf record -g; JS and wasm frames named through --perf-basic-prof). A benchmark
# that prints figures, for iterating on one build; bench/live.sh compares builds. Run as root.
#
# Usage: bench/live-threads.sh [--scenario wrk|conns] [--stdout file|pipe|null] [--perf FILE] [--timeline FILE] [--smaps FILE] [--seconds N] BUILD [NODE_FLAG]...
#   --stdout: where the sniffer's JSON lines go: a file in memory (/dev/shm, the default, as in bench/live.sh,
#   its pages resident before the load: bench/sink-file.sh, BENCH_SINK_BYTES),
#   a pipe read by bench/count-messages.mjs (as a container's stdout is read by its runtime), or /dev/null
#   (nothing counted: the sniffer's own work without the kernel's copy of its output).
#   --scenario conns: bench/live.sh's 10,000 keep-alive connections (bench/conns-client.mjs), whose own
#   length sets the window (--seconds is then only the perf record's length); the peak RSS is printed too.
#   --timeline FILE: the capture's counters every 50 ms from the sniffer's /metrics, one line each: ms since
#   capturing, packets seen, bytes shed, connections shed, batches delivered, batches refused (one snapshot,
#   so the packet count places each loss in the load even when JS answers late).
#   --smaps FILE: the sniffer's largest /proc/PID/smaps sample from capturing to exit, by mapping (bench/rss-peak.sh).
#   e.g. bench/live-threads.sh /work/main --no-liftoff     (a build, with extra flags for node)
#        perf report -i FILE --no-children --sort comm,dso  (then, for the profile)
set -uo pipefail
BENCH=$(cd "$(dirname "$0")" && pwd)
perf_out='' seconds=8 scenario=wrk timeline='' sink=file smaps=''
while [ $# -gt 0 ]; do
  case $1 in
    --scenario) scenario=$2; shift 2 ;;
    --perf) perf_out=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --timeline) timeline=$2; shift 2 ;;
    --stdout) sink=$2; shift 2 ;;
    --smaps) smaps=$2; shift 2 ;;
    -h|--help) sed -n "2,25p" "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) break ;;
  esac
done
[ $# -ge 1 ] || { echo "live-threads: give a build directory (see --help)" >&2; exit 1; }
build=$(cd "$1" && pwd) || exit 1
shift
[ "$(id -u)" = 0 ] || { echo "live-threads: run as root" >&2; exit 1; }
case $scenario in
  wrk) ;;
  conns)
    ulimit -n "$(ulimit -Hn)"
    [ "$(ulimit -n)" -ge 10100 ] || { echo "live-threads: conns needs 10100 open files; the hard limit is $(ulimit -Hn)" >&2; exit 1; } ;;
  *) echo "live-threads: --scenario is wrk or conns, got '$scenario'" >&2; exit 1 ;;
esac
case $sink in
  file|pipe|null) ;;
  *) echo "live-threads: --stdout is file, pipe or null, got '$sink'" >&2; exit 1 ;;
esac
# shellcheck source=bench/live-nginx.sh
source "$BENCH/live-nginx.sh"
# shellcheck source=bench/sink-file.sh
source "$BENCH/sink-file.sh"

tmp=$(mktemp -d /tmp/bench-threads.XXXXXX)
out=$(mktemp /dev/shm/bench-threads.XXXXXX)
port=$((20000 + RANDOM % 20000))
pid=''
cleanup() {
  [ -z "$pid" ] || kill -INT "$pid" 2>/dev/null
  wait
  nginx_stop "$tmp/nginx"
  rm -rf "$tmp" "$out"
}
trap cleanup EXIT
nginx_start "$tmp/nginx" 127.0.0.1 "$port" || exit 1

metrics_args=()
[ -z "$timeline" ] || metrics_args=(--metrics-port $((port + 1)))
count_pid=''
if [ "$sink" = pipe ]; then
  mkfifo "$tmp/stdout"
  node "$BENCH/count-messages.mjs" < "$tmp/stdout" > "$tmp/counts.json" &
  count_pid=$!
  exec 3> "$tmp/stdout"
elif [ "$sink" = null ]; then
  exec 3> /dev/null
else
  sink_prepare "$out"
  exec 3<> "$out"
fi
/usr/bin/time -f '%U %S %M' -o "$tmp/time" node "$@" "$build/ts/dist/cli.js" --interface lo --ports "$port" --stdout \
  "${metrics_args[@]}" >&3 2> "$tmp/sniffer.log" &
exec 3>&-
tpid=$!
for _ in $(seq 50); do pid=$(pgrep -P "$tpid" | head -1) && [ -n "$pid" ] && break; sleep 0.1; done
[ -n "$pid" ] || { echo "live-threads: the sniffer did not start" >&2; exit 1; }
for _ in $(seq 200); do grep -q '"capturing"' "$tmp/sniffer.log" && break; sleep 0.1; done
grep -q '"capturing"' "$tmp/sniffer.log" || { cat "$tmp/sniffer.log" >&2; exit 1; }

# CPU ticks, context switches (voluntary + involuntary), minor page faults and run time in ns
# (schedstat: finer than the ticks' 10 ms) per thread name, summed over its threads.
threads() {
  for t in /proc/"$pid"/task/*; do
    echo "$(tr ' ' _ < "$t/comm") $(awk '{ print $14 + $15 }' "$t/stat") \
$(awk '/^voluntary_ctxt_switches/ { v = $2 } /^nonvoluntary_ctxt_switches/ { n = $2 } END { print v, n }' "$t/status") \
$(awk '{ print $10 }' "$t/stat") $(awk '{ print $1 }' "$t/schedstat")"
  done | awk '{ a[$1] += $2; v[$1] += $3; n[$1] += $4; f[$1] += $5; r[$1] += $6 }
    END { for (k in a) print k, a[k], v[k], n[k], f[k], r[k] }' | sort
}
threads > "$tmp/before"
poll_pid=''
if [ -n "$timeline" ]; then
  ( t0=$(date +%s%N)
    while kill -0 "$pid" 2> /dev/null; do
      curl -s --max-time 2 "http://127.0.0.1:$((port + 1))/metrics" | awk -v ms=$((($(date +%s%N) - t0) / 1000000)) '
        /^tcp_sniffer_capture_packets_seen_total / { p = $2 } /^tcp_sniffer_capture_bytes_shed_total / { b = $2 }
        /^tcp_sniffer_capture_connections_shed_total / { c = $2 } /^tcp_sniffer_capture_batches_delivered_total / { d = $2 }
        /^tcp_sniffer_capture_batches_refused_total / { r = $2 } END { if (p != "") print ms, p, b, c, d, r }'
      sleep 0.05
    done > "$timeline" ) &
  poll_pid=$!
fi
smaps_pid=''
if [ -n "$smaps" ]; then "$BENCH/rss-peak.sh" "$pid" > "$smaps" & smaps_pid=$!; fi
perf_pid=''
if [ -n "$perf_out" ]; then
  perf record -F "${PERF_FREQ:-999}" -g -p "$pid" -o "$perf_out" -- sleep $((seconds + 1)) 2> /dev/null &
  perf_pid=$!
fi
# The same loads and arguments as bench/live.sh's wrk and conns scenarios.
if [ "$scenario" = wrk ]; then
  wrk -t2 -c32 -d"${seconds}s" "http://127.0.0.1:$port/4k" > "$tmp/wrk.txt"
  completed=$(awk '/ requests in / { print $1 }' "$tmp/wrk.txt")
  rate=$(awk '/^Requests\/sec:/ { print $2 }' "$tmp/wrk.txt")
else
  node "$BENCH/conns-client.mjs" --host 127.0.0.1 --port "$port" --connections 10000 --workers 4 --exchanges 2 \
    --path /4k --source-prefix 127.0.1. > "$tmp/client.json" || exit 1
  read -r rate completed errors <<< "$(node -e 'const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    console.log(r.rate, r.completed, r.errors)' "$tmp/client.json")"
  [ "$errors" = 0 ] || echo "live-threads: the client saw $errors failed connections" >&2
fi
sleep 1
threads > "$tmp/after"
awk -v hz="$(getconf CLK_TCK)" '{ print ($14 + $15) / hz }' "/proc/$pid/stat" > "$tmp/at-stop"
[ -z "$perf_pid" ] || wait "$perf_pid"
kill -INT "$pid"
wait "$tpid"
pid=''
[ -z "$count_pid" ] || wait "$count_pid"
[ -z "$poll_pid" ] || wait "$poll_pid"
[ -z "$smaps_pid" ] || wait "$smaps_pid"

echo "live-threads: $scenario, $(basename "$build")${*:+ $*}, load average $(cut -d' ' -f1-3 /proc/loadavg)"
responses='-' bytes=0
[ "$sink" != file ] || node "$BENCH/count-messages.mjs" < "$out" > "$tmp/counts.json"
[ "$sink" = null ] || read -r responses bytes <<< "$(node -e 'const c = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  console.log(c.responses, c.bytes)' "$tmp/counts.json")"
echo "$scenario $rate exchanges/s, $completed completed, $responses responses emitted, \
$((bytes / completed)) bytes on stdout (to $sink) per exchange"
join "$tmp/before" "$tmp/after" | awk -v ex="$completed" -v hz="$(getconf CLK_TCK)" '
  { us = ($7 - $2) * 1e6 / hz / ex; total += us; vol = ($8 - $3) / ex; inv = ($9 - $4) / ex
    rt = ($11 - $6) / 1000 / ex; rtotal += rt
    if (us > 0 || rt > 0.05) printf "  %-16s %6.1f us/exchange (%.2f by schedstat), context switches per exchange %.3f voluntary, %.3f involuntary, %d minor faults\n", $1, us, rt, vol, inv, $10 - $5 }
  END { printf "  %-16s %6.1f us/exchange (%.2f by schedstat)\n", "all threads", total, rtotal }'
awk -v ex="$completed" -v t0="$(cat "$tmp/at-stop")" '
  { printf "  %-16s %6.1f us/exchange (%.2f CPU s); peak RSS %.0f MiB\n", "stop to exit", ($1 + $2 - t0) * 1e6 / ex, $1 + $2 - t0, $3 / 1024 }' "$tmp/time"
read -r received dropped stdout_dropped shed <<< "$(node "$BENCH/stop-stats.mjs" "$tmp/sniffer.log")"
echo "kernel drops $dropped of $received; stdout drops $stdout_dropped; shed $shed bytes"
