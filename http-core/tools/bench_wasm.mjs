// Throughput of http_core.wasm under Node, fed like the TS engine adapter: batches of about
// 256 KiB copied into the module's input buffer, output read out and cleared after each call.
//
//   node bench_wasm.mjs HTTP_CORE_WASM CLIENT_FILE SERVER_FILE [REPEAT] [--core-only]
//                       [--redact-headers CSV] [--query-params CSV] [--body-fields CSV] [--conns N [--rounds R]]
//   node bench_wasm.mjs HTTP_CORE_WASM [REPEAT] --batches FILE [--core-only] [...]
// --batches FILE: the batches of a capture as the CLI's --read feeds them (dump_batches.mjs writes them:
// each a u32 little-endian length and its bytes), instead of the two files; MB/s then counts batch bytes.
// --redact-headers / --query-params / --body-fields configure the engine's redaction lists
// (http_core_engine_new, http_core_engine_configure) as the TS layer does with its defaults
// (docs/configuration.md, "Redaction").
// --conns N: the shape of bench/live.sh's conns scenario, as http-core-decode --conns builds it: N
// connections open at once, each carrying the two files (one exchange: make_bench_streams.mjs --nginx),
// every connection's client bytes, then every connection's server bytes, R times (default 2), then
// every close.
// --core-only leaves the output undecoded (its length is read, the buffer cleared): the figure to
// set beside the native http-core-decode --repeat, which does the same.
// Three untimed passes come first: V8 starts the module in its baseline compiler and moves hot
// functions (llhttp's large state machine first of all) to its optimising one in the background,
// which takes a while (see docs/performance.md); a sniffer runs for hours, so the figure is the
// steady state.
// The first pass alone is printed as firstPassMBps (wall) and firstPassCpuUsPerMessage: a fresh module's
// memory is touched for the first time there (page faults), as in a sniffer's first burst.
// memoryBytes: the module's linear memory after the first pass (it never shrinks; later passes reuse
// it), what the core needed for this shape (with --conns N: N connections open at once).
import { readFileSync } from 'node:fs';

const args = process.argv.slice(2);
const coreOnly = args.includes('--core-only');
const option = (name) => {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const value = args[i + 1];
  args.splice(i, 2);
  return value;
};
const redactHeaders = option('--redact-headers');
const batchFile = option('--batches');
const queryParams = option('--query-params');
const bodyFields = option('--body-fields');
const conns = Number(option('--conns') ?? 0);
const rounds = Number(option('--rounds') ?? 2);
const positional = args.filter((a) => a !== '--core-only');
const [wasmPath, clientPath, serverPath, repeatArg] = batchFile === undefined ? positional
  : [positional[0], undefined, undefined, positional[1]];
const repeat = Number(repeatArg ?? 5);
const client = clientPath === undefined ? new Uint8Array(0) : readFileSync(clientPath);
const server = serverPath === undefined ? new Uint8Array(0) : readFileSync(serverPath);
const { exports: x } = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(wasmPath)), {});
if (x._initialize) x._initialize();

function header(kind, arg, len, conn = 1n, ts = -1n) {
  const b = new Uint8Array(24);
  const v = new DataView(b.buffer);
  v.setUint8(0, kind); v.setUint8(1, arg); v.setUint32(4, len, true);
  v.setBigUint64(8, conn, true); v.setBigInt64(16, ts, true);
  return b;
}
const batches = [];
let parts = [], size = 0;
const push = (p) => { parts.push(p); size += p.length; };
const flush = () => { const b = new Uint8Array(size); let o = 0; for (const p of parts) { b.set(p, o); o += p.length; } batches.push(b); parts = []; size = 0; };
const cut = () => { if (size >= 262144) flush(); };
if (batchFile !== undefined) {
  const all = readFileSync(batchFile);
  for (let at = 0; at < all.length;) {
    const len = all.readUInt32LE(at);
    batches.push(new Uint8Array(all.subarray(at + 4, at + 4 + len)));
    at += 4 + len;
  }
} else if (conns > 0) {
  let ts = 1700000000000000n;
  for (let k = 1; k <= conns; k++) {
    const open = new Uint8Array(40);
    open[0] = 4;
    open.set([127, 0, 1, 1 + (k % 4)], 4); open.set([10, 0, 0, 2], 20);
    new DataView(open.buffer).setUint16(36, 1024 + (k % 60000), true);
    new DataView(open.buffer).setUint16(38, 8080, true);
    push(header(1, 1, 40, BigInt(k), ts += 10n)); push(open); cut();
  }
  for (let r = 0; r < rounds; r++) {
    for (const [dir, bytes] of [[0, client], [1, server]]) {
      for (let k = 1; k <= conns; k++) { push(header(2, dir, bytes.length, BigInt(k), ts += 10n)); push(bytes); cut(); }
    }
  }
  for (let k = 1; k <= conns; k++) { push(header(4, 0, 0, BigInt(k), ts += 10n)); cut(); }
} else {
  const open = new Uint8Array(40); open[0] = 4;
  push(header(1, 1, 40)); push(open);
  for (const [dir, bytes] of [[0, client], [1, server]]) {
    for (let off = 0; off < bytes.length; off += 65536) {
      const chunk = bytes.subarray(off, Math.min(off + 65536, bytes.length));
      push(header(2, dir, chunk.length)); push(chunk); cut();
    }
  }
  push(header(4, 0, 0));
}
if (batchFile === undefined) flush();

const decoder = new TextDecoder();
let messages = 0, outChars = 0;
let firstPassSecs = 0, firstPassCpu = 0, firstPassMessages = 0, memoryBytes = 0;
let cpu0 = process.cpuUsage();
const warmup = 3;
let t0 = performance.now();
for (let r = -warmup; r < repeat; r++) {
  if (r === -warmup + 1) {
    firstPassSecs = (performance.now() - t0) / 1000;
    const c = process.cpuUsage(cpu0);
    firstPassCpu = (c.user + c.system) / 1e6;
    firstPassMessages = messages;
    memoryBytes = x.memory.buffer.byteLength;
  }
  if (r === 0) { t0 = performance.now(); cpu0 = process.cpuUsage(); messages = 0; outChars = 0; }
  const names = new TextEncoder().encode(redactHeaders ?? '');
  const namesPtr = names.length ? x.http_core_input(names.length) : 0;
  if (names.length) new Uint8Array(x.memory.buffer, namesPtr, names.length).set(names);
  const h = x.http_core_engine_new(65536, 134217728, namesPtr, names.length);
  for (const [opt, csv] of [[1, queryParams], [2, bodyFields]]) {
    if (csv === undefined) continue;
    const text = new TextEncoder().encode(csv);
    const ptr = x.http_core_input(text.length);
    new Uint8Array(x.memory.buffer, ptr, text.length).set(text);
    if (x.http_core_engine_configure(h, opt, ptr, text.length) !== 0) throw new Error(`configure ${opt} refused`);
  }
  for (const b of batches) {
    const ptr = x.http_core_input(b.length);
    new Uint8Array(x.memory.buffer, ptr, b.length).set(b);
    if (x.http_core_engine_feed(h, ptr, b.length) !== 0) throw new Error('feed failed');
    if (coreOnly) {
      outChars += x.http_core_output_len(h);
    } else {
      const text = decoder.decode(new Uint8Array(x.memory.buffer, x.http_core_output_ptr(h), x.http_core_output_len(h)));
      outChars += text.length;
      for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) messages++;
    }
    x.http_core_output_clear(h);
  }
  if (coreOnly) {
    const p = x.http_core_engine_stats(h);
    const bytes = new Uint8Array(x.memory.buffer, p, new Uint8Array(x.memory.buffer, p).indexOf(0));
    const stats = JSON.parse(decoder.decode(bytes));
    messages += stats.requests + stats.responses;
  }
  x.http_core_engine_free(h);
}
const secs = (performance.now() - t0) / 1000;
// CPU time of the process as well (on a shared machine the wall clock also counts other work).
const cpu = process.cpuUsage(cpu0);
const cpuSecs = (cpu.user + cpu.system) / 1e6;
const passBytes = batchFile !== undefined ? batches.reduce((n, b) => n + b.length, 0)
  : (client.length + server.length) * (conns > 0 ? conns * rounds : 1);
const mb = passBytes * repeat / 1e6;
console.log(JSON.stringify({ bytes: passBytes, repeat, seconds: +secs.toFixed(3),
  MBps: +(mb / secs).toFixed(1), messagesPerSec: Math.round(messages / secs),
  firstPassMBps: +(passBytes / 1e6 / firstPassSecs).toFixed(1),
  firstPassCpuUsPerMessage: +(firstPassCpu * 1e6 / firstPassMessages).toFixed(3),
  cpuSeconds: +cpuSecs.toFixed(3), cpuMBps: +(mb / cpuSecs).toFixed(1),
  cpuUsPerMessage: +(cpuSecs * 1e6 / messages).toFixed(3), memoryBytes }));
