// A live capture inside a worker_threads Worker that is terminated while the capture runs: the addon's
// ThreadSafeFunction is finalized with the Worker's environment, and its finalizer must stop the
// capture thread before joining it (joining alone waited forever, and terminate() never settled).
// A hang is the failure: the timeout below is only a signal, generous on a loaded machine.
// Also a Worker terminated while batches wait for its blocked JS thread: the addon then delivers into an
// environment that can no longer run JS, and must neither throw out of its callback (std::terminate)
// nor let node-addon-api build an Error there (a fatal error): either kills this whole process, which
// vitest reports as a test that never finished.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import http from 'node:http';
import { Worker } from 'node:worker_threads';
import { beforeAll, describe, expect, it } from 'vitest';
import type * as Api from '../src/index.js';
import type { HttpMessage } from '../src/types.js';
import { ADDON, DIST, requireArtifacts, requireFromHere, runRequests, serve, waitFor } from './runtime-support.js';

const HANG_SIGNAL_MS = 30_000;

/** Threads of this process named like the shim's capture thread (capture.cc names it). */
function captureThreads(): number {
  let n = 0;
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      if (readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim() === 'tcp-sniffer-cap') n++;
    } catch {
      // the thread ended while we looked
    }
  }
  return n;
}

/** Resolves with `p`'s value, or with 'hung' when it has not settled within `ms`. */
function orHung<T>(p: Promise<T>, ms: number): Promise<T | 'hung'> {
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<'hung'>((resolve) => { timer = setTimeout(() => resolve('hung'), ms); });
  return Promise.race([p, hung]).finally(() => clearTimeout(timer));
}

// The Worker: a live createSniffer on lo, as an application embedding the package would run it.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { createSniffer } = require(workerData.index);
const sniffer = createSniffer({ interface: 'lo', ports: [workerData.port],
  onHttpMessage: (m) => parentPort.postMessage({ message: m.direction }) });
sniffer.start().then(() => parentPort.postMessage({ started: true }),
  (err) => parentPort.postMessage({ error: String(err) }));
`;

// The same, with the Worker's JS thread blocked once it captures, so that batches queue toward it.
const BLOCKED_WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { createSniffer } = require(workerData.index);
const sniffer = createSniffer({ interface: 'lo', ports: [workerData.port], onHttpMessage: () => {} });
sniffer.start().then(() => {
  parentPort.postMessage({ started: true });
  setTimeout(() => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 60_000), 5);
}, (err) => parentPort.postMessage({ error: String(err) }));
`;

/** Keeps `parallel` keep-alive clients asking `port` for `ms`; resolves with the exchanges completed. */
async function load(port: number, ms: number, parallel = 8): Promise<number> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: parallel });
  const until = Date.now() + ms;
  let done = 0;
  const one = () => new Promise<void>((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: '/queued', agent }, (res) => {
      res.resume();
      res.on('end', () => { done++; resolve(); });
    }).on('error', reject);
  });
  try {
    while (Date.now() < until) await Promise.all(Array.from({ length: parallel }, one));
  } finally {
    agent.destroy();
  }
  return done;
}

let api: typeof Api;

beforeAll(() => {
  requireArtifacts(join(DIST, 'index.js'), ADDON);
  api = requireFromHere(join(DIST, 'index.js')) as typeof Api;
});

describe('a Worker running a live capture', () => {
  it('terminates, the capture thread ends with it, and the process can capture again', async () => {
    const target = await serve();
    try {
      const before = captureThreads();
      const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { index: join(DIST, 'index.js'), port: target.port } });
      const seen: string[] = [];
      let started = false;
      worker.on('message', (m: { started?: boolean; message?: string; error?: string }) => {
        if (m.error) seen.push(`error ${m.error}`);
        if (m.message) seen.push(m.message);
        if (m.started) started = true;
      });
      await waitFor(() => started || seen.some((s) => s.startsWith('error')), 20_000, 'the worker to start its capture');
      expect(seen.filter((s) => s.startsWith('error'))).toEqual([]);
      // The capture is live and delivering: it is mid-flight when the Worker goes.
      await runRequests(target.port, [{ method: 'GET', path: '/in-worker' }]);
      await waitFor(() => seen.length >= 2, 10_000, 'the exchange through the worker');
      expect(captureThreads()).toBe(before + 1);

      const outcome = await orHung(worker.terminate(), HANG_SIGNAL_MS);
      expect(outcome, 'Worker.terminate() did not settle: the capture thread was joined without being stopped').not.toBe('hung');
      expect(captureThreads()).toBe(before);

      // The process is healthy: a capture on the main thread starts, delivers and stops.
      const got: HttpMessage[] = [];
      const sniffer = api.createSniffer({ interface: 'lo', ports: [target.port], onHttpMessage: (m) => void got.push(m) });
      await sniffer.start();
      try {
        await runRequests(target.port, [{ method: 'GET', path: '/after-worker' }]);
        await waitFor(() => got.length >= 2, 10_000, 'the exchange on the main thread');
      } finally {
        await sniffer.stop();
      }
      expect(got.filter((m) => m.direction === 'request').map((m) => m.path)).toEqual(['/after-worker']);
      expect(got.filter((m) => m.direction === 'response').map((m) => m.statusCode)).toEqual([200]);
      expect(captureThreads()).toBe(before);
    } finally {
      await target.close();
    }
  });
  it('terminates while batches wait for its blocked JS thread, round after round, and the process lives on', async () => {
    // Before the addon's delivery used plain Node-API calls, this process died within 1-8 rounds.
    const target = await serve((_req, res) => res.end('q'.repeat(4000)));
    try {
      const before = captureThreads();
      for (let round = 0; round < 15; round++) {
        const worker = new Worker(BLOCKED_WORKER_SOURCE, { eval: true, workerData: { index: join(DIST, 'index.js'), port: target.port } });
        const started = await new Promise<{ started?: boolean; error?: string }>((resolve) => worker.once('message', resolve));
        expect(started.error).toBeUndefined();
        expect(await load(target.port, 100 + (round % 5) * 20)).toBeGreaterThan(0);
        const outcome = await orHung(worker.terminate(), HANG_SIGNAL_MS);
        expect(outcome, `round ${round}: Worker.terminate() did not settle`).not.toBe('hung');
        expect(captureThreads()).toBe(before);
      }
    } finally {
      await target.close();
    }
  });
});
