// The decoder suite in every runtime the decoder supports besides browsers (browser.test.ts): Node, Bun
// and Deno (both installed from npm as devDependencies) run runtimes/decoder-suite.mjs on the same
// streams, recorded byte for byte between a real client and the real traffic server sending bodies made
// by real compressors. Every runtime must give the same messages; decoded bodies must be the bytes the
// server compressed; every HAR must be valid HAR 1.2.
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Har } from '../src/har/types.js';
import type { HttpMessage } from '../src/types.js';
import { CODINGS, CORRUPT_BODY, encode, headerOf, plainBody } from './helpers/coded-bodies.mjs';
import { harErrors } from './helpers/har.js';
import { DECODER_MJS, requireBuilt } from './helpers/paths.js';
import { killAll } from './helpers/process.js';
import { startNodeServer, type Server } from './helpers/servers.js';
import { recordExchange, tempDir, TS_ROOT, type RequestSpec } from './runtime-support.js';

interface CaseReport { asSent: HttpMessage[]; decoded: HttpMessage[]; pushed: HttpMessage[]; har: Har }
interface Report { runtime: string; cases: Record<string, CaseReport> }

const N = 20_000;
const PLAIN = plainBody(N);
const BOMB_ZEROS = 2_000_000;
const RUNTIMES: Array<[string, string, string[]]> = [
  ['node', process.execPath, []],
  ['bun', join(TS_ROOT, 'node_modules/.bin/bun'), []],
  ['deno', join(TS_ROOT, 'node_modules/.bin/deno'), ['run', '--allow-read', '--no-prompt']],
];
const work = tempDir('runtimes');
let server: Server;
const reports = new Map<string, Report>();
const NODE_HAS_ZSTD = typeof (zlib as { zstdDecompressSync?: unknown }).zstdDecompressSync === 'function';

const gzipRequest = zlib.gzipSync(PLAIN.subarray(0, 5000));
const MAIN: RequestSpec[] = [
  ...CODINGS.map((c) => ({ method: 'GET', path: `/coded/${c}/${N}` })),
  { method: 'GET', path: `/coded/gzip/${N}?chunked=1` },
  { method: 'GET', path: '/corrupt' },
  { method: 'POST', path: '/echo', body: gzipRequest, headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' } },
  { method: 'GET', path: '/size/100' },
];

function run(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { maxBuffer: 1 << 30, env: { ...process.env, DENO_DIR: join(work, 'deno'), NO_COLOR: '1' }, timeout: 120_000 },
      (err, stdout, stderr) => (err ? reject(new Error(`${cmd} failed: ${err.message}\n${stderr}`)) : resolve(stdout)));
  });
}

/** Server bytes cut halfway through the (only) response's body. */
function cutBody(server: Buffer): Buffer {
  const head = server.indexOf('\r\n\r\n') + 4;
  return server.subarray(0, head + ((server.length - head) >> 1));
}

function bytesOf(m: HttpMessage): Buffer {
  return Buffer.from(m.body ?? '', m.bodyEncoding === 'base64' ? 'base64' : 'utf8');
}

beforeAll(async () => {
  requireBuilt(DECODER_MJS);
  server = await startNodeServer();
  const endpoints = { client: { ip: '10.1.1.1', port: 40000 }, server: { ip: '127.0.0.1', port: server.port } };
  const main = await recordExchange(MAIN, server.port);
  const bomb = await recordExchange([{ method: 'GET', path: `/bomb/${BOMB_ZEROS}` }], server.port);
  const cut = (c: string) => recordExchange([{ method: 'GET', path: `/coded/${c}/200000` }], server.port);
  const [cutGzip, cutBr] = await Promise.all([cut('gzip'), cut('br')]);
  const b64 = (b: Buffer) => b.toString('base64');
  const cases = [
    { name: 'codings', client: b64(main.client), server: b64(main.server), options: { ...endpoints, maxBodySize: 1_000_000 } },
    { name: 'small-max', client: b64(main.client), server: b64(main.server), options: { ...endpoints, maxBodySize: 1000 } },
    { name: 'bomb', client: b64(bomb.client), server: b64(bomb.server), options: endpoints },
    { name: 'bomb-ratio', client: b64(bomb.client), server: b64(bomb.server), options: { ...endpoints, maxBodySize: 4 << 20 } },
    { name: 'cut-gzip', client: b64(cutGzip.client), server: b64(cutBody(cutGzip.server)), options: { ...endpoints, maxBodySize: 1_000_000 } },
    { name: 'cut-br', client: b64(cutBr.client), server: b64(cutBody(cutBr.server)), options: { ...endpoints, maxBodySize: 1_000_000 } },
  ];
  const casesFile = join(work, 'cases.json');
  writeFileSync(casesFile, JSON.stringify(cases));
  const suite = join(__dirname, 'runtimes', 'decoder-suite.mjs');
  for (const [name, cmd, pre] of RUNTIMES) {
    const report = JSON.parse(await run(cmd, [...pre, suite, DECODER_MJS, casesFile])) as Report;
    expect(report.runtime).toBe(name);
    reports.set(name, report);
  }
}, 600_000);

afterAll(async () => {
  await killAll();
});

const responses = (ms: HttpMessage[]) => ms.filter((m) => m.direction === 'response');
const byPath = (ms: HttpMessage[]) => {
  const paths = ms.filter((m) => m.direction === 'request').map((m) => m.path!);
  return (p: string) => responses(ms)[paths.indexOf(p)]!;
};

describe.each(RUNTIMES.map(([name]) => name))('the decoder suite in %s', (name) => {
  const report = () => reports.get(name)!;
  const zstdDecoded = name !== 'node' || NODE_HAS_ZSTD;

  it('decodes messages exactly as Node does without decodeBodies', () => {
    for (const [k, c] of Object.entries(report().cases)) expect(c.asSent, k).toEqual(reports.get('node')!.cases[k]!.asSent);
  });

  it('removes every content coding the server applied, keeping the wire facts', () => {
    const { asSent, decoded } = report().cases.codings!;
    const wire = byPath(asSent);
    const got = byPath(decoded);
    for (const c of CODINGS) {
      const m = got(`/coded/${c}/${N}`);
      expect(m.bodySize, c).toBe(encode(c, PLAIN).length); // the coded size, as on the wire
      expect(m.headers['content-encoding']).toBe(headerOf(c));
      if (c === 'zstd' && !zstdDecoded) {
        expect(m.bodyDecodeError).toMatch(/zstd is not available/);
        expect(m.body).toBe(wire(`/coded/${c}/${N}`).body);
        continue;
      }
      expect(m.bodyDecodeError, c).toBeUndefined();
      expect(m.contentEncodingRemoved, c).toBe(headerOf(c));
      expect(m.bodyEncoding).toBe('utf8');
      expect(m.body, c).toBe(PLAIN.toString('utf8'));
      expect(m.bodyTruncated).toBe(false);
    }
    const chunked = got(`/coded/gzip/${N}?chunked=1`);
    expect(chunked.headers['transfer-encoding']).toBe('chunked');
    expect(chunked.body).toBe(PLAIN.toString('utf8'));
    // A gzip request body is decoded too; the echo (octet-stream, no Content-Encoding) is left as it came.
    const post = decoded.find((m) => m.method === 'POST')!;
    expect(post.contentEncodingRemoved).toBe('gzip');
    expect(post.body).toBe(PLAIN.subarray(0, 5000).toString('utf8'));
    expect(post.bodySize).toBe(gzipRequest.length);
    expect(got('/echo')).toEqual(wire('/echo'));
    expect(got('/size/100')).toEqual(wire('/size/100'));
  });

  it('delivers a corrupt body as it came, saying why', () => {
    const { asSent, decoded } = report().cases.codings!;
    const m = byPath(decoded)('/corrupt');
    expect(m.bodyDecodeError).toBe('not valid gzip data: delivered as it came');
    expect(m.contentEncodingRemoved).toBeUndefined();
    expect(m.body).toBe(byPath(asSent)('/corrupt').body);
  });

  it('applies maxBodySize to the decoded bytes', () => {
    const { decoded } = report().cases['small-max']!;
    for (const c of CODINGS.filter((x) => x !== 'zstd')) {
      const m = byPath(decoded)(`/coded/${c}/${N}`);
      expect(bytesOf(m).equals(PLAIN.subarray(0, 1000)), c).toBe(true);
      expect(m.bodyTruncated).toBe(true);
      expect(m.bodyDecodeError).toBeUndefined();
    }
    if (zstdDecoded) {
      // zstd decodes whole blocks only (this body is one): 1000 kept coded bytes give little or nothing.
      const m = byPath(decoded)(`/coded/zstd/${N}`);
      expect(bytesOf(m).equals(PLAIN.subarray(0, bytesOf(m).length))).toBe(true);
      expect(m.bodyTruncated).toBe(true);
      expect(m.bodyDecodeError).toBe('zstd body ends early (only the first 1000 coded bytes were kept (maxBodySize)): decoded as far as it goes');
    }
  });

  it('stops a decompression bomb at maxBodySize, and at 100:1 when maxBodySize is larger', () => {
    const plain = responses(report().cases.bomb!.decoded)[0]!;
    expect(bytesOf(plain).equals(Buffer.alloc(65536))).toBe(true);
    expect(plain.bodyTruncated).toBe(true);
    expect(plain.bodyDecodeError).toBeUndefined();
    const ratio = responses(report().cases['bomb-ratio']!.decoded)[0]!;
    expect(ratio.bodySize).toBeLessThan(BOMB_ZEROS / 100);
    expect(bytesOf(ratio).equals(Buffer.alloc(ratio.bodySize * 100))).toBe(true);
    expect(ratio.bodyTruncated).toBe(true);
    expect(ratio.bodyDecodeError).toMatch(/100:1 .*decompression-bomb guard/);
  });

  it('decodes a body cut off on the wire as far as it goes, and says so', () => {
    for (const k of ['cut-gzip', 'cut-br']) {
      const m = responses(report().cases[k]!.decoded)[0]!;
      expect(m.incomplete).toBe(true);
      expect(m.contentEncodingRemoved).toBe(k.slice(4));
      expect(m.bodyDecodeError).toMatch(/body ends early \(the message was cut off\): decoded as far as it goes/);
      const got = bytesOf(m);
      expect(got.length).toBeGreaterThan(50_000);
      expect(got.equals(plainBody(200_000).subarray(0, got.length))).toBe(true);
    }
  });

  it('delivers the same decoded messages through the push API, in order', () => {
    for (const c of Object.values(report().cases)) expect(c.pushed).toEqual(c.decoded);
  });

  it('gives the same decoded messages as Node, zstd aside', () => {
    const zstd = (m: HttpMessage) => m.headers['content-encoding'] === 'zstd';
    for (const [k, c] of Object.entries(report().cases)) {
      expect(c.decoded.filter((m) => !zstd(m)), k).toEqual(reports.get('node')!.cases[k]!.decoded.filter((m) => !zstd(m)));
    }
  });

  it('turns the messages into valid HAR 1.2, one entry per exchange, with decoded content', () => {
    for (const [k, c] of Object.entries(report().cases)) {
      expect(harErrors(c.har), k).toEqual([]);
      expect(c.har.log.entries.length, k).toBe(c.decoded.filter((m) => m.direction === 'request').length);
    }
    const entries = report().cases.codings!.har.log.entries;
    // The Host header names the recording relay the client talked to.
    const gz = entries.find((e) => /^http:\/\/127\.0\.0\.1:\d+\/coded\/gzip\/20000$/.test(e.request.url))!;
    expect(gz.response.content.text).toBe(PLAIN.toString('utf8'));
    expect(gz.response.content.size).toBe(N);
    expect(gz.response.content.compression).toBe(N - gz.response.bodySize);
    expect(gz.response.content.mimeType).toBe('application/json; charset=utf-8');
    expect(gz.serverIPAddress).toBe('127.0.0.1');
    const post = entries.find((e) => e.request.method === 'POST')!;
    expect(post.request.postData!.text).toBe(PLAIN.subarray(0, 5000).toString('utf8'));
    const corrupt = entries.find((e) => e.request.url.endsWith('/corrupt'))!;
    expect(corrupt.response.content.text).toBe(CORRUPT_BODY.toString('utf8')); // as it came (valid UTF-8)
    expect(corrupt.response.content.comment).toMatch(/not valid gzip data/);
  });
});
