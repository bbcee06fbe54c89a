// Output throughput on this machine: `npx vitest bench --run test/outputs.bench.ts` (from ts/).
// Each iteration hands BATCH messages to an output and waits until they are all delivered.
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, bench, describe } from 'vitest';
import { createLogger } from '../src/log.js';
import { HttpsOutput } from '../src/outputs/https.js';
import { StdoutOutput } from '../src/outputs/index.js';
import type { HttpMessage } from '../src/types.js';
import { Collector, makeCertificate } from './collector.js';

const BATCH = 2000; // https
const LINES = 20_000; // stdout: ~8 MB, well past the 1 MiB pause mark
const log = createLogger({ level: 'error', write: () => {} });
const msg: HttpMessage = {
  timestamp: '2026-01-01T00:00:00.000000Z', direction: 'request', receiver: { ip: '10.0.0.1', port: 8080 },
  destination: { ip: '10.0.0.1', port: 8080 }, source: { ip: '10.0.0.2', port: 40000 }, connectionId: '1',
  exchange: 1, httpVersion: '1.1', method: 'GET', path: '/api/orders?page=2',
  headers: { host: 'shop', 'user-agent': 'bench', accept: 'application/json' }, bodySize: 0, bodyTruncated: false,
};
const line = JSON.stringify(msg); // ~330 bytes
/** One message as the pipeline hands it over. */
const block = Buffer.from(line + '\n');

let collector: Collector;
const reader = spawn('cat', [], { stdio: ['pipe', 'ignore', 'inherit'] });
let cert: ReturnType<typeof makeCertificate>;
beforeAll(async () => {
  cert = makeCertificate();
  collector = await new Collector(cert).start();
});
afterAll(async () => {
  reader.stdin.end();
  await collector.close();
});

describe(`outputs, messages of ${line.length} bytes`, () => {
  bench(`https: ${BATCH} messages, one POST each to a local TLS collector (8 kept-alive connections)`, async () => {
    const out = new HttpsOutput(new URL(collector.url), 'bench-token', log, { ca: cert.cert });
    for (let i = 0; i < BATCH; i++) out.deliver(block, 1);
    await out.drain(Date.now() + 60_000);
    if (out.stats().delivered !== BATCH) throw new Error(`delivered ${out.stats().delivered}`);
  }, { iterations: 5, warmupIterations: 1, time: 0 });

  bench(`stdout: ${LINES} JSON lines into a pipe read by cat > /dev/null`, async () => {
    const out = new StdoutOutput(log, { stream: reader.stdin as never });
    for (let i = 0; i < LINES; i++) {
      const wait = out.ready();
      if (wait) await wait;
      out.deliver(block, 1);
    }
    await out.drain(Date.now() + 60_000);
    if (out.stats().delivered !== LINES) throw new Error(`delivered ${out.stats().delivered}`);
  }, { iterations: 20, warmupIterations: 2, time: 0 });
});
