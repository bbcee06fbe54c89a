// Writes the streams of the header-grouping benchmark (docs/performance.md, "Header grouping"):
// N keep-alive requests whose header sections are the same size (about 9 KB) but hold either
// 1,000 distinct header names (999 and Host: the core's maxHeaderCount) or 10, each answered by an
// empty 204.
//
//   node make_header_streams.mjs CLIENT SERVER distinct|few [N=2000]
import { writeFileSync } from 'node:fs';

const [clientPath, serverPath, shape, nArg] = process.argv.slice(2);
if (shape !== 'distinct' && shape !== 'few') {
  console.error('usage: node make_header_streams.mjs CLIENT SERVER distinct|few [N]');
  process.exit(2);
}
const n = Number(nArg ?? 2000);
// 999 lines "hNNN: v\r\n" (9 bytes each) or 9 lines of the same total length, then Host.
const distinct = Array.from({ length: 999 }, (_, k) => `h${String(k).padStart(3, '0')}: v\r\n`).join('');
const few = Array.from({ length: 9 }, (_, k) => {
  const name = `x-f-${k}: `;
  return name + 'v'.repeat(distinct.length / 9 - name.length - 2) + '\r\n';
}).join('');
const headers = shape === 'distinct' ? distinct : few;
const c = [], s = [];
for (let i = 0; i < n; i++) {
  c.push(Buffer.from(`GET /h/${i} HTTP/1.1\r\nHost: bench\r\n${headers}\r\n`));
  s.push(Buffer.from('HTTP/1.1 204 No Content\r\n\r\n'));
}
writeFileSync(clientPath, Buffer.concat(c));
writeFileSync(serverPath, Buffer.concat(s));
