// The tcp-sniffer bin (dist/cli.js) as a real process: flags, exit codes, stdout carrying only messages,
// SIGTERM draining, libpcap's real errors, and tcpflow's output decoded without the capture addon.
import { execFileSync } from 'node:child_process';
import { readFileSync, truncateSync, statSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  ADDON, captureDemo, cleanEnv, CLI, DEMO_REQUESTS, jsonLines, runCli, runRequests, serve, spawnCli, tempDir, TS_ROOT, waitFor,
  lowPort, requireArtifacts, sleep,
} from './runtime-support.js';

let capture: string;
let port: number;

beforeAll(async () => {
  requireArtifacts(CLI, ADDON); // the .wasm is embedded in dist/
  capture = join(tempDir('cli'), 'demo.pcap');
  ({ port } = await captureDemo(capture, 2, DEMO_REQUESTS, lowPort()));
});

/** Every stderr line is a JSON log record; returns them. */
function logsOf(stderr: string): Array<Record<string, unknown>> {
  const logs = jsonLines(stderr);
  for (const l of logs) expect(Object.keys(l).slice(0, 3)).toEqual(['timestamp', 'level', 'message']);
  return logs;
}

/** What a message says, without what depends on the run (ids, times). */
function essence(m: Record<string, unknown>): string {
  const { connectionId: _c, timestamp: _t, elapsedMs: _e, ...rest } = m;
  return JSON.stringify(rest);
}

describe('help and version', () => {
  it('--help prints the flags on stdout and exits 0', async () => {
    const r = await runCli(['--help']);
    expect(r.code).toBe(0);
    for (const flag of ['--ports', '--interface', '--read', '--read-tcpflow', '--output-url', '--stdout', '--max-body-size',
      '--sample-rate', '--redact-headers', '--max-concurrent-connections', '--connection-idle-timeout-ms',
      '--drain-timeout-ms', '--max-buffered-bytes', '--capture-buffer-bytes', '--log-level', '--version']) {
      expect(r.stdout).toContain(flag);
    }
    expect(r.stderr).toBe('');
  });

  it('--version prints the package version', async () => {
    const r = await runCli(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${JSON.parse(readFileSync(join(TS_ROOT, 'package.json'), 'utf8')).version}\n`);
  });
});

describe('configuration errors exit 1 naming the field', () => {
  it('an invalid value names its flag', async () => {
    const r = await runCli(['--ports', '8080', '--max-body-size', '-1']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    const [log] = logsOf(r.stderr);
    expect(log!.level).toBe('error');
    expect(log!.field).toBe('--max-body-size');
    expect(String(log!.message)).toContain('--max-body-size');
  });

  it('an unknown flag is named', async () => {
    const r = await runCli(['--ports', '80', '--bogus']);
    expect(r.code).toBe(1);
    expect(logsOf(r.stderr)[0]!.field).toBe('--bogus');
  });

  it('an invalid environment value names the variable', async () => {
    const r = await runCli(['--read', capture], { env: { PATH: process.env.PATH, SAMPLE_RATE: '2' } });
    expect(r.code).toBe(1);
    expect(logsOf(r.stderr)[0]!.field).toBe('SAMPLE_RATE');
  });

  it('a --read file that does not exist', async () => {
    const r = await runCli(['--read', '/nonexistent/file.pcap']);
    expect(r.code).toBe(1);
    expect(logsOf(r.stderr).some((l) => l.field === '--read')).toBe(true);
  });

  it('an interface that does not exist lists those that do', async () => {
    const r = await runCli(['--interface', 'nosuch0', '--ports', '80']);
    expect(r.code).toBe(1);
    const err = logsOf(r.stderr).find((l) => l.level === 'error')!;
    expect(err.field).toBe('--interface');
    expect(String(err.message)).toMatch(/\blo\b/);
  });
});

describe('redaction settings', () => {
  it('dropping the default redaction is logged at warn naming the headers, and refused in production', async () => {
    const r = await runCli(['--read', capture, '--redact-headers', 'authorization'], { env: cleanEnv({ REDACT_DEFAULT_HEADERS: 'false' }) });
    expect(r.code).toBe(0);
    const warning = logsOf(r.stderr).find((l) => l.level === 'warn' && String(l.message).startsWith('default header redaction is off'));
    expect(warning?.notRedacted).toEqual(['proxy-authorization', 'cookie', 'set-cookie']);
    const kept = await runCli(['--read', capture], { env: cleanEnv() });
    expect(logsOf(kept.stderr).some((l) => String(l.message).startsWith('default header redaction is off'))).toBe(false);
    const refused = await runCli(['--read', capture], { env: cleanEnv({ REDACT_DEFAULT_HEADERS: 'false', TCP_SNIFFER_PRODUCTION: '1' }) });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('invalid REDACT_DEFAULT_HEADERS: true in production');
  });
});

describe('--read', () => {
  it('writes every message as a JSON line on stdout, logs on stderr, exits 0', async () => {
    const r = await runCli(['--read', capture, '--ports', String(port)]);
    expect(r.code).toBe(0);
    const msgs = jsonLines(r.stdout);
    expect(msgs).toHaveLength(20);
    expect(msgs.filter((m) => m.direction === 'request').map((m) => m.path)).toEqual(
      [...DEMO_REQUESTS, ...DEMO_REQUESTS].map((q) => q.path),
    );
    const logs = logsOf(r.stderr);
    const start = logs.find((l) => l.message === 'starting')!;
    expect(start.captureFile).toBe(capture);
    expect(start.ports).toEqual([port]);
    expect(logs.some((l) => l.message === 'stopped')).toBe(true);
  });

  it('adds placement from the environment', async () => {
    const env = { PATH: process.env.PATH, POD_NAME: 'web-7', NAMESPACE: 'shop', NODE_NAME: 'node-a' };
    const r = await runCli(['--read', capture], { env });
    expect(r.code).toBe(0);
    const msgs = jsonLines(r.stdout);
    expect(msgs).toHaveLength(20);
    for (const m of msgs) expect(m.placement).toEqual({ pod: 'web-7', namespace: 'shop', node: 'node-a' });
    expect(logsOf(r.stderr).find((l) => l.message === 'starting')!.placement).toEqual({ pod: 'web-7', namespace: 'shop', node: 'node-a' });
  });

  it('a file damaged partway: emits what decoded, then exits 2 with libpcap\'s message', async () => {
    const damaged = join(tempDir('cli'), 'damaged.pcap');
    copyFileSync(capture, damaged);
    truncateSync(damaged, statSync(damaged).size - 30); // cuts the last record (a bare ACK) in half
    const r = await runCli(['--read', damaged, '--ports', String(port)]);
    expect(r.code, r.stderr).toBe(2);
    expect(jsonLines(r.stdout), r.stderr).toHaveLength(20);
    expect(logsOf(r.stderr).some((l) => l.level === 'error' && /truncated/i.test(String(l.message)))).toBe(true);
  });

  it('a file that is not a capture exits 2', async () => {
    const r = await runCli(['--read', join(TS_ROOT, 'package.json')]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
  });
});

describe('live', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)('%s stops, flushes every message, exits 0', async (signal) => {
    const target = await serve();
    const run = spawnCli(['--interface', 'lo', '--ports', String(target.port)]);
    try {
      await waitFor(() => run.stderrSoFar().includes('"capturing"'), 20_000, 'the capture to open');
      await runRequests(target.port);
      await runRequests(target.port);
      await waitFor(() => jsonLines(run.stdoutSoFar()).length >= 1, 10_000, 'the first message');
      await sleep(300); // the last segments reach the capture; the test is about what the drain does then
      run.proc.kill(signal);
      const r = await run.result;
      expect(r.code).toBe(0);
      const msgs = jsonLines(r.stdout);
      expect(msgs).toHaveLength(20);
      const logs = logsOf(r.stderr);
      expect(logs.some((l) => l.message === 'signal received, stopping' && l.signal === signal)).toBe(true);
      expect(logs.some((l) => l.message === 'stopped')).toBe(true);
    } finally {
      run.proc.kill('SIGKILL');
      await target.close();
    }
  });

  it("a capture that cannot open exits 2 with libpcap's permission error", async () => {
    const r = await runCli(['--interface', 'lo', '--ports', '80'], {
      prefix: ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--inh-caps=-all'],
    });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    const err = logsOf(r.stderr).find((l) => l.level === 'error')!;
    // libpcap's own words, then what would fix it.
    expect(String(err.message)).toMatch(/Operation not permitted|permission/i);
    expect(String(err.message)).toContain('NET_RAW');
  });
});

describe('--read-tcpflow', () => {
  it("decodes tcpflow's files without the capture addon, the same messages as --read, placement included", async () => {
    const dir = tempDir('tcpflow');
    execFileSync('tcpflow', ['-r', capture, '-o', dir], { stdio: 'ignore' });
    const env = { ...cleanEnv(), POD_NAME: 'web-0', NAMESPACE: 'shop' };
    const viaTcpflow = await runCli(['--read-tcpflow', dir, '--ports', String(port)], { env });
    expect(viaTcpflow.code).toBe(0);
    const viaPcap = await runCli(['--read', capture, '--ports', String(port)], { env });
    const a = jsonLines(viaTcpflow.stdout);
    expect(a).toHaveLength(20);
    for (const m of a) expect(m.timestamp).toBeUndefined();
    for (const m of a) expect(m.placement).toEqual({ pod: 'web-0', namespace: 'shop' });
    expect(a.map(essence).sort()).toEqual(jsonLines(viaPcap.stdout).map(essence).sort());
    expect(new Set(a.map((m) => m.connectionId))).toEqual(new Set(['1', '2']));
    const decoded = logsOf(viaTcpflow.stderr).find((l) => l.message === 'tcpflow directory decoded')!;
    expect(decoded).toMatchObject({ connections: 2, decoder: { pipeline: { messages: 20 } }, outputs: { stdout: { delivered: 20, dropped: 0 } } });
  });

  it('without --ports the lower port is the server', async () => {
    const dir = tempDir('tcpflow');
    execFileSync('tcpflow', ['-r', capture, '-o', dir], { stdio: 'ignore' });
    const r = await runCli(['--read-tcpflow', dir]);
    expect(r.code).toBe(0);
    const msgs = jsonLines(r.stdout);
    expect(msgs).toHaveLength(20);
    // The ephemeral client ports are above the server's port (the kernel picks from 32768 up).
    for (const m of msgs) expect((m.receiver as { port: number }).port).toBe(port);
  });

  it('a directory that does not exist exits 1 naming the flag', async () => {
    const r = await runCli(['--read-tcpflow', '/nonexistent/dir']);
    expect(r.code).toBe(1);
    expect(logsOf(r.stderr)[0]!.field).toBe('--read-tcpflow');
  });
});
