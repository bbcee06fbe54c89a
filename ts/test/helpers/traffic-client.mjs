#!/usr/bin/env node
// A real node:http client that runs a traffic plan against traffic-server.mjs (or python's
// http.server) and prints, as one JSON document on stdout, what it sent and received: the ground truth
// the captured messages are checked against. A standalone script so it can run in another network
// namespace with `ip netns exec`.
//
// Usage: node traffic-client.mjs --base http://IP:PORT --plan NAME [--prefix BYTES]
//   --prefix: how many leading body bytes to report (base64) per message; the checker compares
//             these with the captured bodies (use the sniffer's maxBodySize).
//
// Output: { exchanges: [{ clientPort, ordinal, method, path, reqBodySize, reqBodyB64, status,
//           informational: number[], httpVersion, respBodySize, respBodyB64 }] }
import http from 'node:http';
import { asciiBody } from './bodies.mjs';

function arg(name, fallback) {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

const base = new URL(arg('--base', 'http://127.0.0.1:8080'));
const planName = arg('--plan', 'full');
const prefix = Number(arg('--prefix', '65536'));

/** A request: method, path, optional body size, optional 100-continue. */
const req = (method, path, bodySize = -1, expectContinue = false) => ({ method, path, bodySize, expectContinue });
/** Not a request: waits `ms` before the connection's next request. */
const pause = (ms) => ({ pauseMs: ms });

// Each inner array is one connection: its requests go one after another on one kept-alive socket.
const PLANS = {
  full: () => [
    [
      req('GET', '/size/0'),
      req('GET', '/size/10'),
      req('GET', '/size/1000'),
      req('POST', '/echo', 517),
      req('GET', '/chunked/3000'),
      req('HEAD', '/size/2048'),
      req('GET', '/status/204'),
      req('GET', '/status/304'),
      req('GET', '/binary/300'),
      req('GET', '/status/503'),
      req('GET', '/size/300000'), // > maxBodySize: truncated body, exact bodySize
      req('POST', '/echo', 100_000), // a large request body, and its large echo
      req('PUT', '/echo', 0),
      req('GET', '/chunked/70000'), // a chunked body past maxBodySize
      ...Array.from({ length: 30 }, (_, i) => req('GET', `/size/${(i * 37) % 500}?seq=${i}`)),
    ],
    [req('POST', '/echo', 2000, true), req('GET', '/size/5')],
    [req('GET', '/size/77'), req('GET', '/close/5000')],
    ...Array.from({ length: 4 }, (_, c) =>
      Array.from({ length: 6 }, (_, i) =>
        i % 2 ? req('POST', `/echo?c=${c}`, 100 + i * 50) : req('GET', `/chunked/${200 + c * 100 + i}`))),
  ],
  // Small and quick: a smoke pass (and what the loss test runs several times).
  small: () => [
    [req('GET', '/size/100'), req('POST', '/echo', 3000), req('GET', '/chunked/5000'), req('HEAD', '/size/10'),
      req('GET', '/status/204'), req('GET', '/size/120000')],
    [req('POST', '/echo', 1500, true), req('GET', '/status/304')],
    ...Array.from({ length: 3 }, (_, c) => Array.from({ length: 5 }, (_, i) => req('GET', `/size/${c * 1000 + i}`))),
  ],
  // python3 -m http.server: GET and HEAD of files file-N (N bytes), HTTP/1.0 responses, one per connection.
  python: () => [
    [req('GET', '/file-0')], [req('GET', '/file-1')], [req('GET', '/file-4096')], [req('HEAD', '/file-4096')],
    [req('GET', '/file-200000')], [req('GET', '/missing')], [req('GET', '/file-777?query=1')],
  ],
  // For the gap test: big bodies to cut a frame out of, then more exchanges on the same connections
  // (after a pause, so a reassembler that bounds holes by time has crossed its bound too).
  gap: () => [
    [req('GET', '/size/10'), req('GET', '/size/300000'), pause(1200),
      ...Array.from({ length: 5 }, (_, i) => req('GET', `/size/${20 + i}`)), req('GET', '/chunked/3333')],
    [req('GET', '/size/11'), req('POST', '/echo', 200_000), pause(1200),
      ...Array.from({ length: 5 }, (_, i) => req('POST', `/echo?after=${i}`, 30 + i)), req('GET', '/size/4444')],
  ],
  // Output larger than any reasonable buffer between the sniffer and a slow reader: 84 MB of bodies.
  bulk: () => Array.from({ length: 20 }, (_, c) => Array.from({ length: 70 }, (_, i) => req('GET', `/size/60000?c=${c}&i=${i}`))),
  probe: () => [[req('GET', '/size/1?probe')]],
  // For the injected-control test: 60 connections of three exchanges, a pause after the first that
  // outlasts the shim's 3 s hole timeout (a segment injected there must not cut what follows).
  control: () => Array.from({ length: 60 }, (_, c) => [req('GET', `/size/${100 + c}?c=${c}`), pause(3500),
    req('GET', `/chunked/${200 + c}`), req('POST', `/echo?c=${c}`, 300 + c)]),
};

function b64Prefix(buf) {
  return buf.subarray(0, Math.min(buf.length, prefix)).toString('base64');
}

function runOne(agent, r, ordinals) {
  return new Promise((resolve, reject) => {
    const body = r.bodySize >= 0 ? asciiBody(r.bodySize, 5) : null;
    const headers = {};
    if (body) headers['content-length'] = String(body.length);
    if (r.expectContinue) headers.expect = '100-continue';
    const informational = [];
    const request = http.request(
      { host: base.hostname, port: base.port, method: r.method, path: r.path, agent, headers },
      (res) => {
        // Read now: a close-delimited body ends with the socket, which then has no address any more.
        const clientPort = res.socket.localPort;
        const parts = [];
        res.on('data', (d) => parts.push(d));
        res.on('end', () => {
          const received = Buffer.concat(parts);
          const ordinal = (ordinals.get(clientPort) ?? 0) + 1;
          ordinals.set(clientPort, ordinal);
          resolve({
            clientPort, ordinal, method: r.method, path: r.path,
            reqBodySize: body ? body.length : 0, reqBodyB64: body ? b64Prefix(body) : '',
            status: res.statusCode, informational, httpVersion: res.httpVersion,
            respBodySize: received.length, respBodyB64: b64Prefix(received),
          });
        });
        res.on('error', reject);
      },
    );
    request.on('information', (info) => informational.push(info.statusCode));
    request.on('error', reject);
    request.setTimeout(60_000, () => request.destroy(new Error(`timeout on ${r.method} ${r.path}`)));
    if (body && r.expectContinue) request.on('continue', () => request.end(body));
    else request.end(body ?? undefined);
  });
}

async function runConnection(requests, ordinals) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const out = [];
  for (const r of requests) {
    if (r.pauseMs) await new Promise((resolve) => setTimeout(resolve, r.pauseMs));
    else out.push(await runOne(agent, r, ordinals));
  }
  agent.destroy();
  return out;
}

const plan = PLANS[planName];
if (!plan) {
  process.stderr.write(`unknown plan ${planName}; known: ${Object.keys(PLANS).join(', ')}\n`);
  process.exit(1);
}
const ordinals = new Map();
try {
  const results = await Promise.all(plan().map((conn) => runConnection(conn, ordinals)));
  process.stdout.write(JSON.stringify({ exchanges: results.flat() }) + '\n');
} catch (err) {
  process.stderr.write(`traffic-client: ${err.stack ?? err}\n`);
  process.exit(1);
}
