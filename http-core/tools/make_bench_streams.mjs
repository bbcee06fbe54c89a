// Writes the two streams of the throughput benchmark (http-core/README.md): N keep-alive GET
// exchanges with JSON bodies of 0.1–1.5 KB (deterministic), as CLIENT and SERVER files. With
// --nginx, one exchange of bench/live.sh's loads instead (GET /4k answered by nginx's 9 headers and
// a 4,096-byte body), for the --conns shape of http-core-decode and bench_wasm.mjs.
//
//   node make_bench_streams.mjs CLIENT SERVER [N=20000]
//   node make_bench_streams.mjs --nginx CLIENT SERVER
import { writeFileSync } from 'node:fs';

const args = process.argv.slice(2);
if (args[0] === '--nginx') {
  const [, clientPath, serverPath] = args;
  writeFileSync(clientPath, 'GET /4k HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n');
  writeFileSync(serverPath, 'HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nDate: Wed, 02 Dec 2026 05:00:00 GMT\r\n' +
    'Content-Type: application/octet-stream\r\nContent-Length: 4096\r\nLast-Modified: Wed, 02 Dec 2026 04:00:00 GMT\r\n' +
    'Connection: keep-alive\r\nETag: "692e7000-1000"\r\nAccept-Ranges: bytes\r\n\r\n' + 'a'.repeat(4096));
  process.exit(0);
}
const [clientPath, serverPath, nArg] = args;
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
