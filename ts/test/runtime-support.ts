// Shared by the runtime's tests (decoder, sniffer, cli): the built artifacts, real HTTP exchanges recorded
// byte for byte, and real captures made with tcpdump on lo while a real server and client talk.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createRequire } from 'node:module';
import { Tcpdump } from './helpers/capture';

export const TS_ROOT = resolve(__dirname, '..');
export const DIST = join(TS_ROOT, 'dist');
export const NATIVE = join(TS_ROOT, 'native');
export const CLI = join(DIST, 'cli.js');
export const WASM = join(NATIVE, 'http_core.wasm');
export const ADDON = join(NATIVE, 'capture_shim.node');
export const requireFromHere = createRequire(__filename);

/** Fails with a clear message when the artifacts the tests run against have not been built. */
export function requireArtifacts(...paths: string[]): void {
  const missing = paths.filter((p) => !existsSync(p));
  if (missing.length > 0) {
    throw new Error(
      `built artifacts missing: ${missing.join(', ')}. Build them first: scripts/build.sh ` +
        '(or cmake --build <dir> for native/, then npm run build in ts/)',
    );
  }
}

/** A port below the kernel's ephemeral range (32768+), so that the server's is the lower port. */
export function lowPort(): number {
  return 20000 + (process.pid % 5000) * 2 + Math.floor(Math.random() * 2);
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `tsn-${prefix}-`));
}

/** The demo service every test talks to: deterministic answers that exercise the core's features. */
export function demoHandler(req: http.IncomingMessage, res: http.ServerResponse): void {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    const url = req.url ?? '/';
    if (url.startsWith('/chunked')) {
      res.setHeader('content-type', 'text/plain');
      res.setHeader('set-cookie', ['a=1', 'b=2']);
      res.write('hello ');
      res.end('chunked world');
    } else if (url.startsWith('/binary')) {
      res.setHeader('content-type', 'application/octet-stream');
      res.end(Buffer.from([0xff, 0xfe, 0x00, 0x80, 0x81]));
    } else if (url.startsWith('/big')) {
      res.setHeader('content-type', 'text/plain');
      res.end('x'.repeat(Number(new URL(url, 'http://h').searchParams.get('n') ?? '100000')));
    } else if (url.startsWith('/echo')) {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ method: req.method, size: body.length, text: body.toString('utf8') }));
    } else {
      res.setHeader('content-type', 'text/plain');
      res.end(`ok ${req.method} ${url}`);
    }
  });
}

export interface Served {
  server: http.Server;
  port: number;
  close(): Promise<void>;
}

export async function serve(handler = demoHandler, port = 0): Promise<Served> {
  const server = http.createServer({ keepAliveTimeout: 30_000 }, handler);
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  const addr = server.address() as net.AddressInfo;
  return {
    server,
    port: addr.port,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

export interface RequestSpec {
  method: string;
  path: string;
  body?: string | Buffer;
  headers?: Record<string, string>;
}

/** The demo requests: keep-alive on one connection, bodies, chunked, binary, redacted headers. */
export const DEMO_REQUESTS: RequestSpec[] = [
  { method: 'GET', path: '/hello?x=1', headers: { authorization: 'Bearer secret-token', 'x-trace': 'abc' } },
  { method: 'POST', path: '/echo', body: '{"name":"tcp-sniffer","n":42}', headers: { 'content-type': 'application/json', cookie: 'sid=zzz' } },
  { method: 'GET', path: '/chunked' },
  { method: 'GET', path: '/binary' },
  { method: 'PUT', path: '/echo/utf8', body: 'héllo wörld ✓' },
];

/** Sends the requests in order on one kept-alive connection; resolves with the response bodies. */
export async function runRequests(port: number, requests: RequestSpec[] = DEMO_REQUESTS, host = '127.0.0.1'): Promise<string[]> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const bodies: string[] = [];
  try {
    for (const r of requests) {
      bodies.push(
        await new Promise<string>((resolveBody, reject) => {
          const req = http.request({ host, port, method: r.method, path: r.path, headers: r.headers, agent }, (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => resolveBody(Buffer.concat(chunks).toString('latin1')));
            res.on('error', reject);
          });
          req.on('error', reject);
          req.end(r.body);
        }),
      );
    }
  } finally {
    agent.destroy();
  }
  return bodies;
}

/**
 * Runs the requests through a recording TCP relay in front of a real server: the bytes each direction
 * carried, exactly as the client and server wrote them.
 */
export async function recordExchange(requests: RequestSpec[] = DEMO_REQUESTS, targetPort?: number): Promise<{ client: Buffer; server: Buffer }> {
  const target = targetPort === undefined ? await serve() : { port: targetPort, close: async () => undefined };
  const client: Buffer[] = [];
  const server: Buffer[] = [];
  let finished!: () => void;
  const closed = new Promise<void>((r) => (finished = r));
  const relay = net.createServer((inbound) => {
    const outbound = net.connect(target.port, '127.0.0.1');
    inbound.on('data', (d: Buffer) => {
      client.push(d);
      outbound.write(d);
    });
    outbound.on('data', (d: Buffer) => {
      server.push(d);
      inbound.write(d);
    });
    inbound.on('close', () => {
      outbound.destroy();
      finished();
    });
    outbound.on('close', () => inbound.destroy());
  });
  await new Promise<void>((r) => relay.listen(0, '127.0.0.1', r));
  await runRequests((relay.address() as net.AddressInfo).port, requests);
  await closed;
  relay.close();
  await target.close();
  return { client: Buffer.concat(client), server: Buffer.concat(server) };
}

/** tcpdump on lo for the given port, started and listening (the one capture helper: helpers/capture.ts). */
export async function startTcpdump(port: number, file: string): Promise<{ stop(): Promise<void> }> {
  const dump = new Tcpdump(file, 'lo', ['tcp', 'port', String(port)]);
  await dump.ready();
  return dump;
}

/** A capture file of the demo exchange on `connections` connections, made now on lo. */
export async function captureDemo(
  file: string, connections = 1, requests: RequestSpec[] = DEMO_REQUESTS, port = 0,
): Promise<{ port: number }> {
  const target = await serve(demoHandler, port);
  const dump = await startTcpdump(target.port, file);
  try {
    for (let i = 0; i < connections; i++) await runRequests(target.port, requests);
  } finally {
    await target.close();
    await dump.stop();
  }
  return { port: target.port };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls `cond` until it holds or `ms` passes. */
export async function waitFor(cond: () => boolean, ms: number, what: string): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(20);
  }
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI to its end. */
export function runCli(args: string[], opts: { env?: NodeJS.ProcessEnv; prefix?: string[] } = {}): Promise<RunResult> {
  const proc = spawnCli(args, opts);
  return proc.result;
}

export function spawnCli(
  args: string[], opts: { env?: NodeJS.ProcessEnv; prefix?: string[] } = {},
): { proc: ChildProcess; result: Promise<RunResult>; stderrSoFar(): string; stdoutSoFar(): string } {
  const prefix = opts.prefix ?? [];
  const argv = [...prefix, process.execPath, CLI, ...args];
  const proc = spawn(argv[0]!, argv.slice(1), {
    env: opts.env ?? cleanEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  proc.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const result = new Promise<RunResult>((r) =>
    proc.on('close', (code, signal) => r({ code, signal, stdout, stderr })),
  );
  return { proc, result, stderrSoFar: () => stderr, stdoutSoFar: () => stdout };
}

/** The environment without any of the sniffer's variables, so that the developer's shell cannot leak in. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME };
  return { ...env, ...extra };
}

export function jsonLines(text: string): Array<Record<string, unknown>> {
  return text
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}
