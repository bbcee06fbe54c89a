#!/usr/bin/env node
// A real node:http server with the routes the end-to-end traffic plan uses. A standalone script (not a
// module import) so tests can run it inside a network namespace with `ip netns exec`.
//
// Usage: node traffic-server.mjs [--host H] [--port P]    prints `listening PORT` once it accepts.
//
// Routes (N is a byte count; every body is deterministic so a checker can recompute it):
//   GET|HEAD /size/N      Content-Length body of N bytes (HEAD: the same headers, no body)
//   GET /chunked/N        chunked body of N bytes, written as several chunks with pauses between them
//   GET /binary/N         N bytes that are not valid UTF-8 (base64 in the message)
//   GET /status/C         status C (204 and 304 carry no body; others a short text body)
//   POST|PUT /echo        echoes the request body back with Content-Length
//   GET /close/N          N bytes, no Content-Length, connection closed to end the body
//   GET /coded/C/N        plainBody(N) in content coding C (coded-bodies.mjs); ?chunked=1: chunked
//   GET /cut/C/N          as /coded/C/N, but the connection is closed halfway through the body
//   GET /bomb/N           gzip of N zero bytes
//   GET /corrupt          Content-Encoding gzip on bytes that are not gzip
//   anything else         404 with a short body
// `Expect: 100-continue` is answered by node's default `100 Continue`.
import http from 'node:http';
import { asciiBody, binaryBody } from './bodies.mjs';
import { bombBody, CODINGS, CORRUPT_BODY, encode, headerOf, plainBody } from './coded-bodies.mjs';

function arg(name, fallback) {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

const host = arg('--host', '127.0.0.1');
const port = Number(arg('--port', '0'));

function sizeOf(url, prefix) {
  const n = Number(url.slice(prefix.length).split('?')[0]);
  return Number.isInteger(n) && n >= 0 && n <= 64 * 1024 * 1024 ? n : -1;
}

async function writeChunked(res, body) {
  res.writeHead(200, { 'content-type': 'text/plain' });
  await writePieces(res, body);
}

async function writePieces(res, body) {
  const pieces = Math.min(5, Math.max(1, body.length));
  const step = Math.ceil(body.length / pieces);
  for (let off = 0; off < body.length; off += step) {
    res.write(body.subarray(off, off + step));
    // Let each chunk leave as its own segment, so reassembly of a chunked body is really exercised.
    await new Promise((r) => setTimeout(r, 3));
  }
  res.end();
}

const server = http.createServer((req, res) => {
  const url = req.url ?? '/';
  const parts = [];
  req.on('data', (d) => parts.push(d));
  req.on('end', () => {
    const received = Buffer.concat(parts);
    if ((req.method === 'POST' || req.method === 'PUT') && url.startsWith('/echo')) {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': received.length });
      res.end(received);
    } else if (url.startsWith('/size/') && sizeOf(url, '/size/') >= 0) {
      const body = asciiBody(sizeOf(url, '/size/'));
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length });
      res.end(req.method === 'HEAD' ? undefined : body);
    } else if (url.startsWith('/chunked/') && sizeOf(url, '/chunked/') >= 0) {
      void writeChunked(res, asciiBody(sizeOf(url, '/chunked/')));
    } else if (url.startsWith('/binary/') && sizeOf(url, '/binary/') >= 0) {
      const body = binaryBody(sizeOf(url, '/binary/'));
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length });
      res.end(body);
    } else if (url.startsWith('/close/') && sizeOf(url, '/close/') >= 0) {
      // HTTP/1.1 without Content-Length or chunking: the body ends when the server closes.
      const body = asciiBody(sizeOf(url, '/close/'));
      res.socket.write(`HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\nconnection: close\r\n\r\n`);
      res.socket.end(body);
    } else if (url.startsWith('/coded/') || url.startsWith('/cut/')) {
      const [, kind, coding, n] = url.split('?')[0].split('/');
      if (!CODINGS.includes(coding) || !(sizeOf(`/${n}`, '/') >= 0)) {
        res.writeHead(400).end();
        return;
      }
      const body = encode(coding, plainBody(Number(n)));
      const headers = { 'content-type': 'application/json; charset=utf-8', 'content-encoding': headerOf(coding) };
      if (url.includes('chunked=1')) {
        res.writeHead(200, headers);
        void writePieces(res, body);
      } else if (kind === 'cut') {
        res.writeHead(200, { ...headers, 'content-length': body.length });
        res.write(body.subarray(0, body.length >> 1), () => setTimeout(() => res.socket.destroy(), 50));
      } else {
        res.writeHead(200, { ...headers, 'content-length': body.length });
        res.end(body);
      }
    } else if (url.startsWith('/bomb/') && sizeOf(url, '/bomb/') >= 0) {
      const body = bombBody(sizeOf(url, '/bomb/'));
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-encoding': 'gzip', 'content-length': body.length });
      res.end(body);
    } else if (url === '/corrupt') {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-encoding': 'gzip', 'content-length': CORRUPT_BODY.length });
      res.end(CORRUPT_BODY);
    } else if (url.startsWith('/status/')) {
      const code = Number(url.slice('/status/'.length));
      if (code === 204 || code === 304) {
        res.writeHead(code, { etag: '"e2e"' });
        res.end();
      } else {
        const body = Buffer.from(`status ${code}\n`);
        res.writeHead(code >= 200 && code <= 599 ? code : 400, { 'content-length': body.length });
        res.end(body);
      }
    } else {
      const body = Buffer.from('not found\n');
      res.writeHead(404, { 'content-type': 'text/plain', 'content-length': body.length });
      res.end(body);
    }
  });
});
server.keepAliveTimeout = 30_000;
server.listen(port, host, () => {
  process.stdout.write(`listening ${server.address().port}\n`);
});
for (const sig of ['SIGTERM', 'SIGINT']) {
  process.on(sig, () => {
    server.closeAllConnections();
    server.close(() => process.exit(0));
  });
}
