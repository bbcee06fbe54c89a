// Redaction on real traffic: a node:http service on loopback, captured live by the CLI configured as a
// user adding one header would (REDACT_HEADERS=x-api-key). The added header and every default one are
// redacted in what comes out; nothing else is.
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killAll } from '../helpers/process';
import { LiveSniffer } from '../helpers/sniffer';

let service: http.Server;
let port: number;

beforeAll(async () => {
  service = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.setHeader('set-cookie', ['session=s3cr3t-session; HttpOnly', 'theme=dark']);
      res.setHeader('x-api-key', 'response-key-9');
      res.end(`served ${req.url}`);
    });
  });
  await new Promise<void>((r) => service.listen(0, '127.0.0.1', r));
  port = (service.address() as AddressInfo).port;
});

afterAll(async () => {
  await killAll();
  await new Promise<void>((r) => service.close(() => r()));
});

const get = (path: string, headers: Record<string, string> = {}) => new Promise<void>((resolve, reject) => {
  http.get({ host: '127.0.0.1', port, path, headers, agent: false }, (res) => {
    res.resume();
    res.on('end', resolve);
  }).on('error', reject);
});

describe('REDACT_HEADERS on live loopback traffic', () => {
  it('adds x-api-key and keeps redacting authorization, proxy-authorization, cookie and set-cookie', async () => {
    const sniffer = new LiveSniffer('lo', [port], [], [], { REDACT_HEADERS: 'x-api-key' });
    await sniffer.waitUntilCapturing(() => get('/probe'));
    await get('/orders/1', {
      authorization: 'Bearer user-token-1', 'proxy-authorization': 'Basic cHJveHk6cHc=', cookie: 'sid=abc123',
      'x-api-key': 'request-key-7', 'x-trace-id': 'trace-42',
    });
    await sniffer.waitForCount(2, 30_000, (ms) => ms.filter((m) => m.path === '/orders/1' || m.body === 'served /orders/1'));
    const exit = await sniffer.stop();
    expect(exit).toEqual({ code: 0, signal: null });

    const messages = sniffer.messages();
    const request = messages.find((m) => m.direction === 'request' && m.path === '/orders/1')!;
    const response = messages.find((m) => m.direction === 'response' && m.body === 'served /orders/1')!;
    expect(request.headers).toMatchObject({
      authorization: '[REDACTED]', 'proxy-authorization': '[REDACTED]', cookie: '[REDACTED]',
      'x-api-key': '[REDACTED]', 'x-trace-id': 'trace-42',
    });
    expect(response.headers).toMatchObject({ 'set-cookie': ['[REDACTED]', '[REDACTED]'], 'x-api-key': '[REDACTED]' });
    const out = sniffer.child.lines.join('\n');
    for (const secret of ['user-token-1', 'cHJveHk6cHc=', 'abc123', 'request-key-7', 's3cr3t-session', 'response-key-9']) {
      expect(out).not.toContain(secret);
    }
  });
});
