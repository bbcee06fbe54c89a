// The tcp-sniffer bin as the container runs it: `node dist/cli.js` (build first: npm run build), real
// live capture on lo, a real HTTP service and client, a real HTTPS collector, real signals.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Collector, makeCertificate, type Certificate } from './collector.js';
import { Tcpdump } from './helpers/capture';

const CLI = join(__dirname, '../dist/cli.js');
const TOKEN = 'tsn-entrypoint-token-81c2e7';

interface Run { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }
interface Started { child: ChildProcess; stdout: () => string; stderr: () => string; exited: Promise<Run> }

function start(args: string[], env: Record<string, string>, wrap: string[] = []): Started {
  const cmd = [...wrap, process.execPath, CLI, ...args];
  const child = spawn(cmd[0]!, cmd.slice(1), {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (c: Buffer) => (out += c));
  child.stderr!.on('data', (c: Buffer) => (err += c));
  const exited = new Promise<Run>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stdout: out, stderr: err })));
  return { child, stdout: () => out, stderr: () => err, exited };
}
const run = (args: string[], env: Record<string, string> = {}, wrap: string[] = []): Promise<Run> => start(args, env, wrap).exited;
const records = (stderr: string): Array<Record<string, unknown>> =>
  stderr.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as Record<string, unknown>);
const until = async (cond: () => boolean, what: string): Promise<void> => {
  const giveUp = performance.now() + 60_000;
  while (!cond()) {
    if (performance.now() > giveUp) throw new Error(`${what}: not reached`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

let cert: Certificate;
let dir: string;
beforeAll(() => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` in ts/ first`);
  cert = makeCertificate();
  dir = mkdtempSync(join(tmpdir(), 'tsn-entry-'));
  writeFileSync(join(dir, 'ca.pem'), cert.cert);
  writeFileSync(join(dir, 'not-a-capture.pcap'), 'this is text, not a capture file\n'.repeat(10));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('configuration errors exit 1 naming the variable or flag', () => {
  it.each([
    [{ PORTS: '0' }, [], 'PORTS', 'integers 1-65535'],
    [{ PORTS: '80', MAX_BODY_SIZE: '-1' }, [], 'MAX_BODY_SIZE', 'integer from 0 to 134217728'],
    [{ PORTS: '80' }, ['--sample-rate', '2'], '--sample-rate', 'decimal number in [0, 1]'],
    [{ PORTS: '80', OUTPUT_URL: 'http://collector.example/', TCP_SNIFFER_PRODUCTION: '1' }, [], 'OUTPUT_URL', 'https: in production'],
    [{ PORTS: '80', OUTPUT_URL: 'https://c.example/', OUTPUT_URL_AUTH_TOKEN: `${TOKEN} x` }, [], 'OUTPUT_URL_AUTH_TOKEN', 'visible ASCII characters only'],
    [{ PORTS: '80', OUTPUT_URL: 'http://c.example/', OUTPUT_URL_AUTH_TOKEN: TOKEN }, [], 'OUTPUT_URL_AUTH_TOKEN', 'requires an https: collector URL'],
    [{ PORTS: '80', OUTPUT_URL_AUTH_TOKEN: TOKEN }, ['--output-url', 'http://c.example/'], 'OUTPUT_URL_AUTH_TOKEN', 'requires an https: collector URL'],
    [{ PORTS: '80', REDACT_DEFAULT_HEADERS: 'false', TCP_SNIFFER_PRODUCTION: '1' }, [], 'REDACT_DEFAULT_HEADERS', 'true in production'],
    [{}, [], 'PORTS', 'required unless --read is given'],
    [{ PORTS: '80' }, ['--bogus'], '--bogus', 'unknown option'],
  ] as Array<[Record<string, string>, string[], string, string]>)('%j %j → %s', async (env, args, field, rule) => {
    const r = await run(args, env);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    const errors = records(r.stderr).filter((x) => x.level === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0]!.message).toContain(field);
    expect(errors[0]!.message).toContain(rule);
    expect(r.stderr).not.toContain(TOKEN);
  });

  it('an interface that does not exist: exit 1, listing those that do', async () => {
    const r = await run(['--interface', 'nosuch0', '--ports', '80']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('nosuch0');
    expect(r.stderr).toMatch(/\blo\b/);
  });

  it('a --read file that does not exist: exit 1', async () => {
    const r = await run(['--read', join(dir, 'missing.pcap')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('missing.pcap');
  });
});

describe('runtime errors exit 2 with libpcap\'s message', () => {
  it('a live capture without permission', async () => {
    const r = await run(['--interface', 'lo', '--ports', '80'], {}, [
      'setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--inh-caps=-all',
    ]);
    expect(r.code).toBe(2);
    const errors = records(r.stderr).filter((x) => x.level === 'error');
    // libpcap's own text: pcap_geterr() is "socket: Operation not permitted"; pcap_statustostr() of
    // PCAP_ERROR_PERM is "You don't have permission to perform this capture on that device".
    expect(errors).toHaveLength(1);
    expect(errors[0]!.message).toMatch(/Operation not permitted|don't have permission/);
  });

  it('a file that is not a capture', async () => {
    const r = await run(['--read', join(dir, 'not-a-capture.pcap')]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(JSON.stringify(records(r.stderr).filter((x) => x.level === 'error'))).toMatch(/format|magic|capture file/i);
  });
});

describe('LOG_LEVEL', () => {
  it('sets the threshold of what reaches stderr', async () => {
    const file = join(dir, 'not-a-capture.pcap');
    const debug = records((await run(['--read', file], { LOG_LEVEL: 'debug' })).stderr);
    expect(debug.some((l) => l.level === 'info')).toBe(true);
    const quiet = await run(['--read', file], { LOG_LEVEL: 'error' });
    expect(quiet.code).toBe(2);
    expect(records(quiet.stderr).map((l) => l.level)).toEqual(['error']);
    const flag = await run(['--read', file, '--log-level', 'error'], { LOG_LEVEL: 'debug' });
    expect(records(flag.stderr).map((l) => l.level)).toEqual(['error']);
  });
});

describe('live capture to a collector', () => {
  it('SIGTERM with messages queued: every one is delivered before exit 0; placement attached; token never logged', async () => {
    // The service being observed.
    const service = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => res.end(`served ${req.url}`));
    });
    await new Promise<void>((r) => service.listen(0, '127.0.0.1', r));
    const port = (service.address() as AddressInfo).port;
    // The collector refuses each message's first attempt, so at SIGTERM every message waits to retry.
    const seen = new Set<string>();
    const collector = await new Collector(cert, (_i, body) => {
      if (seen.has(body)) return 200;
      seen.add(body);
      return 503;
    }).start();

    const sniffer = start(['--interface', 'lo', '--ports', String(port)], {
      OUTPUT_URL: collector.url, OUTPUT_URL_AUTH_TOKEN: TOKEN, NODE_EXTRA_CA_CERTS: join(dir, 'ca.pem'),
      LOG_LEVEL: 'debug', POD_NAME: 'web-7', NAMESPACE: 'shop', NODE_NAME: 'node-a', POD_IP: '10.1.2.3',
      TCP_SNIFFER_PRODUCTION: '1',
    });
    try {
      await until(() => sniffer.stderr().includes('"starting"'), 'sniffer start');
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      const get = (path: string) => new Promise<void>((resolve, reject) => {
        http.get({ host: '127.0.0.1', port, path, agent }, (res) => { res.resume(); res.on('end', resolve); }).on('error', reject);
      });
      // Probe until the capture is surely running, then the traffic that counts.
      for (let i = 0; !collector.requests.some((r) => r.body.includes('/probe')); i++) {
        if (i > 600) throw new Error('sniffer never delivered a probe');
        await get(`/probe-${i}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      const N = 20;
      for (let i = 0; i < N; i++) await get(`/work-${i}`);
      agent.destroy();
      const workBodies = () => [...seen].filter((b) => b.includes('/work-'));
      await until(() => workBodies().length === 2 * N, 'first attempts of all work messages');

      sniffer.child.kill('SIGTERM');
      const r = await sniffer.exited;
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(''); // a collector is set and --stdout is not: nothing on stdout

      const delivered = collector.requests.filter((q) => q.status === 200).map((q) => JSON.parse(q.body));
      const work = delivered.filter((m) => (m.path ?? '').startsWith('/work-') || (m.body ?? '').startsWith('served /work-'));
      expect(work).toHaveLength(2 * N);
      expect(work.filter((m) => m.direction === 'request').map((m) => m.path).sort())
        .toEqual(Array.from({ length: N }, (_, i) => `/work-${i}`).sort());
      for (const m of work) {
        expect(m.placement).toEqual({ pod: 'web-7', namespace: 'shop', node: 'node-a', podIp: '10.1.2.3' });
        expect(m.receiver).toEqual({ ip: '127.0.0.1', port });
      }
      for (const q of collector.requests) expect(q.headers.authorization).toBe(`Bearer ${TOKEN}`);

      const logs = records(r.stderr);
      expect(r.stderr).not.toContain(TOKEN);
      const starting = logs.find((l) => l.message === 'starting')!;
      expect(starting).toMatchObject({ interface: 'lo', ports: [port], placement: { pod: 'web-7', namespace: 'shop' } });
      expect(logs.some((l) => l.message === 'signal received, stopping')).toBe(true);
      expect(logs.some((l) => String(l.message).includes('retrying'))).toBe(true);
    } finally {
      sniffer.child.kill('SIGKILL');
      await collector.close();
      await new Promise<void>((r) => service.close(() => r()));
    }
  });
});

describe('offline read to a stalled stdout reader', () => {
  // Reads /proc/<pid>/stat: user + system CPU ticks of a process.
  const cpuTicks = (pid: number): number => {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return Number(f[11]) + Number(f[12]);
  };

  it('waits for the reader (backpressure) instead of dropping: every line arrives, exit 0', async () => {
    // A real capture made here: tcpdump on lo while a real client talks to a real server.
    const body = 'b'.repeat(16 * 1024);
    const service = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => res.end(`${req.url} ${body}`));
    });
    await new Promise<void>((r) => service.listen(0, '127.0.0.1', r));
    const port = (service.address() as AddressInfo).port;
    const pcap = join(dir, 'big.pcap');
    const dump = new Tcpdump(pcap, 'lo', ['tcp', 'port', String(port)]);
    await dump.ready();
    const N = 2000; // ~33 MB of JSON lines: more than the pipe, the 1 MiB pause mark and the 2 MiB cap
    const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
    const get = (path: string) => new Promise<void>((resolve, reject) => {
      http.get({ host: '127.0.0.1', port, path, agent }, (res) => { res.resume(); res.on('end', resolve); }).on('error', reject);
    });
    for (let i = 0; i < N; i += 4) await Promise.all([0, 1, 2, 3].map((k) => get(`/item-${i + k}`)));
    agent.destroy();
    await new Promise<void>((r) => service.close(() => r()));
    await dump.stop(); // throws when the kernel dropped packets

    // The reference: the same file read by a reader that keeps up.
    const reference = await run(['--read', pcap, '--ports', String(port)]);
    expect(reference.code).toBe(0);
    // Far more than the 2 MiB cap a sniffer that ignored backpressure would drop at.
    expect(reference.stdout.length).toBeGreaterThan(17 * 1024 * 1024);
    const refLines = reference.stdout.split('\n').filter((l) => l !== '');
    expect(refLines.length).toBe(2 * N); // every request and every response

    const cli = start(['--read', pcap, '--ports', String(port)], {});
    cli.child.stdout!.pause(); // the reader stalls: the pipe fills and stays full
    // Wait until the sniffer stops using CPU: it is blocked on stdout (or, had it ignored the
    // backpressure, done and dropping). Then read everything.
    let last = -1;
    for (let still = 0; still < 5; ) {
      await new Promise((r) => setTimeout(r, 200));
      if (cli.child.exitCode !== null) break;
      const t = cpuTicks(cli.child.pid!);
      still = t === last ? still + 1 : 0;
      last = t;
    }
    cli.child.stdout!.resume();
    const r = await cli.exited;
    expect(r.code).toBe(0);
    expect(r.stdout.length).toBe(reference.stdout.length);
    const lines = r.stdout.split('\n').filter((l) => l !== '');
    expect(lines).toEqual(refLines);
    const msgs = lines.map((l) => JSON.parse(l) as { direction: string; path?: string; body?: string });
    expect(msgs.filter((m) => m.direction === 'response').every((m) => m.body!.endsWith(body))).toBe(true);
    const stopped = records(r.stderr).find((l) => l.message === 'stopped') as { outputs: { stdout: Record<string, number> } };
    expect(stopped.outputs.stdout).toMatchObject({ delivered: lines.length, dropped: 0, failed: 0 });
    expect(r.stderr).not.toMatch(/not being read fast enough/);
  });
});
