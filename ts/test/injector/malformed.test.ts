// Hostile and broken input against the real injector over real HTTPS: every case ends in a 400 with a
// clear message, an allowed response with a warning, or a closed connection, and the server keeps
// serving afterwards. (No Kubernetes API server can run here; these are the requests it, or anything
// else that reaches the port, could send.)
import * as net from 'node:net';
import * as path from 'node:path';
import * as tls from 'node:tls';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type Injector, makePki, request, startInjector, tempDir, type Pki } from './harness';

let pki: Pki;
let server: Injector;
const MAX_BODY = 65536;

beforeAll(async () => {
  const dir = tempDir('malformed');
  pki = makePki(dir);
  server = await startInjector({
    certFile: path.join(dir, 'pki-tls.crt'), keyFile: path.join(dir, 'pki-tls.key'),
    options: { server: { requestTimeoutSeconds: 1, idleTimeoutSeconds: 2, maxRequestBytes: MAX_BODY, maxInFlightBytes: 100_000, maxConnections: 16 } },
  });
});

afterAll(async () => {
  expect(await server.stop()).toBe(0);
  // Every line the injector wrote was a JSON log record.
  expect(server.logs.filter((l) => l.unparsed !== undefined)).toEqual([]);
});

const post = (body: string | Buffer) => request(server.port, pki.caCert, 'POST', '/mutate', body);

async function expectHealthy() {
  const res = await request(server.port, pki.caCert, 'GET', '/healthz');
  expect(res.status).toBe(200);
  expect(server.proc.exitCode).toBeNull();
}

/** Resolves when the server closes `socket`, or with 'open' if it is still open after `ms`. */
function closedWithin(socket: net.Socket, ms: number): Promise<'closed' | 'open'> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve('open'), ms);
    socket.on('close', () => { clearTimeout(timer); resolve('closed'); });
    socket.on('error', () => {});
  });
}

describe('requests without a uid to answer get a 400', () => {
  it.each([
    ['not JSON', 'hello, webhook', /not valid JSON/],
    ['empty body', '', /not valid JSON/],
    ['JSON but not an object', '"AdmissionReview"', /not a JSON object/],
    ['wrong kind', JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'Pod', request: { uid: 'u' } }), /expected kind AdmissionReview/],
    ['old version', JSON.stringify({ apiVersion: 'admission.k8s.io/v1beta1', kind: 'AdmissionReview', request: { uid: 'u' } }), /admission\.k8s\.io\/v1/],
    ['no request', JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' }), /no request object/],
    ['no uid', JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { object: {} } }), /no uid/],
    ['invalid UTF-8', Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]), /not valid JSON/],
    ['deep nesting', '['.repeat(50_000), /not valid JSON/],
  ])('%s', async (_name, body, message) => {
    const res = await post(body as string);
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body).error).toMatch(message);
  });
});

describe('requests with a uid are answered "allowed" with a warning', () => {
  it('missing object', async () => {
    const res = await post(JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { uid: 'u-7', operation: 'CREATE' } }));
    expect(res.status).toBe(200);
    const r = JSON.parse(res.body).response;
    expect(r).toMatchObject({ uid: 'u-7', allowed: true });
    expect(r.patch).toBeUndefined();
    expect(r.warnings).toEqual(['tcp-sniffer: sidecar not injected: request.object is missing or not an object']);
  });

  it('object of the wrong shape (containers not a list)', async () => {
    const res = await post(JSON.stringify({
      apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview',
      request: { uid: 'u-8', object: { metadata: { labels: { 'tcp-sniffer.io/inject': 'true' } }, spec: { containers: 'web' } } },
    }));
    expect(res.status).toBe(200);
    const r = JSON.parse(res.body).response;
    expect(r.allowed).toBe(true);
    expect(r.warnings[0]).toMatch(/no spec\.containers list/);
  });
});

describe('transport abuse', () => {
  it('a body over the limit gets a 400 naming the limit', async () => {
    const res = await post('{"x":"' + 'a'.repeat(MAX_BODY) + '"}');
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body).error).toBe(`request body exceeds ${MAX_BODY} bytes`);
    await expectHealthy();
  });

  it('a Content-Length of 10 GB is refused before any body is sent', async () => {
    const socket = tls.connect({ host: '127.0.0.1', port: server.port, ca: pki.caCert, servername: 'localhost' });
    await new Promise((r) => socket.once('secureConnect', r));
    let reply = '';
    socket.on('data', (d) => { reply += d.toString('latin1'); });
    socket.write('POST /mutate HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 10737418240\r\n\r\n');
    expect(await closedWithin(socket, 10_000)).toBe('closed');
    expect(reply).toMatch(/^HTTP\/1\.1 400 /);
    expect(reply).toContain('request body exceeds');
  });

  it('request bodies in flight are bounded server-wide: past the budget, a 503', async () => {
    const open = async () => {
      const s = tls.connect({ host: '127.0.0.1', port: server.port, ca: pki.caCert, servername: 'localhost' });
      await new Promise((r) => s.once('secureConnect', r));
      let reply = '';
      s.on('data', (d) => { reply += d.toString('latin1'); });
      s.on('error', () => {});
      return { s, reply: () => reply };
    };
    const first = await open();
    const second = await open();
    const head = 'POST /mutate HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 60000\r\n\r\n';
    first.s.write(head); // 60,000 of the 100,000 bytes reserved while its body is awaited
    await new Promise((r) => setTimeout(r, 100));
    second.s.write(head);
    expect(await closedWithin(second.s, 10_000)).toBe('closed');
    expect(second.reply()).toMatch(/^HTTP\/1\.1 503 /);
    expect(second.reply()).toContain('injector busy');
    first.s.destroy();
    await server.waitForLog((l) => l.message === 'request bytes in flight over the budget; request refused');
    await expectHealthy();
  });

  it('a client that stalls mid-request is disconnected, and others are still served', async () => {
    const socket = tls.connect({ host: '127.0.0.1', port: server.port, ca: pki.caCert, servername: 'localhost' });
    await new Promise((r) => socket.once('secureConnect', r));
    socket.write('POST /mutate HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1000\r\n\r\n{"apiVersion"');
    const closing = closedWithin(socket, 10_000); // the server's request timeout is 1 s here
    await expectHealthy(); // served while the stalled client holds its connection
    expect(await closing).toBe('closed');
    await server.waitForLog((l) => l.message === 'client stalled mid-request; connection closed');
  });

  it('a kept-alive connection left idle is closed after the idle timeout', async () => {
    const socket = tls.connect({ host: '127.0.0.1', port: server.port, ca: pki.caCert, servername: 'localhost' });
    await new Promise((r) => socket.once('secureConnect', r));
    let reply = '';
    socket.on('data', (d) => { reply += d.toString('latin1'); });
    socket.write('GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n');
    expect(await closedWithin(socket, 10_000)).toBe('closed'); // idleTimeoutSeconds is 2 here
    expect(reply).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(reply.toLowerCase()).not.toContain('connection: close'); // it was kept alive, then timed out
  });

  it('a TCP client that never starts the TLS handshake is disconnected', async () => {
    const socket = net.connect(server.port, '127.0.0.1');
    await new Promise((r) => socket.once('connect', r));
    expect(await closedWithin(socket, 10_000)).toBe('closed');
    await expectHealthy();
  });

  it('plain HTTP on the TLS port is refused without harm', async () => {
    const socket = net.connect(server.port, '127.0.0.1');
    await new Promise((r) => socket.once('connect', r));
    socket.write('POST /mutate HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}');
    expect(await closedWithin(socket, 10_000)).toBe('closed');
    await expectHealthy();
  });

  it('garbage instead of HTTP inside TLS gets a 400', async () => {
    const socket = tls.connect({ host: '127.0.0.1', port: server.port, ca: pki.caCert, servername: 'localhost' });
    await new Promise((r) => socket.once('secureConnect', r));
    let reply = '';
    socket.on('data', (d) => { reply += d.toString('latin1'); });
    socket.write(Buffer.from('\x00\x01\x02 GARBAGE \r\n\r\n', 'latin1'));
    expect(await closedWithin(socket, 10_000)).toBe('closed');
    expect(reply).toMatch(/^HTTP\/1\.1 400 /);
    await expectHealthy();
  });

  it('only TLS 1.2 and newer are offered', async () => {
    const socket = tls.connect({ host: '127.0.0.1', port: server.port, ca: pki.caCert, servername: 'localhost', maxVersion: 'TLSv1.2' });
    await new Promise((r) => socket.once('secureConnect', r));
    expect(socket.getProtocol()).toBe('TLSv1.2');
    socket.end();
    const modern = tls.connect({ host: '127.0.0.1', port: server.port, ca: pki.caCert, servername: 'localhost' });
    await new Promise((r) => modern.once('secureConnect', r));
    expect(modern.getProtocol()).toBe('TLSv1.3');
    modern.end();
  });

  it('connections beyond the limit are closed and counted, never queued without bound', async () => {
    const held: tls.TLSSocket[] = [];
    for (let i = 0; i < 20; i++) {
      const s = tls.connect({ host: '127.0.0.1', port: server.port, ca: pki.caCert, servername: 'localhost' });
      s.on('error', () => {});
      held.push(s);
    }
    await server.waitForLog((l) => l.message === 'connection limit reached; connection closed');
    for (const s of held) s.destroy();
    // Wait for the server to notice the closes, then it serves again.
    for (let i = 0; i < 50; i++) {
      try { await expectHealthy(); break; } catch { await new Promise((r) => setTimeout(r, 100)); }
    }
    await expectHealthy();
  });

  it('unknown paths and methods get 404 and 405', async () => {
    expect((await request(server.port, pki.caCert, 'GET', '/')).status).toBe(404);
    expect((await request(server.port, pki.caCert, 'GET', '/mutate')).status).toBe(405);
    expect((await request(server.port, pki.caCert, 'POST', '/readyz', '{}')).status).toBe(405);
  });
});
