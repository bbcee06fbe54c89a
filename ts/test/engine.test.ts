// The engine adapter under backpressure, end to end: a capture whose messages far exceed what the stdout
// output may buffer (16 MiB), read while nobody reads stdout. The engine must hold batches while stdout's
// ready() is pending instead of pushing messages the output would have to drop.
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ADDON, captureDemo, CLI, jsonLines, requireArtifacts, sleep, spawnCli, tempDir, WASM } from './runtime-support.js';

const RESPONSES = 400;
const BODY = 60_000;
let capture: string;
let port: number;

beforeAll(async () => {
  requireArtifacts(CLI, WASM, ADDON);
  capture = join(tempDir('engine'), 'big.pcap');
  const requests = Array.from({ length: RESPONSES }, (_, i) => ({ method: 'GET', path: `/big?n=${BODY}&i=${i}` }));
  ({ port } = await captureDemo(capture, 1, requests));
});

describe('engine backpressure', () => {
  it('holds batches while stdout is not read, and loses no message', async () => {
    const run = spawnCli(['--read', capture, '--ports', String(port)]);
    run.proc.stdout!.pause(); // nobody reads: the pipe and then the stream's buffer fill up
    await sleep(1500);
    run.proc.stdout!.resume();
    const r = await run.result;
    expect(r.code).toBe(0);
    const msgs = jsonLines(r.stdout);
    expect(msgs).toHaveLength(2 * RESPONSES);
    const bodies = msgs.filter((m) => m.direction === 'response').map((m) => (m.body as string).length);
    expect(bodies.every((n) => n === BODY)).toBe(true);
    const stopped = jsonLines(r.stderr).find((l) => l.message === 'stopped') as {
      outputs: { stdout: { dropped: number; delivered: number } };
      decoder: { engine: { batchesHeld: number } };
    };
    expect(stopped.outputs.stdout.dropped).toBe(0);
    expect(stopped.decoder.engine.batchesHeld).toBeGreaterThan(0);
  });
});
