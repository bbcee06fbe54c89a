#!/usr/bin/env bash
# Makes the benchmark's capture: a real node:http server and many real clients on loopback (bench/load.mjs:
# varied sizes, keep-alive, chunked, POST bodies, many connections), recorded by tcpdump.
#
# Usage (root): [BENCH_MTU=1500] [BENCH_MAX_BODY=N] bench/make-capture.sh [TARGET_MB (default 300)] [OUT (default bench/out/capture.pcap)]
# Writes OUT and OUT.port (the server port, for tools that must be told which port is HTTP).
# Loopback's 64 KiB MTU (and its offloads) make large segments; BENCH_MTU records the same load inside a
# network namespace of its own whose loopback has that MTU and no segmentation offloads, so every data
# segment is at most MTU-sized, as on a real wire. BENCH_MAX_BODY=N caps every body at N bytes: a
# message-dense capture (many small messages per MB).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -n "${BENCH_MTU:-}" ] && [ -z "${BENCH_IN_NS:-}" ]; then
  ns=bench$$-capture
  ip netns add "$ns"
  trap 'ip netns del "$ns"' EXIT
  ip -n "$ns" link set lo mtu "$BENCH_MTU" up
  ip netns exec "$ns" ethtool -K lo tso off gso off gro off
  status=0
  BENCH_IN_NS=1 ip netns exec "$ns" "$0" "$@" || status=$?
  exit $status
fi
target_mb=${1:-300}
out=${2:-bench/out/capture.pcap}
port=${BENCH_PORT:-18080}
mkdir -p "$(dirname "$out")"

pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT

node ts/test/helpers/traffic-server.mjs --host 127.0.0.1 --port "$port" > "$out.server.log" &
pids+=($!)
for _ in $(seq 50); do grep -q listening "$out.server.log" 2>/dev/null && break; sleep 0.1; done
grep -q listening "$out.server.log" || { echo "make-capture: the server did not start" >&2; exit 1; }

# A large kernel buffer (-B, KiB) so tcpdump keeps up with loopback at full speed.
tcpdump -i lo -s 0 -B 262144 -w "$out" "tcp port $port" 2> "$out.tcpdump.log" &
tcpdump_pid=$!
for _ in $(seq 50); do grep -q "listening on" "$out.tcpdump.log" && break; sleep 0.1; done

node bench/load.mjs --base "http://127.0.0.1:$port" --target-mb "$target_mb" ${BENCH_MAX_BODY:+--max-body "$BENCH_MAX_BODY"}
# SIGINT ends tcpdump at once, losing (uncounted) what is still in the kernel's buffer: wait until the
# file has stopped growing for a second first.
last=-1
for _ in $(seq 300); do
  size=$(stat -c %s "$out")
  [ "$size" = "$last" ] && break
  last=$size
  sleep 1
done
kill -INT "$tcpdump_pid"
wait "$tcpdump_pid" || true
cat "$out.tcpdump.log" | grep -E "captured|dropped" >&2 || true
echo "$port" > "$out.port"
rm -f "$out.server.log" "$out.tcpdump.log"
echo "make-capture: $out ($(du -m "$out" | cut -f1) MB), server port $port" >&2
