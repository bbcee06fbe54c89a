// The decoder (tcp-sniffer/decoder) as users get it: dist/decoder.js and dist/decoder.mjs with the
// embedded .wasm, on bytes a real Node HTTP server and client exchanged.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import vm from 'node:vm';
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import type { HttpMessage } from '../src/types.js';
import { DEMO_REQUESTS, DIST, recordExchange, requireArtifacts, requireFromHere, WASM } from './runtime-support.js';

type DecoderModule = typeof import('../src/decoder.js');

const CLIENT = { ip: '10.1.2.3', port: 50123 };
const SERVER = { ip: '10.9.8.7', port: 8080 };
let decoderCjs: DecoderModule;
let exchange: { client: Buffer; server: Buffer };

beforeAll(async () => {
  requireArtifacts(join(DIST, 'decoder.js'), join(DIST, 'decoder.mjs')); // the .wasm is embedded
  decoderCjs = requireFromHere(join(DIST, 'decoder.js')) as DecoderModule;
  exchange = await recordExchange();
});

function byDirection(msgs: HttpMessage[]): { reqs: HttpMessage[]; resps: HttpMessage[] } {
  return { reqs: msgs.filter((m) => m.direction === 'request'), resps: msgs.filter((m) => m.direction === 'response') };
}

/** Cuts `bytes` into pieces of sizes cycling through small primes: boundaries fall everywhere. */
function oddPieces(bytes: Uint8Array): Uint8Array[] {
  const sizes = [1, 2, 3, 5, 7, 11, 13, 17, 64, 1, 1, 509];
  const out: Uint8Array[] = [];
  for (let at = 0, i = 0; at < bytes.length; i++) {
    const n = sizes[i % sizes.length]!;
    out.push(bytes.subarray(at, at + n));
    at += n;
  }
  return out;
}

describe('decodeStreams on a real exchange', () => {
  it('rebuilds every request and response, paired and in order', async () => {
    const msgs = await decoderCjs.decodeStreams(exchange.client, exchange.server, { client: CLIENT, server: SERVER, id: 'c7' });
    const { reqs, resps } = byDirection(msgs);
    expect(reqs.map((m) => [m.method, m.path])).toEqual(DEMO_REQUESTS.map((r) => [r.method, r.path]));
    expect(reqs.map((m) => m.exchange)).toEqual([1, 2, 3, 4, 5]);
    expect(resps.map((m) => m.exchange)).toEqual([1, 2, 3, 4, 5]);
    expect(resps.map((m) => m.statusCode)).toEqual([200, 200, 200, 200, 200]);
    expect(resps.every((m) => m.statusMessage === 'OK')).toBe(true);
    for (const m of msgs) {
      expect(m.connectionId).toBe('c7');
      expect(m.httpVersion).toBe('1.1');
      expect(m.receiver).toEqual(SERVER);
      expect(m.timestamp).toBeUndefined(); // no times were given
      expect(m.elapsedMs).toBeUndefined();
      expect(m.incomplete).toBeUndefined();
    }
    expect(reqs[0]!.source).toEqual(CLIENT);
    expect(reqs[0]!.destination).toEqual(SERVER);
    expect(resps[0]!.source).toEqual(SERVER);
    expect(resps[0]!.destination).toEqual(CLIENT);

    // Bodies: none on a GET, utf8 text, de-chunked, binary as base64, multi-byte UTF-8.
    expect(reqs[0]!.body).toBeUndefined();
    expect(reqs[0]!.bodySize).toBe(0);
    expect(resps[0]!.body).toBe('ok GET /hello?x=1');
    expect(reqs[1]!.body).toBe(DEMO_REQUESTS[1]!.body);
    expect(reqs[1]!.bodyEncoding).toBe('utf8');
    expect(reqs[1]!.bodySize).toBe(Buffer.byteLength(DEMO_REQUESTS[1]!.body!));
    expect(JSON.parse(resps[1]!.body!)).toEqual({ method: 'POST', size: 29, text: DEMO_REQUESTS[1]!.body });
    expect(resps[2]!.headers['transfer-encoding']).toBe('chunked');
    expect(resps[2]!.body).toBe('hello chunked world');
    expect(resps[2]!.bodySize).toBe(19);
    expect(resps[3]!.bodyEncoding).toBe('base64');
    expect(resps[3]!.body).toBe(Buffer.from([0xff, 0xfe, 0x00, 0x80, 0x81]).toString('base64'));
    expect(reqs[4]!.body).toBe('héllo wörld ✓');
    expect(reqs[4]!.bodySize).toBe(Buffer.byteLength('héllo wörld ✓'));
    expect(msgs.every((m) => m.bodyTruncated === false)).toBe(true);
  });

  it('redacts the default headers and keeps the others', async () => {
    const { reqs, resps } = byDirection(await decoderCjs.decodeStreams(exchange.client, exchange.server));
    expect(reqs[0]!.headers.authorization).toBe('[REDACTED]');
    expect(reqs[0]!.headers['x-trace']).toBe('abc');
    expect(reqs[1]!.headers.cookie).toBe('[REDACTED]');
    const setCookie = JSON.stringify(resps[2]!.headers['set-cookie']);
    expect(setCookie).toContain('[REDACTED]');
    expect(setCookie).not.toContain('a=1');
    expect(JSON.stringify([...reqs, ...resps])).not.toContain('secret-token');
  });

  it('keeps the defaults with redactHeaders: [], redacts nothing with redactDefaultHeaders: false; set-cookie stays an array', async () => {
    const kept = byDirection(await decoderCjs.decodeStreams(exchange.client, exchange.server, { redactHeaders: [] }));
    expect(kept.reqs[0]!.headers.authorization).toBe('[REDACTED]');
    const { reqs, resps } = byDirection(await decoderCjs.decodeStreams(exchange.client, exchange.server, { redactDefaultHeaders: false }));
    expect(reqs[0]!.headers.authorization).toBe('Bearer secret-token');
    expect(reqs[1]!.headers.cookie).toBe('sid=zzz');
    expect(resps[2]!.headers['set-cookie']).toEqual(['a=1', 'b=2']);
  });

  it('redacts listed headers case-insensitively, on top of the defaults', async () => {
    const { reqs } = byDirection(await decoderCjs.decodeStreams(exchange.client, exchange.server, { redactHeaders: ['X-Trace'] }));
    expect(reqs[0]!.headers['x-trace']).toBe('[REDACTED]');
    expect(reqs[0]!.headers.authorization).toBe('[REDACTED]');
    const only = byDirection(await decoderCjs.decodeStreams(exchange.client, exchange.server, { redactHeaders: ['X-Trace'], redactDefaultHeaders: false }));
    expect(only.reqs[0]!.headers['x-trace']).toBe('[REDACTED]');
    expect(only.reqs[0]!.headers.authorization).toBe('Bearer secret-token');
  });

  it('keeps only maxBodySize bytes of a body and says so', async () => {
    const big = await recordExchange([{ method: 'GET', path: '/big?n=100000' }]);
    const { resps } = byDirection(await decoderCjs.decodeStreams(big.client, big.server, { maxBodySize: 10 }));
    expect(resps[0]!.body).toBe('x'.repeat(10));
    expect(resps[0]!.bodySize).toBe(100000);
    expect(resps[0]!.bodyTruncated).toBe(true);
  });
  it('redacts the fields of a body it decodes, with the core\'s redaction, and counts it', async () => {
    const json = JSON.stringify({ user: 'u', password: 'gz-secret', list: [{ token: 'gz-secret' }] });
    const gz = gzipSync(json);
    const head = `POST /login HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-encoding: gzip\r\ncontent-length: ${gz.length}\r\n\r\n`;
    const client = Buffer.concat([Buffer.from(head), gz]);
    const server = Buffer.from('HTTP/1.1 204 No Content\r\n\r\n');
    const decoder = await decoderCjs.createDecoder({ decodeBodies: true });
    const got: HttpMessage[] = [];
    decoder.onMessage = (m) => got.push(m);
    decoder.open(1, { client: CLIENT, server: SERVER });
    decoder.push(1, 'client', client);
    decoder.push(1, 'server', server);
    decoder.close(1);
    await decoder.flush();
    const req = got.find((m) => m.direction === 'request')!;
    expect(req.contentEncodingRemoved).toBe('gzip');
    expect(req.body).toBe(JSON.stringify({ user: 'u', password: '[REDACTED]', list: [{ token: '[REDACTED]' }] }));
    expect(decoder.stats()).toMatchObject({ bodiesEncoded: 1, bodiesRedacted: 1, bodiesUnparsed: 0 });
    decoder.dispose();
  });
});

describe('the push API', () => {
  it('gives the same messages whatever the chunk boundaries', async () => {
    const whole = await decoderCjs.decodeStreams(exchange.client, exchange.server, { client: CLIENT, server: SERVER });
    const decoder = await decoderCjs.createDecoder();
    const got: HttpMessage[] = [];
    decoder.onMessage = (m) => got.push(m);
    decoder.open(1, { client: CLIENT, server: SERVER });
    for (const piece of oddPieces(exchange.client)) decoder.push(1, 'client', piece);
    for (const piece of oddPieces(exchange.server)) decoder.push(1, 'server', piece);
    decoder.close(1);
    decoder.dispose();
    expect(got).toEqual(whole);
  });

  it('decodes requests and responses interleaved as they happen, with times', async () => {
    // One exchange at a time, the way a capture delivers them: request, then its response.
    const reqs = [{ method: 'GET', path: '/a' }, { method: 'POST', path: '/echo', body: 'abc' }];
    const parts = await Promise.all(reqs.map((r) => recordExchange([r])));
    const decoder = await decoderCjs.createDecoder();
    const got: HttpMessage[] = [];
    decoder.onMessage = (m) => got.push(m);
    const t0 = Date.UTC(2026, 10, 23, 10, 0, 0) + 0.123;
    decoder.open('k', { client: { ip: '::1', port: 40000 }, server: { ip: '::1', port: 80 } }, t0);
    parts.forEach((p, i) => {
      decoder.push('k', 'client', p.client, t0 + i * 10);
      decoder.push('k', 'server', p.server, t0 + i * 10 + 2.5);
    });
    decoder.close('k', t0 + 100);
    const { reqs: q, resps: r } = byDirection(got);
    expect(q.map((m) => m.path)).toEqual(['/a', '/echo']);
    expect(r.map((m) => m.exchange)).toEqual([1, 2]);
    expect(q[0]!.timestamp).toBe('2026-11-23T10:00:00.000123Z');
    expect(q[1]!.timestamp).toBe('2026-11-23T10:00:00.010123Z');
    expect(r[0]!.elapsedMs).toBeCloseTo(2.5, 3);
    expect(r[0]!.receiver).toEqual({ ip: '::1', port: 80 });
  });

  it('marks a message cut by a gap as incomplete', async () => {
    const decoder = await decoderCjs.createDecoder();
    const got: HttpMessage[] = [];
    decoder.onMessage = (m) => got.push(m);
    decoder.open(3, { client: CLIENT, server: SERVER });
    const head = 'POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n';
    decoder.push(3, 'client', new TextEncoder().encode(head + 'y'.repeat(40)));
    decoder.gap(3, 'client', 60);
    decoder.close(3);
    expect(got.length).toBeGreaterThanOrEqual(1);
    expect(got[0]!.method).toBe('POST');
    expect(got[0]!.incomplete).toBe(true);
  });

  it('rejects misuse with errors that say what is wrong', async () => {
    const decoder = await decoderCjs.createDecoder();
    expect(() => decoder.push(9, 'client', new Uint8Array([1]))).toThrow(/connection 9 is not open/);
    expect(() => decoder.open(9, { client: { ip: '300.1.1.1', port: 1 }, server: SERVER })).toThrow(/client\.ip/);
    expect(() => decoder.open(9, { client: CLIENT, server: { ip: '::1', port: 80 } })).toThrow(/same IP version/);
    decoder.open(9, { client: CLIENT, server: SERVER });
    expect(() => decoder.open(9, { client: CLIENT, server: SERVER })).toThrow(/already open/);
    expect(() => decoder.push(9, 'sideways' as 'client', new Uint8Array([1]))).toThrow(/side/);
    expect(() => decoder.gap(9, 'client', 0)).toThrow(/lostBytes/);
    decoder.dispose();
    await expect(decoderCjs.createDecoder({ maxBodySize: -1 })).rejects.toThrow(/maxBodySize/);
    await expect(decoderCjs.createDecoder({ redactHeaders: ['bad header'] })).rejects.toThrow(/redactHeaders\[0\]/);
  });

  it('takes random bytes and TLS without throwing, and reports them through onLog and stats', async () => {
    const decoder = await decoderCjs.createDecoder();
    const logs: Array<{ level: string; message: string }> = [];
    let messages = 0;
    decoder.onLog = (r) => logs.push(r);
    decoder.onMessage = () => messages++;
    // A TLS ClientHello's first bytes: a record of type 22, version 3.1.
    const tls = new Uint8Array([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03, ...new Array(500).fill(7)]);
    decoder.open('tls', { client: CLIENT, server: SERVER });
    decoder.push('tls', 'client', tls);
    decoder.close('tls');
    let seed = 42;
    const random = (): number => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 0xff;
    for (let c = 0; c < 20; c++) {
      decoder.open(c, { client: CLIENT, server: SERVER });
      for (let k = 0; k < 50; k++) {
        const bytes = new Uint8Array(1 + (random() << 4)).map(() => random());
        decoder.push(c, k % 3 === 0 ? 'server' : 'client', bytes);
      }
      decoder.close(c);
    }
    const stats = decoder.stats() as { nonHttpConnections?: Record<string, number> };
    decoder.dispose();
    expect(messages).toBe(0);
    expect(stats.nonHttpConnections?.tls).toBe(1);
    expect(logs.length).toBeGreaterThan(0);
    for (const l of logs) {
      expect(['debug', 'info', 'warn', 'error']).toContain(l.level);
      expect(typeof l.message).toBe('string');
    }
  });

  it('accepts the module bytes explicitly', async () => {
    requireArtifacts(WASM);
    const msgs = await decoderCjs.decodeStreams(exchange.client, exchange.server, { wasm: readFileSync(WASM) });
    expect(msgs).toHaveLength(10);
  });
});

describe('portability of the bundles', () => {
  it('the ESM bundle gives the same messages as the CJS one', async () => {
    const esm = (await import(pathToFileURL(join(DIST, 'decoder.mjs')).href)) as DecoderModule;
    const a = await esm.decodeStreams(exchange.client, exchange.server);
    const b = await decoderCjs.decodeStreams(exchange.client, exchange.server);
    expect(a).toEqual(b);
    expect(a).toHaveLength(10);
  });

  it('the bundles reference no Node built-in', () => {
    for (const file of ['decoder.js', 'decoder.mjs']) {
      const text = readFileSync(join(DIST, file), 'utf8');
      expect(text).not.toMatch(/\brequire\(/);
      // One run-time lookup, guarded: zlib where the runtime has it (Node, Bun, Deno), the web platform
      // elsewhere (docs/bodies-and-har.md); the bare-context test below runs without it.
      expect(text.match(/["']node:[a-z_]+["']/g)).toEqual(['"node:zlib"']);
      expect(text).toContain('?.getBuiltinModule?.("node:zlib")');
      expect(text).not.toMatch(/\bprocess\.|\bBuffer\.|__dirname/);
    }
  });

  it('runs in a bare JS context holding only WebAssembly and the web globals', async () => {
    // A fresh V8 context: no require, no process, no Buffer; only what browsers and Deno also have.
    const context = vm.createContext({ TextDecoder, TextEncoder, atob, URL, console });
    const module = { exports: {} as DecoderModule };
    vm.runInContext(`(function (module, exports) {${readFileSync(join(DIST, 'decoder.js'), 'utf8')}\n})`, context)(module, module.exports);
    const hex = (b: Buffer): string => b.toString('hex');
    const toBytes = vm.runInContext(
      '(hex) => { const a = new Uint8Array(hex.length / 2); for (let i = 0; i < a.length; i++) a[i] = parseInt(hex.substr(2 * i, 2), 16); return a; }',
      context,
    ) as (hex: string) => Uint8Array;
    const msgs = await module.exports.decodeStreams(toBytes(hex(exchange.client)), toBytes(hex(exchange.server)));
    expect(msgs).toHaveLength(10);
    expect(JSON.parse(JSON.stringify(msgs))).toEqual(await decoderCjs.decodeStreams(exchange.client, exchange.server));
  });
});
