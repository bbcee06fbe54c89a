// CPU per exchange of the core's loader (src/wasm/core.ts: the batch copied in, the core, the JSON lines
// handed out) on the wrk load's exchanges (GET /4k, nginx's 9 headers, 4,096-byte body), with and without
// placement. Each SRC (a checkout's ts/src) is bundled and run with its own module (SRC/../native/
// http_core.wasm) in the same process, rounds interleaved, so two versions compare on one machine load. The
// first pass is printed apart: V8's tiers warm up and the module's memory is touched for the first time
// (the state of a live capture's first burst). Shapes of load:
//   wrk (default): batch k is connection k with 50 kept-alive exchanges, opened and closed in the batch;
//   --conns N: bench/live.sh's conns scenario: N connections open, then every one's request, every one's
//   response, again (2 exchanges each), then every close, cut into 256 KiB batches (state of N connections
//   live at once, one message per connection at a time);
//   --capture FILE: the batches the capture addon (native/capture_shim.node) makes of a pcap, e.g. one
//   recorded with tcpdump during bench/live.sh's conns load (every TCP connection, 256 KiB batches).
// Run node with --no-liftoff --no-wasm-lazy-compilation to compile the module as the live CLI does.
//
// Usage: node scripts/bench-loader.mjs [--rounds R] [--batches B | --conns N | --capture FILE] SRC...
//   e.g. git archive main ts/src | tar -x -C /tmp/base && mkdir /tmp/base/ts/native \
//        && cp BASE_BUILD/ts/native/* /tmp/base/ts/native/ && ln -s "$PWD/node_modules" /tmp/base/ts/ \
//        && node scripts/bench-loader.mjs /tmp/base/ts/src src
import { build } from 'esbuild';
import { readFileSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  if (i < 0) return fallback;
  const [, value] = args.splice(i, 2);
  return Number(value);
};
const rounds = option('--rounds', 5);
const batchCount = option('--batches', 400);
const connCount = option('--conns', 0);
const captureAt = args.indexOf('--capture');
const captureFile = captureAt < 0 ? undefined : args.splice(captureAt, 2)[1];
if (args.length === 0) {
  console.error('bench-loader: give one or more ts/src directories (see the usage at the top of this file)');
  process.exit(1);
}

const versions = [];
for (const [i, src] of args.entries()) {
  const outfile = `/tmp/bench-loader-${process.pid}-${i}.mjs`;
  await build({
    stdin: {
      contents: `export * from ${JSON.stringify(resolve(src, 'wasm/core.ts'))};
export * from ${JSON.stringify(resolve(src, 'wasm/events.ts'))};
export * as pipeline from ${JSON.stringify(resolve(src, 'pipeline.ts'))};`,
      resolveDir: resolve(src), loader: 'ts',
    },
    bundle: true, platform: 'node', format: 'esm', outfile, logLevel: 'error', loader: { '.wasm': 'binary' },
  });
  // Each checkout's own module (SRC/../native/http_core.wasm, as its build puts it there).
  const wasm = await WebAssembly.compile(readFileSync(resolve(src, '..', 'native', 'http_core.wasm')));
  versions.push({ src, wasm, lib: await import(pathToFileURL(outfile).href) });
  rmSync(outfile); // imported: the bundle is no longer needed
}

const EXCHANGES_PER_BATCH = 50;
const request = 'GET /4k HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n';
const response = 'HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nDate: Wed, 02 Dec 2026 05:00:00 GMT\r\n' +
  'Content-Type: application/octet-stream\r\nContent-Length: 4096\r\nLast-Modified: Wed, 02 Dec 2026 04:00:00 GMT\r\n' +
  'Connection: keep-alive\r\nETag: "692e7000-1000"\r\nAccept-Ranges: bytes\r\n\r\n' + 'x'.repeat(4096);

/** Batch k: connection k opens, sends 50 requests and gets 50 responses, and closes. */
function batches(lib) {
  const enc = new TextEncoder();
  const c = enc.encode(request.repeat(EXCHANGES_PER_BATCH));
  const s = enc.encode(response.repeat(EXCHANGES_PER_BATCH));
  const out = [];
  for (let k = 1; k <= batchCount; k++) {
    const size = 4 * lib.EVENT_HEADER_BYTES + lib.OPEN_PAYLOAD_BYTES + c.length + s.length;
    const batch = new Uint8Array(size);
    const view = new DataView(batch.buffer);
    const ts = 1_700_000_000_000_000 + k * 1000;
    lib.writeEventHeader(view, 0, lib.KIND_OPEN, lib.OPEN_SAMPLED, lib.OPEN_PAYLOAD_BYTES, BigInt(k), ts);
    const ep = (ip, port) => ({ ...lib.parseIp(ip), port });
    lib.writeOpenPayload(view, lib.EVENT_HEADER_BYTES, ep('127.0.0.1', 40000 + (k % 20000)), ep('127.0.0.1', 8080));
    let at = lib.EVENT_HEADER_BYTES + lib.OPEN_PAYLOAD_BYTES;
    for (const [dir, bytes] of [[lib.DIR_CLIENT_TO_SERVER, c], [lib.DIR_SERVER_TO_CLIENT, s]]) {
      lib.writeEventHeader(view, at, lib.KIND_DATA, dir, bytes.length, BigInt(k), ts + 1);
      batch.set(bytes, at + lib.EVENT_HEADER_BYTES);
      at += lib.EVENT_HEADER_BYTES + bytes.length;
    }
    lib.writeEventHeader(view, at, lib.KIND_CLOSE, lib.CLOSE_FIN, 0, BigInt(k), ts + 2);
    out.push(batch);
  }
  return out;
}

/** The conns shape: N opens, N requests, N responses, again, N closes, in batches of at most 256 KiB. */
function connsBatches(lib) {
  const enc = new TextEncoder();
  const c = enc.encode(request);
  const s = enc.encode(response);
  const ep = (ip, port) => ({ ...lib.parseIp(ip), port });
  const events = [];  // [kind, arg, conn, payload bytes or null (open/close)]
  for (let k = 1; k <= connCount; k++) events.push([lib.KIND_OPEN, lib.OPEN_SAMPLED, k]);
  for (let x = 0; x < 2; x++) {
    for (let k = 1; k <= connCount; k++) events.push([lib.KIND_DATA, lib.DIR_CLIENT_TO_SERVER, k, c]);
    for (let k = 1; k <= connCount; k++) events.push([lib.KIND_DATA, lib.DIR_SERVER_TO_CLIENT, k, s]);
  }
  for (let k = 1; k <= connCount; k++) events.push([lib.KIND_CLOSE, lib.CLOSE_FIN, k]);
  const out = [];
  let batch = new Uint8Array(256 * 1024);
  let view = new DataView(batch.buffer);
  let at = 0;
  let ts = 1_700_000_000_000_000;
  for (const [kind, arg, k, bytes] of events) {
    const len = kind === lib.KIND_OPEN ? lib.OPEN_PAYLOAD_BYTES : kind === lib.KIND_DATA ? bytes.length : 0;
    if (at + lib.EVENT_HEADER_BYTES + len > batch.length) {
      out.push(batch.slice(0, at));
      batch = new Uint8Array(256 * 1024);
      view = new DataView(batch.buffer);
      at = 0;
    }
    lib.writeEventHeader(view, at, kind, arg, len, BigInt(k), ts += 10);
    if (kind === lib.KIND_OPEN) {
      const client = ep(`127.0.1.${1 + (k % 4)}`, 1024 + (k % 60000));
      lib.writeOpenPayload(view, at + lib.EVENT_HEADER_BYTES, client, ep('127.0.0.1', 8080));
    } else if (kind === lib.KIND_DATA) {
      batch.set(bytes, at + lib.EVENT_HEADER_BYTES);
    }
    at += lib.EVENT_HEADER_BYTES + len;
  }
  out.push(batch.slice(0, at));
  return out;
}
/** The addon's batches of a capture file, copied (each is valid only during its callback). */
async function captureBatches(file) {
  const { createRequire } = await import('node:module');
  const addon = createRequire(import.meta.url)(join(root, 'native', 'capture_shim.node'));
  const out = [];
  await new Promise((resolveEnd, reject) => addon.start({
    file, ports: [], snaplen: 262144, captureBufferBytes: 16 << 20, sampleRate: 1, maxConcurrentConnections: 100000,
    connectionIdleTimeoutMs: 60000, maxBufferedBytes: 128 << 20, batchBytes: 256 << 10, maxQueuedBytes: 5 * 256 << 10, reuseBatches: true,
  }, (batch) => out.push(batch.slice()), (err) => (err ? reject(err) : resolveEnd())));
  return out;
}
const fileBatches = captureFile === undefined ? undefined : await captureBatches(captureFile);
let exchangesPerPass = connCount > 0 ? 2 * connCount : EXCHANGES_PER_BATCH * batchCount;

const placements = { none: undefined, placement: { pod: 'web-7f9c4d-x2x8q', namespace: 'shop', podIp: '10.244.1.17', node: 'worker-2' } };
const runs = [];
for (const v of versions) {
  for (const [name, placement] of Object.entries(placements)) {
    const module = await v.lib.CoreModule.instantiate(v.wasm);
    const core = new v.lib.HttpCore(module, {
      maxBodySize: 1 << 20, maxBufferedBytes: 64 << 20, redactHeaders: ['authorization', 'cookie', 'set-cookie'],
      // Versions before the core's output was handed over as a view took how to allocate its copy.
      placement, byteOps: v.lib.pipeline.NODE_BYTE_OPS,
    });
    runs.push({ label: `${v.src} ${name}`, core, batches: fileBatches ?? (connCount > 0 ? connsBatches(v.lib) : batches(v.lib)), figures: [] });
  }
}
const pass = (run) => {
  let messages = 0;
  let bytes = 0;
  const read = (output) => {
    messages += output.count;
    bytes += output.jsonl.length;
  };
  for (const b of run.batches) {
    const fed = run.core.feed(b, read);
    if (typeof fed === 'object') read(fed.output); // versions that returned a copy of the output
  }
  return { messages, bytes };
};
for (const run of runs) {
  const t0 = process.cpuUsage();
  const { messages } = pass(run);
  const t = process.cpuUsage(t0);
  // A capture's exchanges: half its messages (each of its requests answered).
  if (fileBatches !== undefined) exchangesPerPass = messages / 2;
  run.first = ((t.user + t.system) / exchangesPerPass).toFixed(2);
}
for (let r = 0; r < rounds; r++) {
  for (const run of runs) {
    const t0 = process.cpuUsage();
    const { messages, bytes } = pass(run);
    const t = process.cpuUsage(t0);
    if (messages !== 2 * exchangesPerPass) throw new Error(`${run.label}: ${messages} messages`);
    run.figures.push(((t.user + t.system) / (messages / 2)).toFixed(2));
    run.bytes = bytes;
  }
}
for (const run of runs) console.log(`${run.label}: µs CPU per exchange ${run.figures.join(', ')}, first pass ${run.first} (${(run.bytes / exchangesPerPass).toFixed(0)} bytes of JSON lines per exchange)`);
