// Throughput of the decoder bundle (dist/decoder.mjs: the embedded .wasm and its JS loader), on
// kept-alive POST exchanges pushed in 64 KiB pieces (50 requests, then their 50 responses). Prints MB/s and
// messages/s per round; the first round includes the module's warm-up.
//
// Usage: node scripts/bench-decoder.mjs [--exchanges N] [--request-body B] [--response-body B] [--rounds R]
import { createDecoder } from '../dist/decoder.mjs';

function arg(name, fallback) {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}
const exchanges = arg('--exchanges', 5000);
const requestBody = arg('--request-body', 1000);
const responseBody = arg('--response-body', 10000);
const rounds = arg('--rounds', 3);

const encoder = new TextEncoder();
const q = 'q'.repeat(requestBody);
const r = 'r'.repeat(responseBody);
// Groups of 50 exchanges: the requests of a group, then their responses, as on the wire.
const groups = [];
let total = 0;
for (let i = 0; i < exchanges; i += 50) {
  let client = '';
  let server = '';
  for (let k = i; k < Math.min(exchanges, i + 50); k++) {
    client += `POST /api/items/${k} HTTP/1.1\r\nHost: svc\r\nContent-Type: application/json\r\nContent-Length: ${q.length}\r\n\r\n${q}`;
    server += `HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${r.length}\r\n\r\n${r}`;
  }
  const group = { client: encoder.encode(client), server: encoder.encode(server) };
  total += group.client.length + group.server.length;
  groups.push(group);
}
const PIECE = 64 * 1024;

const decoder = await createDecoder();
let messages = 0;
decoder.onMessage = () => messages++;
for (let round = 0; round < rounds; round++) {
  messages = 0;
  const t0 = performance.now();
  decoder.open(round, { client: { ip: '10.0.0.1', port: 40000 }, server: { ip: '10.0.0.2', port: 80 } }, Date.now());
  for (const g of groups) {
    for (let o = 0; o < g.client.length; o += PIECE) decoder.push(round, 'client', g.client.subarray(o, o + PIECE), Date.now());
    for (let o = 0; o < g.server.length; o += PIECE) decoder.push(round, 'server', g.server.subarray(o, o + PIECE), Date.now());
  }
  decoder.close(round);
  const seconds = (performance.now() - t0) / 1000;
  console.log(
    `round ${round}: ${(total / 1e6).toFixed(1)} MB, ${messages} messages in ${seconds.toFixed(2)} s: ` +
      `${(total / 1e6 / seconds).toFixed(0)} MB/s, ${Math.round(messages / seconds)} messages/s`,
  );
}
decoder.dispose();
