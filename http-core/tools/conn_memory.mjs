// Memory the WebAssembly core holds per idle keep-alive connection: opens N connections, each with
// one request and one response (typical browser-like headers, a small JSON body), leaves them open,
// and prints the growth of the module's linear memory (what the process keeps resident for it).
//
//   node conn_memory.mjs HTTP_CORE_WASM [N=10000]
import { readFileSync } from 'node:fs';

const [wasmPath, nArg] = process.argv.slice(2);
const n = Number(nArg ?? 10000);
const { exports: x } = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(wasmPath)), {});
if (x._initialize) x._initialize();

function event(kind, arg, conn, payload) {
  const b = Buffer.alloc(24 + payload.length);
  b.writeUInt8(kind, 0); b.writeUInt8(arg, 1); b.writeUInt32LE(payload.length, 4);
  b.writeBigUInt64LE(BigInt(conn), 8); b.writeBigInt64LE(1700000000000000n, 16);
  payload.copy(b, 24);
  return b;
}
function open(conn) {
  const p = Buffer.alloc(40);
  p.writeUInt8(4, 0); p.writeUInt8(4, 1);               // IPv4 client and server
  p.set([10, 0, (conn >> 8) & 255, conn & 255], 4); p.set([10, 1, 0, 1], 20);
  p.writeUInt16LE(40000 + (conn % 20000), 36); p.writeUInt16LE(8080, 38);
  return event(1, 0, conn, p);
}
const request = Buffer.from('GET /api/v1/orders?page=2&limit=50 HTTP/1.1\r\nHost: orders.internal:8080\r\n' +
  'User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36\r\n' +
  'Accept: application/json, text/plain, */*\r\nAccept-Encoding: gzip, deflate, br\r\nAccept-Language: en-US,en;q=0.9\r\n' +
  'Cookie: session=abcdef0123456789; theme=dark\r\nAuthorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig\r\n' +
  'X-Request-Id: 2f1e8c1a-6a1b-4c3e-9d2f-0a1b2c3d4e5f\r\nConnection: keep-alive\r\n\r\n');
const body = Buffer.from(JSON.stringify({ items: Array.from({ length: 8 }, (_, i) => ({ id: i, name: `item-${i}` })) }));
const response = Buffer.concat([Buffer.from('HTTP/1.1 200 OK\r\nContent-Type: application/json; charset=utf-8\r\n' +
  `Content-Length: ${body.length}\r\nDate: Mon, 23 Nov 2026 10:00:00 GMT\r\nServer: nginx\r\nCache-Control: no-store\r\n` +
  'Set-Cookie: seen=1; Path=/; HttpOnly\r\nVary: Accept-Encoding\r\nConnection: keep-alive\r\n\r\n'), body]);

function feed(h, parts) {
  const batch = Buffer.concat(parts);
  const ptr = x.http_core_input(batch.length);
  new Uint8Array(x.memory.buffer, ptr, batch.length).set(batch);
  if (x.http_core_engine_feed(h, ptr, batch.length) !== 0) throw new Error('feed failed');
  x.http_core_output_clear(h);
}
const h = x.http_core_engine_new(65536, 134217728, 0, 0);
feed(h, [open(1_000_000), event(2, 0, 1_000_000, request), event(2, 1, 1_000_000, response)]);  // warm buffers
const before = x.memory.buffer.byteLength;
for (let c = 0; c < n; c += 500) {
  const parts = [];
  for (let k = c + 1; k <= Math.min(n, c + 500); k++) parts.push(open(k), event(2, 0, k, request), event(2, 1, k, response));
  feed(h, parts);
}
const statsPtr = x.http_core_engine_stats(h);
const mem = new Uint8Array(x.memory.buffer);
const stats = JSON.parse(Buffer.from(mem.subarray(statsPtr, mem.indexOf(0, statsPtr))).toString());
const after = x.memory.buffer.byteLength;
console.log(JSON.stringify({ connections: n, open: stats.connectionsOpen, messages: stats.requests + stats.responses,
  linearMemoryBefore: before, linearMemoryAfter: after, bytesPerConnection: Math.round((after - before) / n) }));
