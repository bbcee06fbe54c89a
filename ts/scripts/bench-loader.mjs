// CPU per exchange of the core's loader (src/wasm/core.ts: the batch copied in, the core, the walk and copy
// of the JSON lines out) on the wrk load's exchanges (GET /4k, nginx's 9 headers, 4,096-byte body), 50
// kept-alive exchanges per connection per batch, with and without placement. Each SRC (a checkout's ts/src)
// is bundled and run in the same process, rounds interleaved, so two versions compare on one machine load.
//
// Usage: node scripts/bench-loader.mjs [--rounds R] [--batches B] SRC...
//   e.g. git archive main ts/src | tar -x -C /tmp/base && ln -s "$PWD/native" "$PWD/node_modules" /tmp/base/ts/ \
//        && node scripts/bench-loader.mjs /tmp/base/ts/src src
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';
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
if (args.length === 0) {
  console.error('bench-loader: give one or more ts/src directories (see the usage at the top of this file)');
  process.exit(1);
}

const wasm = await WebAssembly.compile(readFileSync(join(root, 'native', 'http_core.wasm')));
const versions = [];
for (const [i, src] of args.entries()) {
  const outfile = `/tmp/bench-loader-${process.pid}-${i}.mjs`;
  await build({
    stdin: {
      contents: `export * from ${JSON.stringify(resolve(src, 'wasm/core.ts'))};
export * from ${JSON.stringify(resolve(src, 'wasm/events.ts'))};
export { NODE_BYTE_OPS } from ${JSON.stringify(resolve(src, 'pipeline.ts'))};`,
      resolveDir: resolve(src), loader: 'ts',
    },
    bundle: true, platform: 'node', format: 'esm', outfile, logLevel: 'error', loader: { '.wasm': 'binary' },
  });
  versions.push({ src, lib: await import(pathToFileURL(outfile).href) });
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

const placements = { none: undefined, placement: { pod: 'web-7f9c4d-x2x8q', namespace: 'shop', podIp: '10.244.1.17', node: 'worker-2' } };
const runs = [];
for (const v of versions) {
  for (const [name, placement] of Object.entries(placements)) {
    const module = await v.lib.CoreModule.instantiate(wasm);
    const core = new v.lib.HttpCore(module, {
      maxBodySize: 1 << 20, maxBufferedBytes: 64 << 20, redactHeaders: ['authorization', 'cookie', 'set-cookie'],
      placement, byteOps: v.lib.NODE_BYTE_OPS,
    });
    runs.push({ label: `${v.src} ${name}`, core, batches: batches(v.lib), figures: [] });
  }
}
const pass = (run) => {
  let messages = 0;
  let bytes = 0;
  for (const b of run.batches) {
    const { output } = run.core.feed(b);
    messages += output.count;
    bytes += output.jsonl.length;
  }
  return { messages, bytes };
};
for (const run of runs) pass(run); // V8's tiers warm up
for (let r = 0; r < rounds; r++) {
  for (const run of runs) {
    const t0 = process.cpuUsage();
    const { messages, bytes } = pass(run);
    const t = process.cpuUsage(t0);
    if (messages !== 2 * EXCHANGES_PER_BATCH * batchCount) throw new Error(`${run.label}: ${messages} messages`);
    run.figures.push(((t.user + t.system) / (messages / 2)).toFixed(2));
    run.bytes = bytes;
  }
}
for (const run of runs) console.log(`${run.label}: µs CPU per exchange ${run.figures.join(', ')} (${(run.bytes / run.batches.length / EXCHANGES_PER_BATCH).toFixed(0)} bytes of JSON lines per exchange)`);
