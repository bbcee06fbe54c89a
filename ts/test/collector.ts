// A real HTTPS collector for tests: node:https with a certificate made at test time by openssl. It
// answers each POST with the status (and headers) `respond(i, body)` picks (i counts from 0) and records
// what it got.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

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
