// The https output against a real local HTTPS collector.
import { afterAll, describe, expect, it, vi } from 'vitest';
import { validateConfig } from '../src/config.js';
import { createLogger } from '../src/log.js';
import { HttpsOutput } from '../src/outputs/https.js';
import { createOutputs } from '../src/outputs/index.js';
import type { HttpMessage } from '../src/types.js';
import { closedPort, until, useCollectorHarness, type Collector } from './collector.js';

const TOKEN = 'tsn-test-token-5f3a9c';
const allLines: string[] = [];
// No secrets given to the logger: the output itself must never log the token; the scrubber is only a
// last line of defence and would hide a leak from this test.
const newLog = () => {
  const lines: string[] = [];
  const log = createLogger({ level: 'debug', write: (l) => { lines.push(l); allLines.push(l); } });
  return { log, lines };
};

const message = (i: number): HttpMessage => ({
  timestamp: '2026-01-01T00:00:00.000000Z', direction: 'request', receiver: { ip: '10.0.0.1', port: 8080 },
  destination: { ip: '10.0.0.1', port: 8080 }, source: { ip: '10.0.0.2', port: 40000 + i }, connectionId: String(i),
  exchange: 1, httpVersion: '1.1', method: 'POST', path: `/orders/${i}`, headers: { 'content-type': 'application/json' },
  body: '{"n":1}', bodyEncoding: 'utf8', bodySize: 7, bodyTruncated: false,
});
/** One message as the pipeline hands it over: its JSON line, newline-terminated. */
const lineOf = (m: HttpMessage): Buffer => Buffer.from(JSON.stringify(m) + '\n');
const send = (out: HttpsOutput, i: number): string => {
  const line = JSON.stringify(message(i));
  out.deliver(Buffer.from(line + '\n'), 1);
  return line;
};
const harness = useCollectorHarness();
const collector = (respond?: (i: number) => number): Promise<Collector> => harness.collector(respond);
const output = (url: string, opts: ConstructorParameters<typeof HttpsOutput>[3] = {}, log = newLog().log): HttpsOutput =>
  harness.output(url, TOKEN, log, opts);

afterAll(() => {
  expect(allLines.length).toBeGreaterThan(0);
  for (const l of allLines) expect(l).not.toContain(TOKEN);
});

describe('https output', () => {
  it('POSTs one JSON message per request with the bearer token, over kept-alive connections', async () => {
    const c = await collector();
    const out = output(c.url, { maxSockets: 2 });
    const lines = Array.from({ length: 40 }, (_, i) => send(out, i));
    await out.drain(Date.now() + 20_000);
    expect(c.requests).toHaveLength(40);
    for (const r of c.requests) {
      expect(r.method).toBe('POST');
      expect(r.url).toBe('/ingest');
      expect(r.headers.authorization).toBe(`Bearer ${TOKEN}`);
      expect(r.headers['content-type']).toBe('application/json');
      expect(Number(r.headers['content-length'])).toBe(Buffer.byteLength(r.body));
    }
    expect(c.requests.map((r) => r.body).sort()).toEqual([...lines].sort());
    expect(JSON.parse(c.requests[0]!.body)).toMatchObject({ direction: 'request', receiver: { port: 8080 }, method: 'POST' });
    // Kept alive: 40 requests, at most 2 connections.
    expect(new Set(c.requests.map((r) => r.connection)).size).toBeLessThanOrEqual(2);
    expect(out.stats()).toMatchObject({ delivered: 40, failed: 0, dropped: 0, retries: 0, queued: 0 });
  });

  it('splits a block of JSON lines into one POST per message, each body its line, copied before the block is reused', async () => {
    const c = await collector();
    const out = output(c.url, { maxSockets: 1 });
    // Non-ASCII bodies: lines are split on bytes, not characters.
    const lines = [0, 1, 2].map((i) => JSON.stringify({ ...message(i), body: `é "q" ${i}` }));
    const block = Buffer.from(lines.map((l) => l + '\n').join(''));
    out.deliver(block, 3);
    block.fill(0x78); // the pipeline reuses its block once deliver returns
    await out.drain(Date.now() + 10_000);
    expect(c.requests.map((r) => r.body)).toEqual(lines);
    expect(out.stats()).toMatchObject({ delivered: 3, failed: 0, dropped: 0 });
  });

  it('sends no authorization header without a token', async () => {
    const c = await collector();
    const out = harness.output(c.url, undefined, newLog().log);
    send(out, 1);
    await out.drain(Date.now() + 10_000);
    expect(c.requests[0]!.headers.authorization).toBeUndefined();
  });

  it('retries 5xx three times after a fully jittered wait of up to 1 s, 2 s and 4 s, then delivers', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const c = await collector((i) => (i < 3 ? 503 : 200));
    const { log, lines } = newLog();
    // The jitter's source pinned: each wait is that fraction of its bound.
    const draws = [0.25, 0.5, 0.999];
    const out = output(c.url, { random: () => draws.shift() ?? 0 }, log);
    const line = send(out, 7);
    for (const [n, delay] of [[1, 250], [2, 1000], [3, 3996]] as const) {
      await c.waitFor(n);
      await until(() => vi.getTimerCount() === 1); // the retry is scheduled
      expect(out.stats()).toMatchObject({ retries: n, delivered: 0, inFlight: 0, queued: 1 });
      vi.advanceTimersByTime(delay - 1);
      expect(vi.getTimerCount()).toBe(1); // not yet
      expect(out.stats().inFlight).toBe(0);
      vi.advanceTimersByTime(1);
      expect(vi.getTimerCount()).toBe(0);
      expect(out.stats().inFlight).toBe(1); // the retry went out exactly at the delay
    }
    await c.waitFor(4);
    await until(() => out.stats().delivered === 1);
    expect(c.requests.map((r) => r.status)).toEqual([503, 503, 503, 200]);
    expect(new Set(c.requests.map((r) => r.body))).toEqual(new Set([line]));
    expect(out.stats()).toMatchObject({ delivered: 1, failed: 0, dropped: 0, retries: 3, queued: 0 });
    expect(lines.some((l) => JSON.parse(l).message.includes('retrying'))).toBe(true);
  });

  it('gives up after 3 retries and counts the message as failed', async () => {
    const c = await collector(() => 500);
    const { log, lines } = newLog();
    const out = output(c.url, { retryDelaysMs: [1, 1, 1] }, log);
    send(out, 1);
    await until(() => out.stats().failed === 1);
    expect(c.requests).toHaveLength(4);
    expect(out.stats()).toMatchObject({ delivered: 0, failed: 1, retries: 3, queued: 0, queuedBytes: 0 });
    const gaveUp = lines.map((l) => JSON.parse(l)).find((r) => r.message.includes('did not accept'));
    expect(gaveUp).toMatchObject({ level: 'warn', status: 500, attempts: 4 });
  });

  it('retries 429 but not other 4xx', async () => {
    const c = await collector((i) => [429, 200, 400, 401][i] ?? 200);
    const out = output(c.url, { maxSockets: 1, retryDelaysMs: [1, 1, 1] });
    send(out, 1);
    await until(() => out.stats().delivered === 1);
    send(out, 2);
    send(out, 3);
    await until(() => out.stats().failed === 2);
    expect(c.requests.map((r) => r.status)).toEqual([429, 200, 400, 401]);
    expect(out.stats()).toMatchObject({ delivered: 1, failed: 2, retries: 1 });
  });

  it('retries network errors: a collector that comes up late still gets the message', async () => {
    const port = await closedPort();
    const out = output(`https://127.0.0.1:${port}/ingest`, { retryDelaysMs: [200, 200, 5000] });
    const line = send(out, 1);
    await until(() => out.stats().retries >= 1);
    const c = await harness.collector(undefined, port);
    await out.drain(Date.now() + 20_000);
    expect(c.requests.map((r) => r.body)).toEqual([line]);
    expect(out.stats()).toMatchObject({ delivered: 1, dropped: 0, failed: 0 });
  });

  it('stays bounded while the collector is down for the whole run, counting every drop', async () => {
    const port = await closedPort();
    const { log, lines } = newLog();
    const maxQueuedBytes = 4 * 1024 * 1024;
    const out = output(`https://127.0.0.1:${port}/ingest`, { maxQueued: 5000, maxQueuedBytes }, log);
    const pad = 'x'.repeat(2000);
    const before = process.memoryUsage();
    const offered = 100_000; // ~200 MB offered
    let maxQueued = 0;
    for (let i = 0; i < offered; i++) {
      const m = { ...message(i), body: pad + i };
      out.deliver(lineOf(m), 1);
      if (i % 1000 === 0) {
        maxQueued = Math.max(maxQueued, out.stats().queued);
        await new Promise((r) => setImmediate(r)); // let requests fail and retries be scheduled
      }
    }
    const s = out.stats();
    expect(s.queuedBytes).toBeLessThanOrEqual(maxQueuedBytes);
    expect(s.queued).toBeLessThanOrEqual(5000);
    expect(maxQueued).toBeLessThanOrEqual(5000);
    expect(s.dropped + s.queued + s.failed + s.delivered).toBe(offered);
    expect(s.dropped).toBeGreaterThan(offered - 5000);
    const after = process.memoryUsage();
    const grown = after.heapUsed + after.arrayBuffers - (before.heapUsed + before.arrayBuffers);
    expect(grown).toBeLessThan(64 * 1024 * 1024); // the 200 MB offered did not pile up
    // Drops are logged, rate-limited: a handful of lines, not one per message.
    const dropLines = lines.filter((l) => l.includes('queue is full'));
    expect(dropLines.length).toBeGreaterThanOrEqual(1);
    expect(dropLines.length).toBeLessThan(20);

    await out.drain(Date.now() + 100);
    const end = out.stats();
    expect(end).toMatchObject({ delivered: 0, queued: 0, queuedBytes: 0, inFlight: 0 });
    expect(end.dropped + end.failed).toBe(offered);
    expect(lines.some((l) => l.includes('drain deadline passed'))).toBe(true);
  });

  it('drain waits for queued messages, and drops (counts, logs) what is left at the deadline', async () => {
    const c = await collector((i) => (i === 0 ? 503 : 200));
    const { log, lines } = newLog();
    const out = output(c.url, { maxSockets: 1, retryDelaysMs: [60_000, 60_000, 60_000] }, log);
    for (let i = 0; i < 5; i++) send(out, i);
    // The first message waits a minute to retry; the others are delivered; the deadline cuts the wait.
    await until(() => out.stats().delivered === 4);
    await out.drain(Date.now() + 300);
    expect(out.stats()).toMatchObject({ delivered: 4, dropped: 1, queued: 0 });
    expect(lines.map((l) => JSON.parse(l)).find((r) => r.message.includes('drain deadline'))).toMatchObject({ dropped: 1 });
    // After drain the output is closed: later messages are dropped and counted, not sent.
    send(out, 9);
    expect(out.stats().dropped).toBe(2);
    expect(c.requests).toHaveLength(5);
  });

  it('reading a file, asks the pipeline to wait instead of dropping; live, never waits and drops', async () => {
    const c = await collector();
    const fileCfg = validateConfig({ captureFile: 'any.pcap', outputUrl: c.url }, {});
    const offline = harness.keep((await createOutputs(fileCfg, newLog().log, { https: { ca: harness.cert.cert, maxQueued: 10 } }))[0]!);
    let waits = 0;
    for (let i = 0; i < 200; i++) {
      const wait = offline.ready();
      if (wait) {
        waits++;
        expect(offline.stats().queued).toBeGreaterThanOrEqual(9);
        await wait;
        expect(offline.stats().queued).toBeLessThan(5);
      }
      const m = message(i);
      offline.deliver(lineOf(m), 1);
    }
    await offline.drain(Date.now() + 30_000);
    expect(waits).toBeGreaterThan(0);
    expect(offline.stats()).toMatchObject({ delivered: 200, dropped: 0, failed: 0 });

    const liveCfg = validateConfig({ ports: [8080], outputUrl: c.url }, {});
    const live = harness.keep((await createOutputs(liveCfg, newLog().log, { https: { ca: harness.cert.cert, maxQueued: 10 } }))[0]!);
    for (let i = 0; i < 50; i++) {
      expect(live.ready()).toBeNull();
      const m = message(i);
      live.deliver(lineOf(m), 1);
    }
    expect(live.stats().dropped).toBe(40);
    await live.drain(Date.now() + 30_000);
    expect(live.stats()).toMatchObject({ delivered: 10, dropped: 40 });
  });

  it('is built by createOutputs from a validated config', async () => {
    const c = await collector();
    const cfg = validateConfig({ ports: [8080], outputUrl: c.url, outputUrlAuthToken: TOKEN }, { TCP_SNIFFER_PRODUCTION: '1' });
    const outs = await createOutputs(cfg, newLog().log, { https: { ca: harness.cert.cert } });
    expect(outs.map((o) => o.name)).toEqual(['https']);
    const m = message(3);
    outs[0]!.deliver(lineOf(m), 1);
    await outs[0]!.drain(Date.now() + 10_000);
    expect(c.requests[0]!.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(JSON.parse(c.requests[0]!.body)).toEqual(m);
  });
});
