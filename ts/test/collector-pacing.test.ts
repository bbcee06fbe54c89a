// The collector output against a real HTTPS collector that pushes back (503 with Retry-After), goes down
// (503s, then connection refused) and recovers: retries wait as told, the breaker stops the attempts
// while it is down (counted at the collector), and delivery resumes with every drop counted.
import { describe, expect, it, vi } from 'vitest';
import { createLogger } from '../src/log.js';
import type { HttpsOutput, HttpsOutputOptions } from '../src/outputs/https.js';
import { until, useCollectorHarness, type Answer, type Collector } from './collector.js';

const newLog = () => {
  const records: Array<Record<string, unknown>> = [];
  const log = createLogger({ level: 'debug', write: (l) => records.push(JSON.parse(l)) });
  return { log, records };
};
const body = (i: number): string => JSON.stringify({ direction: 'request', method: 'GET', path: `/m/${i}` });
const send = (out: HttpsOutput, i: number): void => out.deliver(Buffer.from(body(i) + '\n'), 1);

const harness = useCollectorHarness();
const collector = (respond: (i: number) => Answer, port = 0): Promise<Collector> => harness.collector(respond, port);
const output = (c: Collector, opts: Partial<HttpsOutputOptions>, log = newLog().log): HttpsOutput =>
  harness.output(c.url, 'tok', log, opts);

describe('Retry-After', () => {
  // Timers and the clock are faked, the network is real: "not before N ms" is checked exactly.
  const fake = (): void => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    vi.setSystemTime(Math.ceil(Date.now() / 1000) * 1000 + 1000); // a whole second: HTTP-dates are exact
  };
  const afterHold = async (c: Collector, out: HttpsOutput, holdMs: number, requestsBefore: number): Promise<void> => {
    await until(() => vi.getTimerCount() > 0 && out.stats().inFlight === 0, 'the retry is scheduled');
    vi.advanceTimersByTime(holdMs - 1);
    expect(out.stats().inFlight).toBe(0); // neither the retry nor the message queued behind it went
    expect(c.requests).toHaveLength(requestsBefore);
    vi.advanceTimersByTime(1);
    expect(out.stats().inFlight).toBeGreaterThan(0);
  };

  it('in seconds: the retry, and every other message, waits exactly that long instead of the jittered 1 s', async () => {
    fake();
    const c = await collector((i) => (i === 0 ? { status: 503, headers: { 'retry-after': '3' } } : 200));
    const out = output(c, { random: () => 0 }); // the jittered wait alone would be 0 ms
    send(out, 0);
    await until(() => out.stats().retries === 1, 'the 503 is read');
    send(out, 1); // queued behind the hold
    await afterHold(c, out, 3000, 1);
    await until(() => out.stats().delivered === 2, 'both delivered');
    expect(c.requests.map((r) => [r.status, r.body])).toEqual([[503, body(0)], [200, body(0)], [200, body(1)]]);
    expect(out.stats()).toMatchObject({ retries: 1, attempts: 3, failed: 0, dropped: 0 });
  });

  it('as an HTTP-date, and never longer than maxRetryAfterMs', async () => {
    fake();
    const at = (ms: number): string => new Date(Date.now() + ms).toUTCString();
    const c = await collector((i) => [
      { status: 429, headers: { 'retry-after': at(4000) } },
      { status: 503, headers: { 'retry-after': at(3_600_000) } }, // an hour: cut to the bound
    ][i] ?? 200);
    const out = output(c, { random: () => 0, maxRetryAfterMs: 7000 });
    send(out, 0);
    await c.waitFor(1);
    await afterHold(c, out, 4000, 1);
    await c.waitFor(2);
    await afterHold(c, out, 7000, 2);
    await until(() => out.stats().delivered === 1, 'delivered');
    expect(c.requests.map((r) => r.status)).toEqual([429, 503, 200]);
  });
});

describe('circuit breaker', () => {
  it('stops sending while the collector is down, probes it, and resumes after recovery with every drop counted', async () => {
    let down = true;
    const c = await collector(() => (down ? 503 : 200));
    const { log, records } = newLog();
    // One request at a time so every attempt is accounted for; small waits so the test runs fast.
    const out = output(c, {
      maxSockets: 1, maxQueued: 20, retryDelaysMs: [5, 5, 5], breaker: { failureThreshold: 3, coolDownMs: 40 },
    }, log);
    const offered = 60;
    for (let i = 0; i < 10; i++) send(out, i);

    // Down, answering 503: three attempts open the breaker, then one probe per cool-down.
    await until(() => out.stats().probes >= 3, 'three probes');
    let s = out.stats();
    expect(c.requests).toHaveLength(s.attempts);
    expect(s.attempts).toBe(3 + s.probes); // without the breaker: up to 10 messages × 4 attempts
    expect(s.breakerOpened).toBe(1 + s.probes - s.inFlight); // each settled probe failed and reopened it
    expect(s.delivered).toBe(0);

    // Down, refusing connections: still only the probes go out.
    const port = c.port;
    await harness.stop(c);
    for (let i = 10; i < offered; i++) send(out, i);
    const before = out.stats();
    await until(() => out.stats().probes >= before.probes + 3, 'three more probes');
    s = out.stats();
    expect(s.attempts - before.attempts).toBe(s.probes - before.probes);
    expect(s.dropped).toBeGreaterThan(0); // the queue bound held while it was down
    expect(s.queued).toBeLessThanOrEqual(20);

    // Back up on the same port: the next probe closes the breaker and the queue drains.
    down = false;
    const back = await collector(() => 200, port);
    await until(() => out.stats().queued === 0, 'queue drained');
    s = out.stats();
    expect(s.breakerOpen).toBe(0);
    expect(s.delivered).toBeGreaterThan(0);
    expect(s.delivered + s.failed + s.dropped).toBe(offered);
    expect(new Set(back.requests.map((r) => r.body)).size).toBe(s.delivered);
    const messages = records.map((r) => r.message);
    expect(messages).toContain('collector unreachable; sending paused until a probe succeeds');
    expect(messages).toContain('collector answers again; deliveries resume');
    expect(messages).toContain('collector queue is full; message dropped');
  });

  it('is off when reading a file: the pipeline waits there, so each message fails after its retries instead', async () => {
    const c = await collector(() => 503);
    const out = output(c, { waitWhenFull: true, retryDelaysMs: [1, 1, 1], breaker: { failureThreshold: 2, coolDownMs: 60_000 } });
    for (let i = 0; i < 5; i++) send(out, i);
    await until(() => out.stats().failed === 5, 'every message failed');
    expect(out.stats()).toMatchObject({ attempts: 20, breakerOpened: 0, probes: 0 });
    expect(c.requests).toHaveLength(20);
  });
});
