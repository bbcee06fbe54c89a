// createSniffer as users get it (dist/index.js, the real addon, the embedded .wasm): offline on a capture
// made at test time with tcpdump, and live on lo while a real server and client talk.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import type * as Api from '../src/index.js';
import type { HttpMessage } from '../src/types.js';
import {
  ADDON, captureDemo, DEMO_REQUESTS, DIST, requireArtifacts, requireFromHere, runRequests, serve, tempDir, waitFor,
} from './runtime-support.js';

let api: typeof Api;
let capture: string;
let capturePort: number;

beforeAll(async () => {
  requireArtifacts(join(DIST, 'index.js'), ADDON); // the .wasm is embedded in dist/
  api = requireFromHere(join(DIST, 'index.js')) as typeof Api;
  capture = join(tempDir('sniffer'), 'demo.pcap');
  ({ port: capturePort } = await captureDemo(capture, 2));
});

describe('offline (captureFile)', () => {
  it('emits every request and response of the capture, then done() resolves', async () => {
    const got: HttpMessage[] = [];
    const sniffer = api.createSniffer({ captureFile: capture, ports: [capturePort], onHttpMessage: (m) => void got.push(m) });
    expect(sniffer.isRunning()).toBe(false);
    await sniffer.start();
    await sniffer.done();
    expect(sniffer.isRunning()).toBe(false);
    const reqs = got.filter((m) => m.direction === 'request');
    const resps = got.filter((m) => m.direction === 'response');
    const paths = DEMO_REQUESTS.map((r) => r.path);
    expect(reqs.map((m) => m.path)).toEqual([...paths, ...paths]);
    expect(resps.map((m) => m.statusCode)).toEqual(Array(10).fill(200));
    // Two connections, five exchanges each, ids distinct.
    const ids = [...new Set(got.map((m) => m.connectionId))];
    expect(ids).toHaveLength(2);
    for (const id of ids) {
      expect(got.filter((m) => m.connectionId === id && m.direction === 'response').map((m) => m.exchange)).toEqual([1, 2, 3, 4, 5]);
    }
    for (const m of got) {
      expect(m.receiver).toEqual({ ip: '127.0.0.1', port: capturePort });
      expect(m.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    }
    for (const r of resps) expect(r.elapsedMs).toBeGreaterThanOrEqual(0);
    expect(reqs[0]!.headers.authorization).toBe('[REDACTED]');
    const stats = sniffer.stats();
    expect(stats.messages).toBe(20);
    expect(stats.outputs.callback?.delivered).toBe(20);
    await sniffer.stop(); // idempotent after the end of the file
  });

  it('decodes every TCP connection when no ports are given, and adds placement', async () => {
    const got: HttpMessage[] = [];
    const placement = { pod: 'web-1', namespace: 'shop', node: 'n1' };
    const sniffer = api.createSniffer({ captureFile: capture, placement, onHttpMessage: (m) => void got.push(m) });
    await sniffer.start();
    await sniffer.done();
    expect(got).toHaveLength(20);
    expect(got.every((m) => JSON.stringify(m.placement) === JSON.stringify(placement))).toBe(true);
    expect(got[0]!.receiver.port).toBe(capturePort);
  });

  it('waits for callbacks that return promises before done() resolves', async () => {
    let settled = 0;
    const sniffer = api.createSniffer({
      captureFile: capture,
      ports: [capturePort],
      onHttpMessage: () => new Promise<void>((r) => setTimeout(() => (settled++, r()), 20)),
    });
    await sniffer.start();
    await sniffer.done();
    expect(settled).toBe(20);
  });

  it('warns at start when no output is configured, and logs start and stop without secrets', async () => {
    const lines: string[] = [];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    try {
      const sniffer = api.createSniffer({ captureFile: capture, placement: { pod: 'p1' } });
      await sniffer.start();
      await sniffer.done();
      expect(sniffer.stats().messages).toBe(20);
    } finally {
      spy.mockRestore();
    }
    const logs = lines.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    const warn = logs.find((l) => l.level === 'warn' && /no output/.test(String(l.message)));
    expect(warn).toBeDefined();
    const start = logs.find((l) => l.message === 'starting')!;
    expect(start.captureFile).toBe(capture);
    expect(start.placement).toEqual({ pod: 'p1' });
    const stopped = logs.find((l) => l.message === 'stopped') as { messages: number; capture: Record<string, number> };
    expect(stopped.messages).toBe(20);
    expect(stopped.capture.packetsSeen).toBeGreaterThan(0);
  });

  it('never logs the collector token', async () => {
    const lines: string[] = [];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    const token = 'tok-3f9a8b7c6d5e4f3a2b1c';
    try {
      // A collector nobody listens on: deliveries fail fast and are logged, the drain ends at its deadline.
      const sniffer = api.createSniffer({
        captureFile: capture, outputUrl: 'https://127.0.0.1:9/ingest', outputUrlAuthToken: token, drainTimeoutMs: 500,
      });
      await sniffer.start();
      await sniffer.done();
    } finally {
      spy.mockRestore();
    }
    const text = lines.join('');
    expect(text).toContain('"starting"');
    expect(text).not.toContain(token);
  });

  it('stop ends at drainTimeoutMs: what is undelivered then is dropped, counted and logged', async () => {
    const lines: string[] = [];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    let stats: Api.SnifferStats;
    try {
      // The callback's promises never settle: done() resolving at all shows the deadline ended the drain.
      const sniffer = api.createSniffer({
        captureFile: capture, ports: [capturePort], drainTimeoutMs: 300,
        onHttpMessage: () => new Promise<void>(() => undefined), // never settles
      });
      await sniffer.start();
      await sniffer.done();
      stats = sniffer.stats();
    } finally {
      spy.mockRestore();
    }
    expect(stats.messages).toBe(20);
    expect(stats.outputs.callback?.dropped).toBe(20);
    expect(lines.join('')).toMatch(/drain deadline passed/);
  });

  it('names captureFile when the file does not exist', async () => {
    const sniffer = api.createSniffer({ captureFile: '/nonexistent/x.pcap', onHttpMessage: () => undefined });
    const err = await sniffer.start().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(api.ValidationError);
    expect((err as Api.ValidationError).field).toBe('captureFile');
  });

  it("reports libpcap's own message for a file that is not a capture", async () => {
    const notPcap = join(tempDir('sniffer'), 'not.pcap');
    writeFileSync(notPcap, 'this is not a capture file at all, just text\n'.repeat(10));
    const sniffer = api.createSniffer({ captureFile: notPcap, onHttpMessage: () => undefined });
    const err = (await sniffer.start().catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(Error);
    expect(err).not.toBeInstanceOf(api.ValidationError);
    expect(err.message).toMatch(/format|magic|not/i);
    expect(sniffer.isRunning()).toBe(false);
    await sniffer.stop();
  });
});

describe('configuration errors', () => {
  it('createSniffer throws a ValidationError naming the field and the rule', () => {
    try {
      api.createSniffer({ ports: [0], onHttpMessage: () => undefined });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(api.ValidationError);
      expect((e as Api.ValidationError).field).toBe('ports');
      expect((e as Api.ValidationError).rule).toMatch(/1-65535/);
    }
    expect(() => api.createSniffer({ onHttpMessage: () => undefined })).toThrow(/ports/);
  });

  it('an interface that does not exist is a ValidationError listing those that do', async () => {
    const sniffer = api.createSniffer({ interface: 'nosuch0', ports: [80], onHttpMessage: () => undefined });
    const err = (await sniffer.start().catch((e: unknown) => e)) as Api.ValidationError;
    expect(err).toBeInstanceOf(api.ValidationError);
    expect(err.field).toBe('interface');
    expect(err.message).toContain('nosuch0');
    expect(err.message).toMatch(/\blo\b/);
  });
});

describe('live on lo', () => {
  it('captures a real exchange, then stop() drains and is idempotent', async () => {
    const target = await serve();
    const got: HttpMessage[] = [];
    const sniffer = api.createSniffer({ interface: 'lo', ports: [target.port], onHttpMessage: (m) => void got.push(m) });
    try {
      await sniffer.start();
      expect(sniffer.isRunning()).toBe(true);
      await runRequests(target.port);
      await waitFor(() => got.length >= 10, 10_000, 'ten messages from the live capture');
      const first = sniffer.stop();
      expect(sniffer.stop()).toBe(first);
      await first;
      await sniffer.done();
      expect(sniffer.isRunning()).toBe(false);
    } finally {
      await sniffer.stop();
      await target.close();
    }
    const reqs = got.filter((m) => m.direction === 'request');
    expect(reqs.map((m) => m.method)).toEqual(DEMO_REQUESTS.map((r) => r.method));
    expect(got.filter((m) => m.direction === 'response').map((m) => m.body)[0]).toBe('ok GET /hello?x=1');
    const stats = sniffer.stats();
    expect(stats.messages).toBeGreaterThanOrEqual(10);
    expect(Object.keys(stats.capture).length).toBeGreaterThan(0);
  });

  it('ignores traffic on ports not listed', async () => {
    const watched = await serve();
    const other = await serve();
    const got: HttpMessage[] = [];
    const sniffer = api.createSniffer({ interface: 'lo', ports: [watched.port], onHttpMessage: (m) => void got.push(m) });
    try {
      await sniffer.start();
      await runRequests(other.port, [{ method: 'GET', path: '/other' }]);
      await runRequests(watched.port, [{ method: 'GET', path: '/watched' }]);
      await waitFor(() => got.length >= 2, 10_000, 'the watched exchange');
      await sniffer.stop();
    } finally {
      await sniffer.stop();
      await watched.close();
      await other.close();
    }
    expect(got.map((m) => m.path ?? m.statusCode)).toEqual(['/watched', 200]);
  });
});
