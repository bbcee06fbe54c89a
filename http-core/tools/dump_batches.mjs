// Writes the stream-event batches the capture addon makes of a capture file, as the CLI's --read feeds
// them to the core (256 KiB batches, every TCP connection unless PORT is given), to OUT: each batch as
// a u32 little-endian length and its bytes. bench_wasm.mjs and http-core-decode take the file with
// --batches, to measure the core alone on a real capture (docs/performance.md, "HTTP core").
//
//   node dump_batches.mjs ts/native/capture_shim.node CAPTURE OUT [PORT]
import { createRequire } from 'node:module';
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';

const [addonPath, file, out, port] = process.argv.slice(2);
if (out === undefined) {
  console.error('usage: node dump_batches.mjs CAPTURE_SHIM_NODE CAPTURE OUT [PORT]');
  process.exit(2);
}
const addon = createRequire(import.meta.url)(resolve(addonPath));
const parts = [];
await new Promise((resolveEnd, reject) => addon.start({
  file, ports: port ? [Number(port)] : [], snaplen: 262144, captureBufferBytes: 16 << 20, sampleRate: 1,
  maxConcurrentConnections: 100000, connectionIdleTimeoutMs: 60000, maxBufferedBytes: 128 << 20,
  batchBytes: 256 << 10, maxQueuedBytes: 5 * 256 << 10, reuseBatches: true,
}, (batch) => {
  const len = Buffer.alloc(4);
  len.writeUInt32LE(batch.length);
  parts.push(len, Buffer.from(batch));  // copied: a batch is valid only during its callback
}, (err) => (err ? reject(err) : resolveEnd())));
writeFileSync(out, Buffer.concat(parts));
console.log(`${parts.length / 2} batches, ${parts.reduce((n, p) => n + p.length, 0)} bytes`);
