#!/usr/bin/env bash
# The conns load of bench/live.sh recorded once, then replayed on a veth pair with its own timing to each
# build's CLI in turn: the same packets at the same times for every build, with no client or nginx
# competing for the two cores, so the capture thread's CPU can be compared between builds far more
# tightly than under the live load (whose own rate swings several-fold between runs here). Per row: the
# capture thread's CPU (/proc/PID/task/TID/schedstat, from "capturing" to 1 s after the replay) in ms
# and in µs per recorded exchange, its context switches (each a wake-up), the other threads' CPU, kernel
# drops / received, bytes shed, responses emitted, batches delivered and the payload bytes per batch
# (bytesDelivered over batchesDelivered). A benchmark that prints figures; not a test. Root.
#
# Usage: bench/conns-replay.sh [--runs N] [--capture FILE] BUILD...
#   --capture FILE  the recording (default bench/out/conns.pcap); made if missing (nginx, the conns client
#                   and tcpdump on lo, as bench/live.sh's conns scenario), with FILE.port and FILE.client
#   --runs N        rounds, each build once per round (default 3)
set -uo pipefail
BENCH=$(cd "$(dirname "$0")" && pwd)
runs=3 capture="$BENCH/out/conns.pcap"
while [ $# -gt 0 ]; do
  case $1 in
    --runs) runs=$2; shift 2 ;;
    --capture) capture=$2; shift 2 ;;
    -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) break ;;
  esac
done
[ $# -ge 1 ] || { echo "conns-replay: give one or more build directories (see --help)" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "conns-replay: run as root" >&2; exit 1; }
# shellcheck source=bench/live-nginx.sh
source "$BENCH/live-nginx.sh"
tmp=$(mktemp -d /tmp/bench-replay.XXXXXX)
out=$(mktemp /dev/shm/bench-replay.XXXXXX)
cleanup() {
  ip link del tsn-rp0 2>/dev/null
  nginx_stop "$tmp/nginx"
  rm -rf "$tmp" "$out"
}
trap cleanup EXIT

if [ ! -s "$capture" ]; then
  ulimit -n "$(ulimit -Hn)"
  mkdir -p "$(dirname "$capture")"
  port=$((20000 + RANDOM % 20000))
  nginx_start "$tmp/nginx" 127.0.0.1 "$port" || exit 1
  tcpdump -i lo -B 262144 -s 262144 -w "$capture" "tcp port $port" 2> "$tmp/tcpdump.log" &
  td=$!
  sleep 1
  node "$BENCH/conns-client.mjs" --host 127.0.0.1 --port "$port" --connections 10000 --workers 4 --exchanges 2 \
    --path /4k --source-prefix 127.0.1. > "$capture.client" || exit 1
  sleep 1
  kill -INT "$td"; wait "$td"
  nginx_stop "$tmp/nginx"
  echo "$port" > "$capture.port"
  grep -q '^0 packets dropped by kernel' "$tmp/tcpdump.log" \
    || { cat "$tmp/tcpdump.log" >&2; echo "conns-replay: tcpdump dropped packets; record again" >&2; rm -f "$capture"; exit 1; }
fi
port=$(cat "$capture.port")
exchanges=$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).completed)' "$capture.client")

ip link add tsn-rp0 type veth peer name tsn-rp1 || exit 1
for dev in tsn-rp0 tsn-rp1; do
  ip link set "$dev" mtu 65535            # the recording is from lo: frames up to 64 KiB
  sysctl -qw "net.ipv6.conf.$dev.disable_ipv6=1"  # no router solicitations in the capture
  ip link set "$dev" up
done

echo "conns-replay: $capture ($exchanges exchanges, port $port), $runs rounds, load average $(cut -d' ' -f1-3 /proc/loadavg)"
cpu_ns() { awk '{ s += $1 } END { print s + 0 }' "$@" 2> /dev/null; }
switches() { awk '/^(non)?voluntary_ctxt_switches/ { s += $2 } END { print s }' "$1"; }
for round in $(seq "$runs"); do
  for build in "$@"; do
    log="$tmp/sniffer.log"
    node "$build/ts/dist/cli.js" --interface tsn-rp1 --ports "$port" --stdout > "$out" 2> "$log" &
    pid=$!
    for _ in $(seq 200); do grep -q '"capturing"' "$log" && break; sleep 0.1; done
    grep -q '"capturing"' "$log" || { cat "$log" >&2; exit 1; }
    # The capture thread names itself just after it starts, which may be after "capturing" is logged.
    cap=''
    for _ in $(seq 50); do
      cap=$(grep -l '^tcp-sniffer-cap$' /proc/"$pid"/task/*/comm 2> /dev/null | head -1) && [ -n "$cap" ] && break
      sleep 0.02
    done
    [ -n "$cap" ] || { echo "conns-replay: no tcp-sniffer-cap thread in $pid" >&2; exit 1; }
    cap=$(dirname "$cap")
    others() { for t in /proc/"$pid"/task/*; do [ "$t" = "$cap" ] || echo "$t/schedstat"; done; }
    c0=$(cpu_ns "$cap/schedstat"); o0=$(cpu_ns $(others)); s0=$(switches "$cap/status")
    la=$(cut -d' ' -f1 /proc/loadavg)
    python3 "$BENCH/replay-frames.py" "$capture" tsn-rp0 2> "$tmp/replay.log"
    sleep 1
    c1=$(cpu_ns "$cap/schedstat"); o1=$(cpu_ns $(others)); s1=$(switches "$cap/status")
    kill -INT "$pid"; wait "$pid"
    read -r received dropped shed batches payload <<< "$(node "$BENCH/stop-stats.mjs" "$log" \
      kernelReceived kernelDropped bytesShed batchesDelivered bytesDelivered)"
    awk -v b="$(basename "$build")" -v r="$round" -v la="$la" -v c=$((c1 - c0)) -v o=$((o1 - o0)) -v s=$((s1 - s0)) \
        -v ex="$exchanges" -v d="$dropped" -v rc="$received" -v sh="$shed" -v em="$(grep -c '"direction":"response"' "$out")" \
        -v bt="$batches" -v pl="$payload" 'BEGIN {
      printf "%-14s round %d  load %-5s  capture thread %6.1f ms %5.2f us/exchange, %5d context switches;  other threads %6.1f ms;  kernel drops %s/%s, shed %s, responses %s/%s;  batches %s, %.0f KB payload each\n",
        b, r, la, c / 1e6, c / 1e3 / ex, s, o / 1e6, d, rc, sh, em, ex, bt, (bt > 0 ? pl / bt / 1e3 : 0) }'
  done
done
