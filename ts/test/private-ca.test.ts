// A collector whose certificate only a private CA signs, reached by the CLI (a child process, as the
// injected sidecar runs) through NODE_EXTRA_CA_CERTS, which is how the injector's collectorCa option
// hands the CA to the sidecar (docs/injector.md). In production mode, with a token.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Collector } from './collector.js';
import { CLI, requireBuilt } from './helpers/paths';
import { makePki, type Pki } from './injector/harness';

const TOKEN = 'tsn-private-ca-token-4d2b';
let dir: string;
let flows: string;
let pki: Pki;

beforeAll(() => {
  requireBuilt(CLI);
  dir = mkdtempSync(join(tmpdir(), 'tsn-private-ca-'));
  pki = makePki(dir, 'collector');
  writeFileSync(join(dir, 'ca.pem'), pki.caCert);
  // One exchange as tcpflow writes it: a file per direction, named by the endpoints.
  flows = join(dir, 'flows');
  mkdirSync(flows);
  writeFileSync(join(flows, '010.000.000.002.40000-010.000.000.001.08080'),
    'GET /orders/7 HTTP/1.1\r\nHost: shop\r\nAuthorization: Bearer user-secret\r\nX-Api-Key: k-123\r\n\r\n');
  writeFileSync(join(flows, '010.000.000.001.08080-010.000.000.002.40000'),
    'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function runCli(env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [CLI, '--read-tcpflow', flows, '--ports', '8080'], {
    // Only what is given here: the test machine's own NODE_EXTRA_CA_CERTS must not leak in.
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env }, stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stderr })));
}

describe('a collector on a private CA', () => {
  it('is reached through NODE_EXTRA_CA_CERTS, in production, with the token and the default redaction', async () => {
    const collector = await new Collector({ key: pki.key, cert: pki.cert }).start();
    try {
      const r = await runCli({
        OUTPUT_URL: collector.url, OUTPUT_URL_AUTH_TOKEN: TOKEN, TCP_SNIFFER_PRODUCTION: '1',
        REDACT_HEADERS: 'x-api-key', NODE_EXTRA_CA_CERTS: join(dir, 'ca.pem'),
      });
      expect(r.code, r.stderr).toBe(0);
      expect(collector.requests).toHaveLength(2);
      const request = collector.requests.map((q) => JSON.parse(q.body)).find((m) => m.direction === 'request');
      expect(request).toMatchObject({ method: 'GET', path: '/orders/7' });
      // Adding x-api-key kept the defaults.
      expect(request.headers).toMatchObject({ authorization: '[REDACTED]', 'x-api-key': '[REDACTED]' });
      for (const q of collector.requests) expect(q.headers.authorization).toBe(`Bearer ${TOKEN}`);
      expect(r.stderr).not.toContain(TOKEN);
    } finally {
      await collector.close();
    }
  });

  it('is not trusted without the bundle: nothing is delivered, every failure is counted', async () => {
    const collector = await new Collector({ key: pki.key, cert: pki.cert }).start();
    try {
      const r = await runCli({ OUTPUT_URL: collector.url, TCP_SNIFFER_PRODUCTION: '1', DRAIN_TIMEOUT_MS: '6000' });
      expect(r.code, r.stderr).toBe(0);
      expect(collector.requests).toHaveLength(0);
      expect(r.stderr).toContain('UNABLE_TO_VERIFY_LEAF_SIGNATURE');
      const end = r.stderr.split('\n').filter(Boolean).map((l) => JSON.parse(l)).find((l) => l.message === 'tcpflow directory decoded');
      expect(end.outputs.https.delivered).toBe(0);
      expect(end.outputs.https.failed + end.outputs.https.dropped).toBe(2);
    } finally {
      await collector.close();
    }
  });
});
