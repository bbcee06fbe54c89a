#!/usr/bin/env node
// Load for the benchmark capture: many concurrent real node:http clients against traffic-server.mjs on
// loopback, with a mix the sniffer meets in practice: small and large bodies, Content-Length and chunked
// responses, POSTs with bodies, connections kept alive for 1 to 60 requests, until about TARGET bytes
// of HTTP bodies crossed the wire. Deterministic (seeded), so two runs make comparable captures.
//
// Usage: node bench/load.mjs --base http://127.0.0.1:PORT --target-mb 300 [--concurrency 24] [--max-body N]
// --max-body caps every body size drawn (the same draws, so the same mix of methods and framings): a
// message-dense load.
import http from 'node:http';

function arg(name, fallback) {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

const base = new URL(arg('--base', 'http://127.0.0.1:18080'));
const target = Number(arg('--target-mb', '300')) * 1024 * 1024;
const concurrency = Number(arg('--concurrency', '24'));
const maxBody = Number(arg('--max-body', 'Infinity'));

let seed = 12345;
function random() {
  // xorshift32: deterministic and fast
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) / 4294967296;
}

/** Body sizes: mostly small API-like responses, some pages, a few large downloads. */
function size() {
  return Math.min(maxBody, drawSize());
}

function drawSize() {
  const r = random();
  if (r < 0.7) return Math.floor(random() * 2000);
  if (r < 0.93) return 2000 + Math.floor(random() * 30_000);
  if (r < 0.995) return 32_000 + Math.floor(random() * 200_000);
  return 300_000 + Math.floor(random() * 1_000_000);
}

const postBody = Buffer.alloc(256 * 1024, 'p');
let bytes = 0;
let requests = 0;

function one(agent) {
  const r = random();
  let method = 'GET';
  let path;
  let body = null;
  if (r < 0.55) path = `/size/${size()}`;
  else if (r < 0.8) path = `/chunked/${size()}`;
  else if (r < 0.95) {
    method = 'POST';
    path = '/echo';
    body = postBody.subarray(0, Math.min(postBody.length, size()));
  } else path = ['/status/204', '/status/304', '/status/404'][Math.floor(random() * 3)];
  return new Promise((resolve, reject) => {
    const req = http.request({ host: base.hostname, port: base.port, method, path, agent,
      headers: body ? { 'content-type': 'application/octet-stream', 'content-length': body.length } : {} }, (res) => {
      res.on('data', (d) => (bytes += d.length));
      res.on('end', resolve);
      res.on('error', reject);
    });
    req.on('error', reject);
    if (body) bytes += body.length;
    req.end(body ?? undefined);
    requests++;
  });
}

async function worker() {
  while (bytes < target) {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const n = 1 + Math.floor(random() * 60);
    for (let i = 0; i < n && bytes < target; i++) await one(agent);
    agent.destroy();
  }
}

const t0 = Date.now();
await Promise.all(Array.from({ length: concurrency }, worker));
const s = (Date.now() - t0) / 1000;
process.stderr.write(`load: ${requests} requests, ${(bytes / 1048576).toFixed(1)} MiB of bodies in ${s.toFixed(1)} s\n`);
