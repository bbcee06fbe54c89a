// The webhook cannot be starved by one peer (docs/injector.md, "Connections"): a pod that can reach the
// port opens as many connections as the injector allows in all and keeps them silent. The API server,
// another source, must still get its AdmissionReview answered, and the silent connections must be
// closed after the first-request timeout, not the idle timeout. Real binary, real TLS, two loopback
// source addresses (127.0.0.1 for the pod, 127.0.0.2 for the API server).
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import * as tls from 'node:tls';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { FIXTURES, type Injector, makePki, request, startInjector, tempDir, type Pki } from './harness';

const MAX_CONNECTIONS = 16;
const PER_SOURCE = 6;
let pki: Pki;
let server: Injector;

beforeAll(async () => {
  const dir = tempDir('starvation');
  pki = makePki(dir);
  server = await startInjector({
    certFile: path.join(dir, 'pki-tls.crt'), keyFile: path.join(dir, 'pki-tls.key'),
    // A long idle timeout, as in production: only the first-request timeout may close silent clients.
    options: { server: { maxConnections: MAX_CONNECTIONS, maxConnectionsPerSource: PER_SOURCE, requestTimeoutSeconds: 1, idleTimeoutSeconds: 300 } },
  });
});

afterAll(async () => {
  expect(await server.stop()).toBe(0);
});

/** Resolves 'closed' when the server closes `socket`, 'open' if it is still open after `ms`. */
function closedWithin(socket: net.Socket, ms: number): Promise<'closed' | 'open'> {
  if (socket.destroyed) return Promise.resolve('closed');
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve('open'), ms);
    socket.on('close', () => { clearTimeout(timer); resolve('closed'); });
  });
}

describe('one source holding idle connections', () => {
  it('cannot starve the API server, and its silent connections are closed after the first-request timeout', async () => {
    const held: net.Socket[] = [];
    // Every slot the server has, half plain TCP (no handshake), half TLS-handshaken and then silent.
    for (let i = 0; i < MAX_CONNECTIONS; i++) {
      const s = i % 2 === 0
        ? net.connect({ host: '127.0.0.1', port: server.port })
        : tls.connect({ host: '127.0.0.1', port: server.port, ca: pki.caCert, servername: 'localhost' });
      s.on('error', () => {});
      held.push(s);
    }
    await server.waitForLog((l) => l.message === 'per-source connection limit reached; connection closed' && l.source === '127.0.0.1');

    // The API server, from another address, is answered while the pod holds its share.
    const review = fs.readFileSync(path.join(FIXTURES, 'basic.review.json'), 'utf8');
    const res = await request(server.port, pki.caCert, 'POST', '/mutate', review, { localAddress: '127.0.0.2' });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body).response.allowed).toBe(true);
    expect(JSON.parse(res.body).response.patch).toBeDefined();

    // Every one of the pod's connections ends: refused at once past its share, the rest once the
    // first-request timeout (1 s here) passes; the idle timeout (300 s) never comes into it.
    const outcomes = await Promise.all(held.map((s) => closedWithin(s, 20_000)));
    expect(outcomes.filter((o) => o === 'open')).toEqual([]);

    const stats = (await server.stop().then(() => server.logs.find((l) => l.message === 'injector stopped')))!;
    expect(stats.connectionsRefusedPerSource).toBe(MAX_CONNECTIONS - PER_SOURCE);
    expect(stats.timeouts).toBeGreaterThanOrEqual(PER_SOURCE);
    expect(stats.reviews).toBe(1);
  });
});
