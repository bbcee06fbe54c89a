#!/usr/bin/env node
// A keep-alive HTTP/1.1 load of many open connections: W worker processes each open their share of N
// connections (raw sockets, a bounded number of connects in flight), wait until every worker holds all of
// its connections open, then run K request/response exchanges on every connection at once (one after the
// other on each connection), then close. Prints one JSON summary line on stdout:
//   {"connections":N,"completed":..,"errors":..,"seconds":..,"rate":..}   (rate: exchanges per second,
//   from the first connect to the last response)
//
// Usage: node bench/conns-client.mjs --host 127.0.0.1 --port P [--connections 10000] [--workers 4]
//          [--exchanges 2] [--path /4k] [--source-prefix 127.0.1.] [--timeout-s 120]
// --source-prefix binds worker w's sockets to PREFIX(w+1): each source address has its own ephemeral ports.
import net from 'node:net';
import { fork } from 'node:child_process';

function arg(name, fallback) {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
}
const host = arg('--host', '127.0.0.1');
const port = Number(arg('--port', '0'));
const connections = Number(arg('--connections', '10000'));
const workers = Number(arg('--workers', '4'));
const exchanges = Number(arg('--exchanges', '2'));
const path = arg('--path', '/4k');
const sourcePrefix = arg('--source-prefix', '');
const timeoutS = Number(arg('--timeout-s', '120'));
const CONNECTS_IN_FLIGHT = 128;

/** Reads one response off a socket: status line, headers, Content-Length body (nginx's static files). */
function responseReader(socket) {
  let buf = Buffer.alloc(0);
  let waiting = null;
  const tryParse = () => {
    if (!waiting) return;
    const end = buf.indexOf('\r\n\r\n');
    if (end < 0) return;
    const head = buf.subarray(0, end).toString('latin1');
    const m = /\r\ncontent-length:\s*(\d+)/i.exec(head);
    const length = m ? Number(m[1]) : 0;
    if (buf.length < end + 4 + length) return;
    const ok = head.startsWith('HTTP/1.1 200 ');
    buf = buf.subarray(end + 4 + length);
    const w = waiting;
    waiting = null;
    if (ok) w.resolve();
    else w.reject(new Error(`unexpected response: ${head.split('\r\n')[0]}`));
  };
  socket.on('data', (d) => {
    buf = buf.length ? Buffer.concat([buf, d]) : d;
    tryParse();
  });
  const fail = (err) => {
    if (waiting) waiting.reject(err);
    waiting = null;
  };
  socket.on('error', fail);
  socket.on('close', () => fail(new Error('connection closed')));
  return () => new Promise((resolve, reject) => {
    waiting = { resolve, reject };
    tryParse();
  });
}

async function openAll(n, localAddress) {
  const sockets = [];
  let next = 0;
  async function opener() {
    while (next < n) {
      next++;
      sockets.push(await new Promise((resolve, reject) => {
        const s = net.connect({ host, port, localAddress: localAddress || undefined }, () => resolve(s));
        s.once('error', reject);
      }));
    }
  }
  await Promise.all(Array.from({ length: Math.min(CONNECTS_IN_FLIGHT, n) }, opener));
  return sockets;
}

async function exchangeAll(sockets) {
  const request = Buffer.from(`GET ${path} HTTP/1.1\r\nHost: ${host}\r\n\r\n`);
  let completed = 0;
  let errors = 0;
  await Promise.all(sockets.map(async (s) => {
    const next = responseReader(s);
    try {
      for (let i = 0; i < exchanges; i++) {
        const response = next();
        s.write(request);
        await response;
        completed++;
      }
    } catch {
      errors++;
    }
  }));
  return { completed, errors };
}

async function worker() {
  const share = Number(process.env.BENCH_SHARE);
  const local = process.env.BENCH_LOCAL;
  const sockets = await openAll(share, local).catch((e) => {
    process.send({ error: `connect: ${e.message}` });
    process.exit(1);
  });
  process.send({ open: sockets.length });
  await new Promise((resolve) => process.once('message', resolve));
  const result = await exchangeAll(sockets);
  process.send({ done: result });
  await new Promise((resolve) => process.once('message', resolve));
  for (const s of sockets) s.destroy();
  process.exit(0);
}

async function main() {
  if (!port) throw new Error('--port is required');
  const t0 = process.hrtime.bigint();
  const children = Array.from({ length: workers }, (_, w) => {
    const share = Math.floor(connections / workers) + (w < connections % workers ? 1 : 0);
    return fork(new URL(import.meta.url).pathname, process.argv.slice(2), {
      env: { ...process.env, BENCH_WORKER: '1', BENCH_SHARE: String(share),
        BENCH_LOCAL: sourcePrefix ? `${sourcePrefix}${w + 1}` : '' },
    });
  });
  const timer = setTimeout(() => {
    process.stderr.write(`conns-client: not done after ${timeoutS} s\n`);
    for (const c of children) c.kill();
    process.exit(1);
  }, timeoutS * 1000);
  const phase = (key) => Promise.all(children.map((c) => new Promise((resolve, reject) => {
    const on = (m) => {
      if (m.error) reject(new Error(m.error));
      else if (key in m) { c.off('message', on); resolve(m[key]); }
    };
    c.on('message', on);
  })));
  const open = await phase('open');
  for (const c of children) c.send('go');
  const done = await phase('done');
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  for (const c of children) c.send('close');
  await Promise.all(children.map((c) => new Promise((resolve) => c.on('exit', resolve))));
  clearTimeout(timer);
  const completed = done.reduce((a, d) => a + d.completed, 0);
  const errors = done.reduce((a, d) => a + d.errors, 0);
  process.stdout.write(`${JSON.stringify({ connections: open.reduce((a, b) => a + b, 0), completed, errors,
    seconds: Number(seconds.toFixed(3)), rate: Math.round(completed / seconds) })}\n`);
}

if (process.env.BENCH_WORKER) await worker();
else await main().catch((e) => {
  process.stderr.write(`conns-client: ${e.message}\n`);
  process.exit(1);
});
