// Decoded bodies and HAR export end to end, as users run them: the CLI capturing live on loopback while the
// real traffic server sends bodies made by real compressors, then reading the capture file of the same
// traffic. Every HAR file is checked against the HAR 1.2 schema (har-schema, ajv).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Har } from '../../src/har/types';
import type { HttpMessage } from '../../src/types';
import { CODINGS, CORRUPT_BODY, encode, headerOf, plainBody } from '../helpers/coded-bodies.mjs';
import { harErrors } from '../helpers/har';
import { INDEX_JS, requireBuilt } from '../helpers/paths';
import { killAll } from '../helpers/process';
import { runClient, startNodeServer, type Server } from '../helpers/servers';
import { LiveSniffer, readCapture, withoutProbes } from '../helpers/sniffer';
import { Tcpdump } from '../helpers/capture';
import { requireFromHere, runRequests, sleep, tempDir, type RequestSpec } from '../runtime-support';

const N = 20_000;
const PLAIN = plainBody(N);
// Body-field redaction (on by default) cannot read a coded body in the core: once decoded, it must still apply.
const SECRET = 'hunter2-gzip-secret';
const SECRET_JSON = JSON.stringify({ user: 'u', password: SECRET, nested: { token: SECRET } });
const REDACTED_JSON = JSON.stringify({ user: 'u', password: '[REDACTED]', nested: { token: '[REDACTED]' } });
const NODE_HAS_ZSTD = typeof (zlib as { zstdDecompressSync?: unknown }).zstdDecompressSync === 'function';
const work = tempDir('har');
let server: Server;

beforeAll(async () => {
  requireBuilt();
  server = await startNodeServer('127.0.0.1');
});

afterAll(async () => {
  await killAll();
});

const probe = () => runClient(`http://127.0.0.1:${server.port}`, 'probe', 16);
const readHar = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as Har;
/** Exchanges seen on stdout: what the HAR must hold one entry for each of (informational responses aside). */
const exchangesOf = (ms: HttpMessage[]) =>
  new Set(ms.filter((m) => m.direction === 'request' || (m.statusCode ?? 0) >= 200 || m.statusCode === 101).map((m) => `${m.connectionId}/${m.exchange}`));
/** The response to the request for `path`; when either is missing, an error that shows what came out and `context()`. */
const response = (ms: HttpMessage[], path: string, context: () => string) => {
  const req = ms.find((m) => m.direction === 'request' && m.path === path);
  const res = req && ms.find((m) => m.direction === 'response' && m.connectionId === req.connectionId && m.exchange === req.exchange);
  if (res) return res;
  const seen = ms.map((m) => `${m.connectionId}/${m.exchange} ${m.direction} ${m.path ?? m.statusCode}`).join('\n');
  throw new Error(`no ${req ? 'response to' : 'request for'} ${path}; the messages:\n${seen}\nthe sniffer's stderr:\n${context()}`);
};

describe('decoded bodies and --output-har, live and from a capture file', () => {
  it('delivers every coding decoded, writes a valid HAR, and the capture file gives the same HAR', async () => {
    const harFile = join(work, 'live.har');
    const pcap = join(work, 'coded.pcap');
    const dump = new Tcpdump(pcap, 'lo', ['tcp', 'port', String(server.port)]);
    await dump.ready();
    // A maxBodySize above what the cut body decodes to, so that the cut (not maxBodySize) ends it.
    const sniffer = new LiveSniffer('lo', [server.port], ['--output-har', harFile, '--stdout', '--max-body-size', '1000000']);
    await sniffer.waitUntilCapturing(probe);
    const requests: RequestSpec[] = [
      ...CODINGS.map((c) => ({ method: 'GET', path: `/coded/${c}/${N}` })),
      { method: 'GET', path: `/coded/br/${N}?chunked=1` },
      { method: 'GET', path: '/corrupt' },
      { method: 'GET', path: '/bomb/20000000' },
      { method: 'POST', path: '/echo', body: zlib.gzipSync(PLAIN), headers: { 'content-encoding': 'gzip' } },
      { method: 'POST', path: '/echo/secret', body: zlib.gzipSync(SECRET_JSON), headers: { 'content-encoding': 'gzip', 'content-type': 'application/json' } },
    ];
    await runRequests(server.port, requests);
    // The server closes this one halfway through its body.
    await runRequests(server.port, [{ method: 'GET', path: '/cut/gzip/200000' }]).catch(() => undefined);
    await sniffer.waitForCount(2 * requests.length + 2, 30_000);
    await sleep(300);
    const exit = await sniffer.stop();
    await dump.stop();
    expect(exit).toEqual({ code: 0, signal: null });
    // The 6 MB line of the decoded bomb pauses stdout: what follows it must wait, not be dropped.
    const stopped = sniffer.child.stderr.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { message: string; outputs?: Record<string, Record<string, number>> })
      .find((l) => l.message === 'stopped')!;
    expect(stopped.outputs).toMatchObject({ stdout: { dropped: 0, failed: 0 }, har: { dropped: 0, failed: 0 } });

    const all = sniffer.messages();
    const messages = withoutProbes(all);
    const responseTo = (path: string) => response(messages, path, () => sniffer.child.tail());
    for (const c of CODINGS) {
      const m = responseTo(`/coded/${c}/${N}`);
      expect(m.bodySize, c).toBe(encode(c, PLAIN).length);
      if (c === 'zstd' && !NODE_HAS_ZSTD) {
        expect(m.bodyDecodeError).toMatch(/zstd is not available in this runtime/);
        continue;
      }
      expect(m.contentEncodingRemoved, c).toBe(headerOf(c));
      expect(m.body, c).toBe(PLAIN.toString('utf8'));
    }
    expect(responseTo(`/coded/br/${N}?chunked=1`).body).toBe(PLAIN.toString('utf8'));
    expect(responseTo('/corrupt').body).toBe(CORRUPT_BODY.toString('utf8'));
    expect(responseTo('/corrupt').bodyDecodeError).toMatch(/not valid gzip data/);
    const bomb = responseTo('/bomb/20000000');
    expect(bomb.body).toBe('\u0000'.repeat(1_000_000)); // maxBodySize, applied to the decoded bytes
    expect(bomb.bodyTruncated).toBe(true);
    const post = messages.find((m) => m.method === 'POST')!;
    expect(post.body).toBe(PLAIN.toString('utf8'));
    const secret = messages.find((m) => m.path === '/echo/secret')!;
    expect(secret.contentEncodingRemoved).toBe('gzip');
    expect(secret.body).toBe(REDACTED_JSON);
    expect(sniffer.child.lines.join('\n')).not.toContain(SECRET);
    const cut = responseTo('/cut/gzip/200000');
    expect(cut.incomplete).toBe(true);
    expect(cut.bodyDecodeError).toMatch(/gzip body ends early \(the message was cut off\)/);
    expect(Buffer.from(cut.body!).equals(plainBody(200_000).subarray(0, Buffer.byteLength(cut.body!)))).toBe(true);

    const har = readHar(harFile);
    expect(harErrors(har)).toEqual([]);
    expect(har.log.entries.length).toBe(exchangesOf(all).size);
    const entry = har.log.entries.find((e) => e.request.url === `http://127.0.0.1:${server.port}/coded/gzip/${N}`)!;
    expect(entry.response.content.text).toBe(PLAIN.toString('utf8'));
    expect(entry.response.status).toBe(200);
    expect(entry.serverIPAddress).toBe('127.0.0.1');
    expect(entry.timings.wait + entry.timings.receive).toBeCloseTo(entry.time, 6);
    expect(Date.parse(entry.startedDateTime)).toBeGreaterThan(Date.now() - 600_000);
    const secretEntry = har.log.entries.find((e) => e.request.url.endsWith('/echo/secret'))!;
    expect(secretEntry.request.postData!.text).toBe(REDACTED_JSON);
    expect(readFileSync(harFile, 'utf8')).not.toContain(SECRET);
    const cutEntry = har.log.entries.find((e) => e.request.url.endsWith('/cut/gzip/200000'))!;
    expect(cutEntry.response.comment).toMatch(/incomplete/);
    expect(cutEntry.response.content.comment).toMatch(/ends early/);

    // The capture file of the same traffic: the same entries, and the package's toHar agrees with the file.
    const offlineHar = join(work, 'offline.har');
    const offline = await readCapture(pcap, ['--output-har', offlineHar, '--stdout', '--max-body-size', '1000000']);
    expect(offline.code).toBe(0);
    const fromFile = readHar(offlineHar);
    expect(offline.messages.find((m) => m.path === '/echo/secret')!.body).toBe(REDACTED_JSON);
    expect(readFileSync(offlineHar, 'utf8')).not.toContain(SECRET);
    expect(harErrors(fromFile)).toEqual([]);
    const { toHar } = requireFromHere(INDEX_JS) as typeof import('../../src/index');
    expect(fromFile.log.entries).toEqual(toHar(offline.messages).log.entries);
    // Probes aside: tcpdump and the sniffer did not start at the same probe.
    const urls = (h: Har) => h.log.entries.map((e) => `${e.request.method} ${e.request.url} ${e.response.status}`).filter((u) => !u.includes('probe')).sort();
    expect(urls(fromFile)).toEqual(urls(har));
  });

  it('a live run stopped by SIGTERM in the middle leaves a valid HAR, valid at every moment before too', async () => {
    const harFile = join(work, 'sigterm.har');
    const sniffer = new LiveSniffer('lo', [server.port], ['--output-har', harFile, '--stdout']);
    await sniffer.waitUntilCapturing(probe);
    // Four connections sending until told to stop (bounded: 300 requests each at most).
    let stop = false;
    const client = async (i: number) => {
      for (let k = 0; k < 300 && !stop; k++) {
        await runRequests(server.port, [{ method: 'GET', path: `/coded/gzip/${2000 + i}?k=${k}` }]).catch(() => undefined);
      }
    };
    const clients = Promise.all([0, 1, 2, 3].map(client));
    await sniffer.waitForCount(200, 60_000);
    // Mid-run, the file on disk is already a whole, valid HAR.
    const midway = readHar(harFile);
    expect(harErrors(midway)).toEqual([]);
    expect(midway.log.entries.length).toBeGreaterThan(0);
    const exit = await sniffer.stop(); // while the clients are still sending
    stop = true;
    await clients;
    expect(exit).toEqual({ code: 0, signal: null });
    const har = readHar(harFile);
    expect(harErrors(har)).toEqual([]);
    expect(har.log.entries.length).toBe(exchangesOf(sniffer.messages()).size);
    expect(har.log.entries.length).toBeGreaterThan(midway.log.entries.length);
    const decoded = har.log.entries.filter((e) => e.response.content.text === plainBody(2000).toString('utf8'));
    expect(decoded.length).toBeGreaterThan(10);
    const stopped = sniffer.child.stderr.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { message: string; outputs?: Record<string, Record<string, number>> })
      .find((l) => l.message === 'stopped')!;
    expect(stopped.outputs!.har!.dropped).toBe(0);
    expect(stopped.outputs!.har!.failed).toBe(0);
  });
});
