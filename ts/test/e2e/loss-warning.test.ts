// The capture's losses reach the log while they happen (src/loss-watch.ts), not only in the minute's
// `stats` line: the CLI is stopped with SIGSTOP while 24 MB cross loopback, so the kernel's 1 MiB ring
// overflows for real, and after SIGCONT a warning must name the drops; a capture that loses nothing must
// warn of nothing; and the warnings' amounts must add up to no more than the totals at stop.
import { describe, expect, it } from 'vitest';
import {
  ADDON, CLI, jsonLines, requireArtifacts, runRequests, serve, sleep, spawnCli, waitFor,
} from '../runtime-support.js';

const BODY = 60_000;
const big = Array.from({ length: 400 }, (_, i) => ({ method: 'GET', path: `/big?n=${BODY}&i=${i}` }));

interface LossWarning { message: string; lost: Record<string, number>; totals: Record<string, number> }

describe('loss warning', () => {
  it('warns of kernel drops soon after they happen, and never on a capture that loses nothing', async () => {
    requireArtifacts(CLI, ADDON);
    const target = await serve();
    const run = spawnCli(['--interface', 'lo', '--ports', String(target.port), '--capture-buffer-bytes', '1048576']);
    const warnings = (): LossWarning[] =>
      jsonLines(run.stderrSoFar()).filter((l) => l.message === 'capture losing traffic') as unknown as LossWarning[];
    try {
      await waitFor(() => run.stderrSoFar().includes('"capturing"'), 20_000, 'the capture to open');
      await runRequests(target.port);
      await sleep(2_500); // two checks of the counters, nothing lost
      expect(warnings()).toEqual([]);

      run.proc.kill('SIGSTOP'); // neither thread reads the ring now
      try {
        await runRequests(target.port, big);
      } finally {
        run.proc.kill('SIGCONT');
      }
      await waitFor(() => warnings().length > 0, 10_000, 'a loss warning (the stats line comes only after 60 s)');
      const first = warnings()[0]!;
      expect(first.lost.kernelDropped).toBeGreaterThan(0);
      expect(first.totals.kernelDropped).toBe(first.lost.kernelDropped); // nothing was lost before

      run.proc.kill('SIGTERM');
      const r = await run.result;
      expect(r.code).toBe(0);
      const stopped = jsonLines(r.stderr).find((l) => l.message === 'stopped') as { capture: Record<string, number> };
      const warned = warnings().reduce((sum, w) => sum + w.lost.kernelDropped!, 0);
      expect(warned).toBeGreaterThan(0);
      expect(warned).toBeLessThanOrEqual(stopped.capture.kernelDropped!);
    } finally {
      run.proc.kill('SIGKILL');
      await target.close();
    }
  }, 60_000);
});
