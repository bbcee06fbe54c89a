// The engine adapter under backpressure, end to end: a capture whose messages far exceed what the stdout
// output may buffer (16 MiB), read while nobody reads stdout. The engine must hold batches while stdout's
// ready() is pending instead of pushing messages the output would have to drop.
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ADDON, captureDemo, CLI, jsonLines, requireArtifacts, runCli, sleep, spawnCli, tempDir, WASM } from './runtime-support.js';

const RESPONSES = 400;
const BODY = 60_000; // 400 responses of 60 kB: about 24 MB of JSON lines
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
    // What the capture holds, read with nobody holding stdout back (tcpdump itself may miss a segment
    // at loopback speed; the comparison is about the sniffer, not the capture).
    const reference = await runCli(['--read', capture, '--ports', String(port)]);
    expect(reference.code).toBe(0);
    const expected = jsonLines(reference.stdout);
    expect(expected.length).toBeGreaterThan(2 * RESPONSES * 0.9);

    const run = spawnCli(['--read', capture, '--ports', String(port)]);
    run.proc.stdout!.pause(); // nobody reads: the pipe and then the stream's buffer fill up
    await sleep(1500);
    run.proc.stdout!.resume();
    const r = await run.result;
    expect(r.code).toBe(0);
    const msgs = jsonLines(r.stdout);
    expect(msgs).toEqual(expected);
    // More than the stdout output may buffer (16 MiB): without the engine holding back, it would drop.
    expect(r.stdout.length).toBeGreaterThan(20 * 1024 * 1024);
    const stopped = jsonLines(r.stderr).find((l) => l.message === 'stopped') as {
      outputs: { stdout: { dropped: number; delivered: number } };
      decoder: { engine: { batchesHeld: number } };
    };
    expect(stopped.outputs.stdout.dropped).toBe(0);
    expect(stopped.decoder.engine.batchesHeld).toBeGreaterThan(0);
  });
});
