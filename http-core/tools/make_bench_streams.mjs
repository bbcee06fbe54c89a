// Writes the two streams of the throughput benchmark (http-core/README.md): N keep-alive GET
// exchanges with JSON bodies of 0.1–1.5 KB (deterministic), as CLIENT and SERVER files.
//
//   node make_bench_streams.mjs CLIENT SERVER [N=20000]
import { writeFileSync } from 'node:fs';

const [clientPath, serverPath, nArg] = process.argv.slice(2);
const n = Number(nArg ?? 20000);
let seed = 1;
const rand = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; };
const c = [], s = [];
for (let i = 0; i < n; i++) {
  const body = Buffer.from(`{"id":${i},"name":"item-${i}","tags":["a","b","c"],"text":"${'x'.repeat(100 + Math.floor(rand() * 1400))}"}`);
  c.push(Buffer.from(`GET /api/items/${i}?expand=true HTTP/1.1\r\nHost: api.example.test\r\nUser-Agent: bench/1.0\r\n` +
    `Accept: application/json\r\nAuthorization: Bearer abc.def.ghi\r\nX-Request-Id: ${i}\r\n\r\n`));
  s.push(Buffer.from(`HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n` +
    `Date: Mon, 23 Nov 2026 10:00:00 GMT\r\nServer: bench\r\nSet-Cookie: s=1; Path=/\r\n\r\n`), body);
}
writeFileSync(clientPath, Buffer.concat(c));
writeFileSync(serverPath, Buffer.concat(s));
