// The tcp-sniffer bin (dist/cli.js) as a real process: flags, exit codes, stdout carrying only messages,
// SIGTERM draining, libpcap's real errors, and tcpflow's output decoded without the capture addon.
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, copyFileSync, openSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
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

  // Before the bounds, 2^32 wrapped to 0 on its way into the core (and an idle timeout past the addon's
  // own bound made start() throw: exit 2).
  it.each([
    ['--max-body-size', '4294967296', 'integer from 0 to 134217728'],
    ['--connection-idle-timeout-ms', '9007199254740991', 'integer from 1000 to 2147483647'],
    ['--max-buffered-bytes', '1073741825', 'integer from 1048576 to 1073741824'],
  ])('%s %s is out of range: exit 1 with the rule, never a crash', async (flag, value, rule) => {
    const r = await runCli(['--read', capture, flag, value]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toBe('');
    const [log] = logsOf(r.stderr);
    expect(log).toMatchObject({ level: 'error', field: flag, rule });
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

  it("loads Node's HTTP and TLS modules, and the bundle's lazy files, only for the outputs and endpoints that use them", async () => {
    const dir = tempDir('cli');
    const preload = join(dir, 'list-builtins.cjs');
    writeFileSync(preload, "process.on('exit', () => require('node:fs').writeFileSync(process.env.BUILTINS_OUT, [...process.moduleLoadList, ...Object.keys(require.cache).map((f) => 'File ' + f)].join('\\n')));\n");
    const loaded = async (args: string[]): Promise<{ builtins: string[]; files: string[] }> => {
      const out = join(dir, `builtins-${args.length}`);
      const r = await runCli(['--read', capture, ...args], { env: cleanEnv({ NODE_OPTIONS: `--require=${preload}`, BUILTINS_OUT: out }) });
      expect(r.code).toBe(0);
      const lines = readFileSync(out, 'utf8').split('\n');
      const after = (prefix: string): string[] => lines.filter((l) => l.startsWith(prefix)).map((l) => l.slice(prefix.length));
      return { builtins: after('NativeModule '), files: after('File ') };
    };
    const lazyMetrics = join(TS_ROOT, 'dist', 'lazy', 'metrics.js');
    const plain = await loaded([]);
    for (const m of ['http', 'https', 'tls', '_http_client', '_http_server', 'zlib']) expect(plain.builtins).not.toContain(m);
    expect(plain.files).toContain(CLI);
    expect(plain.files.filter((f) => f.includes(`${join('dist', 'lazy')}/`))).toEqual([]);
    const free = createServer();
    await new Promise<void>((r) => free.listen(0, r));
    const metricsPort = (free.address() as { port: number }).port;
    await new Promise<void>((r) => free.close(() => r()));
    const withMetrics = await loaded(['--metrics-port', String(metricsPort)]);
    expect(withMetrics.builtins).toContain('_http_server');
    expect(withMetrics.files).toContain(lazyMetrics);
  });

  // On V8 13 (Node 24) the core, compiled under --liftoff-only alone, was recompiled by TurboFan during the
  // read: 14-36 functions, 0.2-0.4 CPU s (docs/performance.md, "Offline on Node 24: the core stays on Liftoff").
  it('reading a file, runs the core on Liftoff only, also after thousands of messages (V8 lists its compiles)', async () => {
    const many = join(tempDir('cli'), 'many.pcap');
    await captureDemo(many, 400);
    // No output: V8's trace is then all of stdout (the core still hands every message to the outputs' path).
    const proc = spawn(process.execPath, ['--trace-wasm-compilation-times', CLI, '--read', many], {
      env: cleanEnv({ OUTPUT_STDOUT: 'false' }), stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((r) => proc.on('close', r));
    expect(code, stderr).toBe(0);
    expect((logsOf(stderr).find((l) => l.message === 'stopped') as { messages: number }).messages).toBe(4000);
    const tiers = [...stdout.matchAll(/^Compiled function \S+ using (\w+)/gm)].map((m) => m[1]!);
    expect(tiers.filter((t) => t === 'Liftoff').length).toBeGreaterThan(10); // the functions the read ran
    expect(tiers.filter((t) => t !== 'Liftoff')).toEqual([]);
  }, 60_000);

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

  it('stdout redirected to a file (written synchronously, blocks not copied): every message once and whole', async () => {
    const target = await serve();
    const file = join(tempDir('cli-file'), 'out.jsonl');
    const fd = openSync(file, 'w');
    const proc = spawn(process.execPath, [CLI, '--interface', 'lo', '--ports', String(target.port)], {
      env: cleanEnv(), stdio: ['ignore', fd, 'pipe'],
    });
    closeSync(fd);
    let stderr = '';
    proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => proc.on('close', (code) => resolve(code)));
    try {
      await waitFor(() => stderr.includes('"capturing"'), 20_000, 'the capture to open');
      // Connections apart in time reach the core in separate feeds, whose blocks reuse one scratch buffer.
      for (let i = 0; i < 6; i++) {
        await runRequests(target.port);
        await sleep(30);
      }
      await sleep(300);
      proc.kill('SIGTERM');
      expect(await exited).toBe(0);
      const msgs = jsonLines(readFileSync(file, 'utf8'));
      expect(msgs).toHaveLength(60);
      const byConnection = new Map<unknown, string[]>();
      // What a connection's messages say apart from its client port and the server's Date header.
      const said = (m: Record<string, unknown>): string =>
        JSON.stringify([m.direction, m.exchange, m.method, m.path, m.statusCode, m.body, m.bodyEncoding, m.bodySize]);
      for (const m of msgs) byConnection.set(m.connectionId, [...(byConnection.get(m.connectionId) ?? []), said(m)]);
      expect(byConnection.size).toBe(6);
      const [first, ...rest] = [...byConnection.values()];
      expect(first).toHaveLength(10);
      for (const other of rest) expect(other).toEqual(first);
    } finally {
      proc.kill('SIGKILL');
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
