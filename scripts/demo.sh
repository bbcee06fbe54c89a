#!/usr/bin/env bash
# The live demo (README's first command; run as root on Debian 12): installs what it needs, builds
# (skipped when the artifacts are newer than every source), starts a small HTTP server on loopback,
# captures it with the real engine (`node ts/dist/cli.js --interface lo --ports PORT`), sends varied
# traffic with curl (GET, POST with a body, a chunked response, several requests on one kept-alive
# connection), prints the JSON messages, and stops everything.
#
# Usage: sudo ./scripts/demo.sh            DEMO_PORT=9099 ./scripts/demo.sh to use another port.
set -euo pipefail
cd "$(dirname "$0")/.."
port=${DEMO_PORT:-8089}

if [ "$(id -u)" != 0 ]; then
  echo "demo: run as root (live capture needs CAP_NET_RAW): sudo $0" >&2
  exit 1
fi

./scripts/install-deps.sh

artifacts=(ts/dist/cli.js ts/native/capture_shim.node ts/native/http_core.wasm)
need_build=0
for a in "${artifacts[@]}"; do [ -f "$a" ] || need_build=1; done
if [ "$need_build" = 0 ]; then
  oldest=$(ls -tr "${artifacts[@]}" | head -n1)
  newer=$(find CMakeLists.txt capture-shim http-core ts/src ts/scripts ts/package.json -newer "$oldest" -type f \
    -not -name '*.md' 2>/dev/null | head -n1)
  [ -z "$newer" ] || need_build=1
fi
if [ "$need_build" = 1 ]; then
  echo "demo: building (scripts/build.sh) ..." >&2
  ./scripts/build.sh
else
  echo "demo: build is up to date" >&2
fi

if ss -ltnH "sport = :$port" | grep -q .; then
  echo "demo: port $port is in use; choose another with DEMO_PORT=NNNN" >&2
  exit 1
fi

work=$(mktemp -d /tmp/tcp-sniffer-demo.XXXXXX)
server_pid=""
sniffer_pid=""
cleanup() {
  [ -n "$sniffer_pid" ] && kill -TERM "$sniffer_pid" 2>/dev/null && wait "$sniffer_pid" 2>/dev/null || true
  [ -n "$server_pid" ] && kill -TERM "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# A small service: JSON API routes, a chunked stream, a health check.
cat > "$work/server.js" <<'JS'
const http = require('node:http');
const items = new Map([[1, { id: 1, name: 'hammer' }], [2, { id: 2, name: 'saw' }], [3, { id: 3, name: 'drill' }]]);
const server = http.createServer((req, res) => {
  let body = '';
  req.on('data', (d) => (body += d));
  req.on('end', () => {
    const json = (code, v) => { const s = JSON.stringify(v); res.writeHead(code, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(s) }); res.end(s); };
    const m = /^\/api\/items\/(\d+)$/.exec(req.url);
    if (req.url === '/health') json(200, { ok: true });
    else if (req.url === '/') json(200, { service: 'demo', routes: ['/api/items', '/stream'] });
    else if (req.url === '/api/items' && req.method === 'POST') {
      const item = { id: items.size + 1, ...JSON.parse(body || '{}') };
      items.set(item.id, item);
      json(201, item);
    } else if (m && items.has(Number(m[1]))) json(200, items.get(Number(m[1])));
    else if (req.url === '/stream') {
      res.writeHead(200, { 'content-type': 'text/plain' }); // no length: sent chunked
      let n = 0;
      const t = setInterval(() => { res.write(`event ${++n}\n`); if (n === 3) { clearInterval(t); res.end(); } }, 20);
    } else json(404, { error: 'not found' });
  });
});
server.listen(Number(process.argv[2]), '127.0.0.1', () => console.log('listening'));
process.on('SIGTERM', () => { server.closeAllConnections(); server.close(() => process.exit(0)); });
JS
node "$work/server.js" "$port" > "$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 50); do grep -q listening "$work/server.log" && break; sleep 0.1; done
grep -q listening "$work/server.log" || { echo "demo: the server did not start:" >&2; cat "$work/server.log" >&2; exit 1; }
echo "demo: HTTP server on 127.0.0.1:$port" >&2

node ts/dist/cli.js --interface lo --ports "$port" > "$work/messages.jsonl" 2> "$work/sniffer.log" &
sniffer_pid=$!
echo "demo: sniffer capturing lo, port $port (logs: JSON lines on stderr)" >&2

# Ready when a health check comes out as a message (the capture is then really running).
ready=0
for _ in $(seq 100); do
  curl -s -o /dev/null "http://127.0.0.1:$port/health" || true
  sleep 0.2
  if grep -q '"/health"' "$work/messages.jsonl"; then ready=1; break; fi
  kill -0 "$sniffer_pid" 2>/dev/null || break
done
if [ "$ready" = 0 ]; then
  echo "demo: the sniffer did not start capturing:" >&2
  cat "$work/sniffer.log" >&2
  exit 1
fi
skip=$(wc -l < "$work/messages.jsonl")

base="http://127.0.0.1:$port"
echo "demo: sending traffic ..." >&2
curl -s -o /dev/null "$base/"                                                       # GET
curl -s -o /dev/null -X POST -H 'content-type: application/json' \
  -H 'authorization: Bearer demo-secret-token' -d '{"name":"wrench","size":"13mm"}' "$base/api/items"  # POST with a body (the token is redacted)
curl -s -o /dev/null "$base/stream"                                                 # chunked response
curl -s -o /dev/null -o /dev/null -o /dev/null "$base/api/items/1" "$base/api/items/2" "$base/api/items/404"  # three on one kept-alive connection
want=$((skip + 12))
for _ in $(seq 50); do [ "$(wc -l < "$work/messages.jsonl")" -ge "$want" ] && break; sleep 0.1; done

kill -TERM "$sniffer_pid"
wait "$sniffer_pid" && code=0 || code=$?
sniffer_pid=""
echo "demo: sniffer stopped (exit $code)" >&2
echo

tail -n +"$((skip + 1))" "$work/messages.jsonl" | node -e '
const lines = require("node:fs").readFileSync(0, "utf8").split("\n").filter(Boolean);
for (const line of lines) {
  const m = JSON.parse(line);
  const title = m.direction === "request"
    ? `>> request   ${m.method} ${m.path}`
    : `<< response  ${m.statusCode} ${m.statusMessage}`;
  console.log(`${title}   (connection ${m.connectionId}, exchange ${m.exchange})`);
  console.log(JSON.stringify(m, null, 2));
  console.log();
}
console.log(`${lines.length} messages`);
'
exit "$code"
