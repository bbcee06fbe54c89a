// A live capture inside a worker_threads Worker that is terminated while the capture runs: the addon's
// ThreadSafeFunction is finalized with the Worker's environment, and its finalizer must stop the
// capture thread before joining it (joining alone waited forever, and terminate() never settled).
// A hang is the failure: the timeout below is only a signal, generous on a loaded machine.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
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
});
