// The pipeline under backpressure, end to end, with more messages than the stdout output may buffer
// (2 MiB past its pause mark) while nobody reads stdout:
// - live: the pipeline holds batches while stdout's ready() is pending, instead of pushing messages the
//   output would have to drop;
// - offline (--read): stdout blocks, so the file reader waits and nothing is lost however slow the reader.
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  ADDON, captureDemo, CLI, jsonLines, requireArtifacts, runCli, runRequests, serve, sleep, spawnCli, tempDir, waitFor,
} from './runtime-support.js';

const RESPONSES = 400;
const BODY = 60_000; // 400 responses of 60 kB: about 24 MB of JSON lines
const requests = Array.from({ length: RESPONSES }, (_, i) => ({ method: 'GET', path: `/big?n=${BODY}&i=${i}` }));

beforeAll(() => {
  requireArtifacts(CLI, ADDON); // the .wasm is embedded in dist/
});

interface StoppedLog {
  outputs: { stdout: { dropped: number; delivered: number } };
  decoder: { pipeline: { batchesHeld: number; batchesForced: number } };
  capture: { bytesGap: number; bytesShed: number };
}

describe('pipeline backpressure', () => {
  it('live: holds batches while stdout is not read, and loses no message', async () => {
    const target = await serve();
    const run = spawnCli(['--interface', 'lo', '--ports', String(target.port)]);
    try {
      await waitFor(() => run.stderrSoFar().includes('"capturing"'), 20_000, 'the capture to open');
      run.proc.stdout!.pause(); // nobody reads: the pipe and then the stream's buffer fill up
      await runRequests(target.port, requests);
      await sleep(1500);
      run.proc.stdout!.resume();
      const completeLines = (): number => run.stdoutSoFar().split('\n').length - 1;
      await waitFor(() => completeLines() >= 2 * RESPONSES, 30_000, 'every message');
      run.proc.kill('SIGTERM');
      const r = await run.result;
      expect(r.code).toBe(0);
      const msgs = jsonLines(r.stdout);
      expect(msgs).toHaveLength(2 * RESPONSES);
      const bodies = msgs.filter((m) => m.direction === 'response').map((m) => (m.body as string).length);
      expect(bodies.every((n) => n === BODY)).toBe(true);
      const stopped = jsonLines(r.stderr).find((l) => l.message === 'stopped') as unknown as StoppedLog;
      expect(stopped.outputs.stdout.dropped).toBe(0);
      expect(stopped.decoder.pipeline.batchesHeld).toBeGreaterThan(0);
      expect(stopped.decoder.pipeline.batchesForced).toBe(0);
    } finally {
      run.proc.kill('SIGKILL');
      await target.close();
    }
  });

  it('offline: a reader that stalls loses nothing (the file reader waits instead)', async () => {
    const capture = join(tempDir('pipeline'), 'big.pcap');
    const { port } = await captureDemo(capture, 1, requests);
    // What the capture holds, read with nobody holding stdout back (tcpdump itself may miss a segment
    // at loopback speed; the comparison is about the sniffer, not the capture).
    const reference = await runCli(['--read', capture, '--ports', String(port)]);
    expect(reference.code).toBe(0);
    const expected = jsonLines(reference.stdout);
    expect(expected.length).toBeGreaterThan(2 * RESPONSES * 0.9);

    const run = spawnCli(['--read', capture, '--ports', String(port)]);
    run.proc.stdout!.pause();
    await sleep(1500);
    run.proc.stdout!.resume();
    const r = await run.result;
    expect(r.code).toBe(0);
    expect(jsonLines(r.stdout)).toEqual(expected);
    expect(r.stdout.length).toBeGreaterThan(20 * 1024 * 1024); // more than the stdout output may buffer
    const stopped = jsonLines(r.stderr).find((l) => l.message === 'stopped') as unknown as StoppedLog;
    expect(stopped.outputs.stdout.dropped).toBe(0);
  });
});
