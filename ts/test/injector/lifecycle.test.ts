// The injector's life as a Deployment sees it: certificate rotation through a Secret volume's `..data`
// symlink swap (as cert-manager and the kubelet do it), SIGTERM drain, and start-up refusal of bad
// configuration. Real binary, real TLS, certificates from openssl. (No Kubernetes API server or kubelet
// can run here; the volume layout is reproduced on disk.)
import * as fs from 'node:fs';
import * as https from 'node:https';
import * as net from 'node:net';
import * as path from 'node:path';
import * as tls from 'node:tls';

import { describe, expect, it } from 'vitest';

import {
  FIXTURES, fingerprint, makePki, peerCertificate, request, runInjector, startInjector, startOnSecretVolume, tempDir,
} from './harness';

const review = fs.readFileSync(path.join(FIXTURES, 'basic.review.json'), 'utf8');

describe('certificate rotation', () => {
  it('serves the new certificate after a ..data swap, without dropping open connections', async () => {
    const { server, first, second, cas: bothCas, rotate, rotateToBroken } = await startOnSecretVolume('rotation');
    try {
      expect((await peerCertificate(server.port, bothCas)).fingerprint256).toBe(fingerprint(first.cert));

      // A kept-alive connection opened before the rotation.
      const agent = new https.Agent({ keepAlive: true, maxSockets: 1 });
      const before = await request(server.port, first.caCert, 'POST', '/mutate', review, { agent });
      expect(before.status).toBe(200);

      await rotate();
      expect((await peerCertificate(server.port, bothCas)).fingerprint256).toBe(fingerprint(second.cert));

      // The old connection still works, on the same socket and the old certificate.
      let reused = false;
      const after = await new Promise<number>((resolve, reject) => {
        const req = https.request({ host: '127.0.0.1', port: server.port, path: '/healthz', ca: first.caCert, servername: 'localhost', agent }, (res) => {
          reused = req.reusedSocket;
          res.resume();
          res.on('end', () => resolve(res.statusCode!));
        });
        req.on('error', reject);
        req.end();
      });
      expect(after).toBe(200);
      expect(reused).toBe(true);
      agent.destroy();

      // A half-written or broken pair is refused and the current certificate kept.
      await rotateToBroken();
      expect((await peerCertificate(server.port, bothCas)).fingerprint256).toBe(fingerprint(second.cert));
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });
});

describe('SIGTERM', () => {
  it('finishes the request in flight, closes idle connections, and exits 0', async () => {
    const dir = tempDir('drain');
    const pki = makePki(dir);
    const server = await startInjector({
      certFile: path.join(dir, 'pki-tls.crt'), keyFile: path.join(dir, 'pki-tls.key'),
      options: { server: { drainTimeoutSeconds: 10 } },
    });

    const idle = tls.connect({ host: '127.0.0.1', port: server.port, ca: pki.caCert, servername: 'localhost' });
    await new Promise((r) => idle.once('secureConnect', r));
    const idleClosed = new Promise((r) => idle.on('close', r));
    idle.on('error', () => {});

    const busy = tls.connect({ host: '127.0.0.1', port: server.port, ca: pki.caCert, servername: 'localhost' });
    await new Promise((r) => busy.once('secureConnect', r));
    let reply = '';
    busy.on('data', (d) => { reply += d.toString('utf8'); });
    const busyClosed = new Promise((r) => busy.on('close', r));
    const body = Buffer.from(review);
    busy.write(`POST /mutate HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`);
    busy.write(body.subarray(0, 100)); // the request is in flight
    await new Promise((r) => setTimeout(r, 100));

    server.proc.kill('SIGTERM');
    await server.waitForLog((l) => l.message === 'draining');
    await idleClosed; // idle connections are closed at once
    expect(server.proc.exitCode).toBeNull(); // still waiting for the busy one

    // New connections are refused while draining.
    const refused = await new Promise<boolean>((resolve) => {
      const s = net.connect(server.port, '127.0.0.1');
      s.on('error', () => resolve(true));
      s.on('connect', () => { s.destroy(); resolve(false); });
    });
    expect(refused).toBe(true);

    busy.write(body.subarray(100));
    await busyClosed;
    expect(reply).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(reply.toLowerCase()).toContain('connection: close');
    expect(reply).toContain('"allowed":true');

    expect(await server.exited).toBe(0);
    const stopped = server.logs.find((l) => l.message === 'injector stopped');
    expect(stopped).toMatchObject({ level: 'info', reviews: 1 });
  });

  it('closes what is still open at the drain deadline, and exits 0', async () => {
    const dir = tempDir('drain-deadline');
    const pki = makePki(dir);
    const server = await startInjector({
      certFile: path.join(dir, 'pki-tls.crt'), keyFile: path.join(dir, 'pki-tls.key'),
      options: { server: { drainTimeoutSeconds: 1, requestTimeoutSeconds: 60 } },
    });
    const slow = tls.connect({ host: '127.0.0.1', port: server.port, ca: pki.caCert, servername: 'localhost' });
    await new Promise((r) => slow.once('secureConnect', r));
    slow.on('error', () => {});
    const closed = new Promise((r) => slow.on('close', r));
    slow.write('POST /mutate HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5000\r\n\r\n{'); // and never the rest
    await new Promise((r) => setTimeout(r, 100));
    server.proc.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    await closed;
    expect(server.logs.some((l) => l.message === 'drain deadline reached; closing the remaining connections')).toBe(true);
  });

  it('exits 0 at once when nothing is open', async () => {
    const dir = tempDir('drain-idle');
    makePki(dir);
    const server = await startInjector({ certFile: path.join(dir, 'pki-tls.crt'), keyFile: path.join(dir, 'pki-tls.key') });
    expect(await server.stop()).toBe(0);
  });
});

describe('start-up refusal', () => {
  const dir = tempDir('startup');
  makePki(dir);
  const cert = path.join(dir, 'pki-tls.crt');
  const key = path.join(dir, 'pki-tls.key');
  const base = ['--listen', '127.0.0.1:0', '--tls-cert', cert, '--tls-key', key];
  const withOptions = (options: string) => {
    const f = path.join(tempDir('opts'), 'options.json');
    fs.writeFileSync(f, options);
    return [...base, '--config', f];
  };
  const errorOf = (logs: any[]) => logs.find((l) => l.level === 'error')?.error as string;

  it.each([
    ['an invalid quantity', '{"resources":{"limits":{"cpu":"lots"}}}', 'resources.limits.cpu: must be a Kubernetes quantity such as 100m or 256Mi'],
    ['an unknown field', '{"sidecar":"x"}', 'sidecar: unknown field'],
    ['a bad default env value', '{"env":{"SAMPLE_RATE":"1.5"}}', 'env.SAMPLE_RATE: decimal number in [0, 1]'],
    ['a token given in clear', '{"env":{"OUTPUT_URL_AUTH_TOKEN":"s3cret"}}', 'env.OUTPUT_URL_AUTH_TOKEN: not a configurable sidecar variable'],
    ['a bad grace period', '{"terminationGracePeriodSeconds":-1}', 'terminationGracePeriodSeconds: must be an integer from 1 to 86400'],
  ])('invalid options (%s): exit 1 naming the field', async (_name, options, message) => {
    const { code, logs } = await runInjector(withOptions(options));
    expect(code).toBe(1);
    expect(errorOf(logs)).toContain(message);
    expect(JSON.stringify(logs)).not.toContain('s3cret');
  });

  it('options file that is not JSON: exit 1 naming --config', async () => {
    const { code, logs } = await runInjector(withOptions('{ nope'));
    expect(code).toBe(1);
    expect(errorOf(logs)).toMatch(/^--config: .* is not valid JSON/);
  });

  it.each([
    ['missing certificate', ['--listen', '127.0.0.1:0', '--tls-cert', '/nonexistent/tls.crt', '--tls-key', key], '--tls-cert: cannot read /nonexistent/tls.crt'],
    ['key that is not a key', ['--listen', '127.0.0.1:0', '--tls-cert', cert, '--tls-key', cert], '--tls-key: '],
    ['no --listen', ['--tls-cert', cert, '--tls-key', key], '--listen: required'],
    ['bad --listen', ['--listen', 'localhost', '--tls-cert', cert, '--tls-key', key], '--listen: must be ADDR:PORT'],
    ['unknown flag', [...base, '--port', '1'], '--port: unknown flag'],
  ])('%s: exit 1 naming the flag', async (_name, args, message) => {
    const { code, logs } = await runInjector(args);
    expect(code).toBe(1);
    expect(errorOf(logs)).toContain(message);
  });

  it('--help and --version exit 0 without needing a certificate', async () => {
    expect((await runInjector(['--help'])).code).toBe(0);
    expect((await runInjector(['--version'])).code).toBe(0);
  });

  it('a certificate and key that do not match: exit 1', async () => {
    const other = tempDir('other');
    makePki(other);
    const { code, logs } = await runInjector(['--listen', '127.0.0.1:0', '--tls-cert', cert, '--tls-key', path.join(other, 'pki-tls.key')]);
    expect(code).toBe(1);
    expect(errorOf(logs)).toContain('does not match the certificate');
  });

  it('an address in use: exit 2', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as net.AddressInfo).port;
    const { code, logs } = await runInjector(['--listen', `127.0.0.1:${port}`, '--tls-cert', cert, '--tls-key', key]);
    blocker.close();
    expect(code).toBe(2);
    expect(errorOf(logs)).toContain('cannot listen on 127.0.0.1');
  });
});
