#!/usr/bin/env bash
# Live capture under load: the same load alone, beside tcpdump, and beside each sniffer build given, in one
# run, repeated --runs times (interleaved, so neighbours' noise on this shared machine hits every row).
# A benchmark that prints figures; not a test. Run as root. See docs/performance.md for the figures.
set -uo pipefail
BENCH=$(cd "$(dirname "$0")" && pwd)

usage() {
  cat <<'USAGE'
Usage (root): bench/live.sh [--build DIR]... [--scenario NAME]... [--runs N]

  --build DIR      a checkout with a built sniffer (DIR/ts/dist/cli.js and DIR/ts/native); give it
                   several times to measure builds side by side (e.g. the base commit and merged main).
                   Default: the checkout this script is in.
  --scenario NAME  wrk | conns | pod | all (default all); give it several times for several.
      wrk    wrk -t2 -c32 -d8s against nginx on lo, 4 KiB responses, 32 keep-alive connections, 8 s
      conns  10,000 concurrent keep-alive connections opened by 4 worker processes, 2 exchanges each,
             against nginx on lo (bench/conns-client.mjs)
      pod    the observer on interface "any" inside the server's network namespace, the client in another
             namespace across a veth pair (offloads off: MTU-sized segments), 1% of segments dropped each
             way by iptables in the client's namespace, 10 connections x 30 exchanges of 32 KiB responses
  --runs N         repeat each scenario's rows N times (default 2)
  BENCH_KEEP=1     keep the temp dir (the last run's logs, results.tsv) and print its path
  BENCH_SINK_BYTES the stdout file's resident size (default 3 GiB); 0: a new file per row, as before

Per row: the load's rate (wrk's Requests/sec, or exchanges/s for conns and pod) and its share of the
mean rate alone; completed exchanges (as the client counted them); kernel drops / packets received
(tcpdump's own summary; the sniffer's capture stats kernelDropped / kernelReceived from its "stopped"
log line); requests and responses emitted on stdout (JSON lines per direction, stdout a file in /dev/shm whose
pages are touched before the load: BENCH_SINK_BYTES, default 3 GiB; 0 for a new file each row)
over completed; messages marked incomplete; messages the CLI's stdout output dropped and payload bytes the
capture shed because JavaScript fell behind (bytesShed), both from its own stats; the observer's CPU (user + system, all threads: /usr/bin/time at exit less
/proc/PID/stat once it is capturing, so start-up is left out and the drain at stop counted) in microseconds
per completed exchange; its peak RSS (/usr/bin/time %M) in MiB. Every observer uses its defaults.
USAGE
}

builds=()
scenarios=()
runs=2
while [ $# -gt 0 ]; do
  case $1 in
    --build) builds+=("$(cd "$2" && pwd)") || exit 1; shift 2 ;;
    --scenario) scenarios+=("$2"); shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "live: unknown argument '$1' (see --help)" >&2; exit 1 ;;
  esac
done
[ ${#builds[@]} -gt 0 ] || builds=("$(cd "$BENCH/.." && pwd)")
[ ${#scenarios[@]} -gt 0 ] || scenarios=(all)
[ "${scenarios[*]}" = all ] && scenarios=(wrk conns pod)
[[ $runs =~ ^[1-9][0-9]*$ ]] || { echo "live: --runs must be an integer >= 1, got '$runs'" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "live: run as root (capture, namespaces, nginx)" >&2; exit 1; }
for b in "${builds[@]}"; do
  [ -f "$b/ts/dist/cli.js" ] && [ -d "$b/ts/native" ] \
    || { echo "live: $b has no built sniffer (ts/dist/cli.js, ts/native): run scripts/build.sh there" >&2; exit 1; }
done
for tool in nginx wrk tcpdump curl ip iptables ethtool /usr/bin/time; do
  command -v "$tool" > /dev/null || { echo "live: $tool is missing (apt-get install nginx-light wrk tcpdump curl iproute2 iptables ethtool time)" >&2; exit 1; }
done

# shellcheck source=bench/live-nginx.sh
source "$BENCH/live-nginx.sh"
# shellcheck source=bench/live-measure.sh
source "$BENCH/live-measure.sh"
# shellcheck source=bench/sink-file.sh
source "$BENCH/sink-file.sh"

TMP=$(mktemp -d /tmp/bench-live.XXXXXX)
RESULTS=$TMP/results.tsv
# The sniffer's stdout (up to ~2 GB in the wrk scenario; one file of resident pages reused by every row,
# bench/sink-file.sh) goes to memory when it can.
OUT=$TMP
[ -d /dev/shm ] && OUT=$(mktemp -d /dev/shm/bench-live.XXXXXX)
NSID=bench$$
namespaces=()
OBSERVER_PID=
# An interrupted run leaves nothing behind: the observer (a child of /usr/bin/time, which would outlive a
# signal to time), nginx, the namespaces.
cleanup() {
  [ -z "$OBSERVER_PID" ] || kill -INT "$OBSERVER_PID" 2>/dev/null
  wait
  for d in "$TMP"/nginx-*; do [ -d "$d" ] && nginx_stop "$d"; done
  for n in "${namespaces[@]}"; do ip netns del "$n" 2>/dev/null; done
  [ "$OUT" = "$TMP" ] || rm -rf "$OUT"
  if [ -n "${BENCH_KEEP:-}" ]; then echo "live: kept $TMP" >&2; else rm -rf "$TMP"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  local p
  for _ in $(seq 100); do
    p=$((20000 + RANDOM % 20000))
    nsx
    "${NSX[@]}" ss -Htan "sport = :$p or dport = :$p" | grep -q . || { echo "$p"; return; }
  done
  return 1
}

label_of() {
  echo "$(basename "$1")@$(git -C "$1" rev-parse --short HEAD 2>/dev/null || echo '?')"
}

measure_all() { # SCENARIO
  for run in $(seq "$runs"); do
    measure_alone "$1" "$run" || return 1
    measure_tcpdump "$1" "$run" || return 1
    for b in "${builds[@]}"; do measure_sniffer "$1" "$run" "$b" "$(label_of "$b")" || return 1; done
    echo "live: $1 run $run done" >&2
  done
}

# wrk prints "N requests in 8.00s" and "Requests/sec: R"; socket errors and non-2xx are reported, not hidden.
wrk_load() {
  wrk -t2 -c32 -d8s "http://127.0.0.1:$PORT/4k" > "$TMP/wrk.txt" 2>&1 || { cat "$TMP/wrk.txt" >&2; return 1; }
  grep -E 'Socket errors|Non-2xx' "$TMP/wrk.txt" >&2
  echo "$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' "$TMP/wrk.txt") \
$(awk '/ requests in / { print $1 }' "$TMP/wrk.txt")" > "$1"
}

conns_load() {
  ${CLIENT_NS:+ip netns exec "$CLIENT_NS"} node "$BENCH/conns-client.mjs" "${CLIENT_ARGS[@]}" > "$TMP/client.json" \
    || return 1
  node -e 'const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    if (r.errors) console.error(`live: the client saw ${r.errors} failed connections`);
    console.log(r.rate, r.completed)' "$TMP/client.json" > "$1"
}

scenario_wrk() {
  NS='' IFACE=lo PORT=$(free_port) CLIENT_NS=''
  nginx_start "$TMP/nginx-wrk" 127.0.0.1 "$PORT" || return 1
  load_run() { wrk_load "$@"; }
  measure_all wrk
  nginx_stop "$TMP/nginx-wrk"
  print_results wrk "wrk: wrk -t2 -c32 -d8s -> nginx on lo, 4 KiB responses"
}

scenario_conns() {
  ulimit -n "$(ulimit -Hn)"
  local need=10100
  [ "$(ulimit -n)" -ge $need ] || { echo "live: conns needs $need open files; the hard limit is $(ulimit -Hn)" >&2; return 1; }
  NS='' IFACE=lo PORT=$(free_port) CLIENT_NS=''
  CLIENT_ARGS=(--host 127.0.0.1 --port "$PORT" --connections 10000 --workers 4 --exchanges 2 --path /4k
    --source-prefix 127.0.1.)
  nginx_start "$TMP/nginx-conns" 127.0.0.1 "$PORT" || return 1
  load_run() { conns_load "$@"; }
  measure_all conns
  nginx_stop "$TMP/nginx-conns"
  print_results conns "conns: 10,000 keep-alive connections from 4 workers, 2 exchanges each, nginx on lo"
}

scenario_pod() {
  local srv=$NSID-srv cli=$NSID-cli vs=${NSID}s vc=${NSID}c
  ip netns add "$srv" && namespaces+=("$srv") && ip netns add "$cli" && namespaces+=("$cli") || return 1
  ip link add "$vs" netns "$srv" type veth peer name "$vc" netns "$cli" || return 1
  ip -n "$srv" addr add 10.254.0.1/30 dev "$vs" && ip -n "$cli" addr add 10.254.0.2/30 dev "$vc"
  for l in "$srv lo" "$srv $vs" "$cli lo" "$cli $vc"; do set -- $l; ip -n "$1" link set "$2" up; done
  # Segments as a wire carries them (no 64 KiB TSO/GRO super-packets); loss between the pod and its client.
  ip netns exec "$srv" ethtool -K "$vs" tso off gso off gro off 2>/dev/null
  ip netns exec "$cli" ethtool -K "$vc" tso off gso off gro off 2>/dev/null
  for chain in INPUT OUTPUT; do
    ip netns exec "$cli" iptables -A "$chain" -p tcp -m statistic --mode random --probability 0.01 -j DROP \
      || return 1
  done
  NS=$srv IFACE=any PORT=$(free_port) CLIENT_NS=$cli
  CLIENT_ARGS=(--host 10.254.0.1 --port "$PORT" --connections 10 --workers 1 --exchanges 30 --path /32k)
  nginx_start "$TMP/nginx-pod" 10.254.0.1 "$PORT" "$srv" || return 1
  load_run() { conns_load "$@"; }
  measure_all pod
  nginx_stop "$TMP/nginx-pod"
  print_results pod "pod: observer on 'any' in the server's namespace, client across a veth, 1% loss each way, 300 exchanges"
}

echo "live: $(date -u +%FT%TZ), load average $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores" >&2
for b in "${builds[@]}"; do echo "live: build $(label_of "$b") = $b" >&2; done
for s in "${scenarios[@]}"; do
  case $s in
    wrk|conns|pod) "scenario_$s" || echo "live: scenario $s failed" >&2 ;;
    *) echo "live: unknown scenario '$s' (wrk, conns, pod or all)" >&2; exit 1 ;;
  esac
done
echo "live: done, load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2
