// What the RED metrics cost per message: `METRICS_BENCH_JSONL=FILE npx vitest bench --run test/metrics.bench.ts`
// (from ts/), FILE being the JSON lines of a capture (`node dist/cli.js --read bench/out/dense.pcap > FILE`).
// The lines are cut into blocks of about 256 KiB, as the pipeline hands them over, and read three ways:
// not at all (the split into lines alone), by ExchangeMetrics (the prefix before "headers" parsed,
// elapsedMs found in the tail), and by JSON.parse of every whole line (the callback output's way).
import { readFileSync } from 'node:fs';
import { Registry } from 'prom-client';
import { bench, describe } from 'vitest';
import { LIMITS } from '../src/config.js';
import { ExchangeMetrics } from '../src/metrics/exchanges.js';

const file = process.env.METRICS_BENCH_JSONL;
if (file === undefined) throw new Error('set METRICS_BENCH_JSONL to a file of message lines');
const all = readFileSync(file);
const blocks: Buffer[] = [];
for (let start = 0; start < all.length;) {
  let end = all.indexOf(0x0a, Math.min(all.length - 1, start + 256 * 1024));
  end = end < 0 ? all.length : end + 1;
  blocks.push(all.subarray(start, end));
  start = end;
}
const lines = all.toString('latin1').split('\n').length - 1;

function eachLine(block: Buffer, fn: (start: number, end: number) => void): void {
  for (let start = 0; start < block.length;) {
    let end = block.indexOf(0x0a, start);
    if (end < 0) end = block.length;
    fn(start, end);
    start = end + 1;
  }
}

describe(`${lines} message lines, ${(all.length / 1e6).toFixed(1)} MB, ${blocks.length} blocks`, () => {
  bench('split into lines only', () => {
    let n = 0;
    for (const b of blocks) eachLine(b, () => n++);
    if (n !== lines) throw new Error(`${n} lines`);
  }, { iterations: 10, warmupIterations: 2, time: 0 });

  bench('ExchangeMetrics.observe (metrics on)', () => {
    const m = new ExchangeMetrics(new Registry(), {
      routeTemplates: [], maxRoutes: 200, maxAwaiting: LIMITS.metrics.maxAwaitingResponses,
      durationBuckets: LIMITS.metrics.durationBucketsSeconds,
    });
    for (const b of blocks) m.observe(b);
  }, { iterations: 10, warmupIterations: 2, time: 0 });

  bench('JSON.parse of every whole line', () => {
    let n = 0;
    for (const b of blocks) eachLine(b, (s, e) => { if ((JSON.parse(b.toString('utf8', s, e)) as { exchange: number }).exchange > 0) n++; });
    if (n !== lines) throw new Error(`${n} lines`);
  }, { iterations: 10, warmupIterations: 2, time: 0 });
});
