// A real HTTPS collector for tests: node:https with a certificate made at test time by openssl. It
// answers each POST with the status (and headers) `respond(i, body)` picks (i counts from 0) and records
// what it got. useCollectorHarness is the start-up and clean-up of the https output's suites.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, vi } from 'vitest';
import type { Logger } from '../src/log.js';
import { HttpsOutput, type HttpsOutputOptions } from '../src/outputs/https.js';
import type { Output } from '../src/outputs/index.js';

export interface Certificate { key: string; cert: string }

/** A self-signed ECDSA certificate for localhost and 127.0.0.1, valid one day. */
export function makeCertificate(): Certificate {
  const dir = mkdtempSync(join(tmpdir(), 'tsn-cert-'));
  try {
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
      '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
    ], { stdio: 'pipe' });
    return { key: readFileSync(join(dir, 'key.pem'), 'utf8'), cert: readFileSync(join(dir, 'cert.pem'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface ReceivedRequest {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** Which TCP connection carried it (1-based, in the order connections were accepted). */
  connection: number;
  status: number;
}

/** A status, or a status with response headers (e.g. Retry-After). */
export type Answer = number | { status: number; headers: Record<string, string> };

export class Collector {
  readonly requests: ReceivedRequest[] = [];
  private server!: https.Server;
  private connections = 0;
  private readonly sockets = new Set<Socket>();
  private waiters: Array<() => void> = [];

  constructor(private readonly cert: Certificate, public respond: (i: number, body: string) => Answer = () => 200) {}

  async start(port = 0): Promise<this> {
    this.server = https.createServer({ key: this.cert.key, cert: this.cert.cert, keepAliveTimeout: 30_000 }, (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const answer = this.respond(this.requests.length, body);
        const { status, headers } = typeof answer === 'number' ? { status: answer, headers: {} } : answer;
        const sock = req.socket as Socket & { tsnId?: number };
        this.requests.push({
          method: req.method ?? '', url: req.url ?? '', headers: req.headers, body, connection: sock.tsnId ?? 0, status,
        });
        res.writeHead(status, { 'content-type': 'text/plain', ...headers });
        res.end(status < 300 ? 'ok' : 'no');
        for (const w of this.waiters.splice(0)) w();
      });
    });
    this.server.on('secureConnection', (sock: Socket & { tsnId?: number }) => {
      sock.tsnId = ++this.connections;
      this.sockets.add(sock);
      sock.on('close', () => this.sockets.delete(sock));
    });
    await new Promise<void>((resolve) => this.server.listen(port, '127.0.0.1', resolve));
    return this;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  get url(): string {
    return `https://127.0.0.1:${this.port}/ingest`;
  }

  /** Resolves once `n` requests have been answered. */
  async waitFor(n: number): Promise<void> {
    while (this.requests.length < n) await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** A TCP port on 127.0.0.1 where nothing listens (connections are refused). */
export async function closedPort(): Promise<number> {
  const net = await import('node:net');
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as AddressInfo).port;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

/** Polls `cond` on real I/O turns (fake timers leave these alone); the cap only keeps a broken output from hanging the run. */
export async function until(cond: () => boolean, what = 'condition'): Promise<void> {
  const giveUp = performance.now() + 30_000;
  while (!cond()) {
    if (performance.now() > giveUp) throw new Error(`${what}: not reached`);
    await new Promise((r) => setImmediate(r));
  }
}

export interface CollectorHarness {
  /** The certificate every collector serves and every output trusts (made before the first test). */
  readonly cert: Certificate;
  /** A collector started on `port` (0: a free one), closed after the test. */
  collector(respond?: (i: number, body: string) => Answer, port?: number): Promise<Collector>;
  /** An https output to `url` trusting the certificate, drained (deadline now) after the test. */
  output(url: string, token: string | undefined, log: Logger, opts?: Partial<HttpsOutputOptions>): HttpsOutput;
  /** Hands an output made elsewhere (createOutputs) to the after-test drain. */
  keep<T extends Output>(out: T): T;
  /** Closes a collector before the test ends (it goes down). */
  stop(c: Collector): Promise<void>;
}

/** Registers the suite's hooks: the certificate before all tests; real timers, drained outputs and closed collectors after each. */
export function useCollectorHarness(): CollectorHarness {
  let cert: Certificate | undefined;
  const collectors: Collector[] = [];
  const outputs: Output[] = [];
  beforeAll(() => {
    cert = makeCertificate();
  });
  afterEach(async () => {
    vi.useRealTimers();
    await Promise.all(outputs.splice(0).map((o) => o.drain(0)));
    await Promise.all(collectors.splice(0).map((c) => c.close()));
  });
  const made = (): Certificate => {
    if (cert === undefined) throw new Error('the certificate is made in beforeAll: use the harness inside a test');
    return cert;
  };
  return {
    get cert() {
      return made();
    },
    async collector(respond, port = 0) {
      const c = await new Collector(made(), respond).start(port);
      collectors.push(c);
      return c;
    },
    output(url, token, log, opts = {}) {
      const o = new HttpsOutput(new URL(url), token, log, { ca: made().cert, ...opts });
      outputs.push(o);
      return o;
    },
    keep(out) {
      outputs.push(out);
      return out;
    },
    async stop(c) {
      collectors.splice(collectors.indexOf(c), 1);
      await c.close();
    },
  };
}
