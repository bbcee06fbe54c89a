// Offline reading waits for its reader: `--read` of a capture whose messages (84 MB of JSON) exceed any
// buffer between the CLI and a consumer that stops reading for a while must still write every message,
// drop none, and exit 0 (docs/outputs.md: offline, the reader waits; load shedding is for live capture).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { recordLoopbackCapture } from '../helpers/capture';
import { expectedMessageCount } from '../helpers/exchanges';
import { CLI, requireBuilt } from '../helpers/paths';
import { killAll } from '../helpers/process';

const work = mkdtempSync(path.join(os.tmpdir(), 'tsn-offline-bp-'));

afterAll(async () => {
  await killAll();
  rmSync(work, { recursive: true, force: true });
});

describe('--read with a slow reader on stdout', () => {
  it('writes every message, drops none, and exits 0', async () => {
    requireBuilt();
    const pcap = path.join(work, 'bulk.pcap');
    const { truth } = await recordLoopbackCapture(pcap, 'bulk', 16);
    const want = expectedMessageCount(truth);

    const cli = spawn(process.execPath, [CLI, '--read', pcap], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    cli.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    let lines = 0;
    let bytes = 0;
    cli.stdout.on('data', (d: Buffer) => {
      bytes += d.length;
      for (let i = d.indexOf(10); i >= 0; i = d.indexOf(10, i + 1)) lines++;
    });
    // The reader stalls for 4 s at the start, as a busy log shipper would.
    cli.stdout.pause();
    await new Promise((r) => setTimeout(r, 4000));
    cli.stdout.resume();
    const code = await new Promise<number | null>((r) => cli.on('close', (c) => r(c)));

    expect(code, stderr.slice(-2000)).toBe(0);
    expect(bytes).toBeGreaterThan(84_000_000);
    expect(lines, stderr.slice(-2000)).toBe(want);
    expect(stderr).not.toMatch(/message dropped/);
  }, 300_000);
});
