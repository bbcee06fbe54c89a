#!/usr/bin/env bash
# What --decode-bodies costs, in one run on the same capture files (docs/performance.md, "Decoded bodies"):
#   dense.pcap  message-dense, no Content-Encoding (bench/make-capture.sh with BENCH_MAX_BODY=2000): the
#               cost of looking for the key in every block when nothing is to be decoded
#   coded.pcap  every response gzip- or br-coded (the traffic server's /coded/C/2000): the cost of decoding
# Each file is read by `node ts/dist/cli.js --read F [--decode-bodies] > /dev/null`, RUNS times each (default
# 3, alternating), and the median is printed: wall seconds, CPU seconds (user + sys: on a shared machine
# the wall clock also measures the neighbours), and messages per CPU second.
#
# Usage (root): bench/bodies.sh [DENSE_MB (default 40)] [CODED_REQUESTS (default 20000)]
set -euo pipefail
cd "$(dirname "$0")/.."
dense_mb=${1:-40}
coded_requests=${2:-20000}
runs=${RUNS:-3}
out=bench/out
mkdir -p "$out"
[ -f "$out/dense.pcap" ] || BENCH_MAX_BODY=2000 BENCH_PORT=18081 bench/make-capture.sh "$dense_mb" "$out/dense.pcap"

if [ ! -f "$out/coded.pcap" ]; then
  port=18082
  node ts/test/helpers/traffic-server.mjs --host 127.0.0.1 --port "$port" > "$out/coded.server.log" &
  server=$!
  trap 'kill $server 2>/dev/null || true' EXIT
  for _ in $(seq 50); do grep -q listening "$out/coded.server.log" && break; sleep 0.1; done
  tcpdump -i lo -s 0 -B 262144 -w "$out/coded.pcap" "tcp port $port" 2> "$out/coded.tcpdump.log" &
  dump=$!
  for _ in $(seq 50); do grep -q "listening on" "$out/coded.tcpdump.log" && break; sleep 0.1; done
  # Eight kept-alive connections; gzip and br alternate.
  node -e '
    const http = require("node:http");
    const [port, total] = process.argv.slice(1).map(Number);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
    let next = 0;
    const one = () => new Promise((ok, fail) => {
      const i = next++;
      http.get({ port, host: "127.0.0.1", agent, path: `/coded/${i % 2 ? "br" : "gzip"}/2000` }, (r) => { r.resume(); r.on("end", ok); }).on("error", fail);
    });
    const worker = async () => { while (next < total) await one(); };
    Promise.all(Array.from({ length: 8 }, worker)).then(() => agent.destroy());
  ' "$port" "$coded_requests"
  last=-1
  for _ in $(seq 60); do size=$(stat -c %s "$out/coded.pcap"); [ "$size" = "$last" ] && break; last=$size; sleep 1; done
  kill -INT "$dump"; wait "$dump" || true
  kill "$server"; wait "$server" 2>/dev/null || true
  trap - EXIT
  rm -f "$out/coded.server.log" "$out/coded.tcpdump.log"
fi

echo "bodies: $(date -u +%FT%TZ), load average $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores"
printf '%-12s %-16s %8s %8s %9s %12s\n' file mode wall cpu messages 'msgs/cpu-s'
for f in dense coded; do
  msgs=$(node ts/dist/cli.js --read "$out/$f.pcap" 2>/dev/null | wc -l)
  for mode in as-sent decode-bodies; do : > "$out/$f.$mode.times"; done
  for _ in $(seq "$runs"); do
    for mode in as-sent decode-bodies; do
      flag=(); [ "$mode" = decode-bodies ] && flag=(--decode-bodies)
      /usr/bin/time -f "%e %U %S" -a -o "$out/$f.$mode.times" node ts/dist/cli.js --read "$out/$f.pcap" "${flag[@]}" > /dev/null 2>/dev/null
    done
  done
  for mode in as-sent decode-bodies; do
    sort -n -k1 "$out/$f.$mode.times" | awk -v f="$f" -v m="$mode" -v n="$msgs" -v r="$runs" '
      { w[NR] = $1; c[NR] = $2 + $3 } END { i = int((r + 1) / 2); printf "%-12s %-16s %8.2f %8.2f %9d %12.0f\n", f, m, w[i], c[i], n, n / c[i] }'
  done
done
