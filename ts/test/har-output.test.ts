// The HAR file output on its own: fed JSON-lines blocks as the pipeline feeds them, it keeps the file a
// valid HAR after every write, lets a malformed message cost only its own entry, and writes to a path that
// cannot seek (a FIFO) with the closing at the drain.
import { spawn } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Har } from '../src/har/types.js';
import { createLogger } from '../src/log.js';
import { HarFileOutput } from '../src/outputs/har-file.js';
import type { HttpMessage } from '../src/types.js';
import { harErrors } from './helpers/har.js';
import { sleep, tempDir } from './runtime-support.js';

const log = createLogger({ level: 'error', write: () => undefined });
const base = {
  receiver: { ip: '10.0.0.2', port: 8080 }, httpVersion: '1.1', bodySize: 0, bodyTruncated: false,
} as const;
const request = (conn: string, exchange: number, path: string): HttpMessage => ({
  ...base, direction: 'request', timestamp: '2026-11-23T10:00:00.000100Z', source: { ip: '10.0.0.1', port: 5000 },
  destination: base.receiver, connectionId: conn, exchange, method: 'GET', path, headers: { host: 'svc:8080' },
});
const response = (conn: string, exchange: number, body: string): HttpMessage => ({
  ...base, direction: 'response', timestamp: '2026-11-23T10:00:00.002100Z', source: base.receiver,
  destination: { ip: '10.0.0.1', port: 5000 }, connectionId: conn, exchange, statusCode: 200, statusMessage: 'OK',
  headers: { 'content-type': 'text/plain' }, body, bodyEncoding: 'utf8', bodySize: body.length, elapsedMs: 3.5,
});
const block = (lines: Array<HttpMessage | string>) => Buffer.from(lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l)) + '\n').join(''));
const readHar = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as Har;

describe('the HAR file output', () => {
  it('is a valid HAR after every write, and a malformed message costs only its own entry', async () => {
    const file = join(tempDir('har-out'), 'out.har');
    const out = new HarFileOutput(file, log);
    expect(readHar(file).log.entries).toEqual([]); // valid from the start
    out.deliver(block([request('1', 1, '/a?x=1&y=%20z'), response('1', 1, 'one')]));
    await sleep(100);
    const first = readHar(file);
    expect(harErrors(first)).toEqual([]);
    expect(first.log.entries.map((e) => e.request.url)).toEqual(['http://svc:8080/a?x=1&y=%20z']);
    const broken = { ...request('2', 1, '/b'), receiver: undefined } as unknown as HttpMessage;
    out.deliver(block(['{"not json', broken, request('3', 1, '/c'), response('3', 1, 'three'), request('4', 1, '/d')]));
    await out.drain(Date.now() + 5000);
    const har = readHar(file);
    expect(harErrors(har)).toEqual([]);
    expect(har.log.entries.map((e) => [e.request.url, e.response.status])).toEqual([
      ['http://svc:8080/a?x=1&y=%20z', 200], ['http://svc:8080/c', 200], ['http://svc:8080/d', 0],
    ]);
    const [a, , d] = har.log.entries;
    expect(a!.request.queryString).toEqual([{ name: 'x', value: '1' }, { name: 'y', value: ' z' }]);
    expect(a!.timings).toMatchObject({ send: 0, wait: 2, receive: 1.5 });
    expect(a!.time).toBe(3.5);
    expect(d!.comment).toBe('request only: no response was captured');
    expect(out.stats()).toMatchObject({ delivered: 5, failed: 2, dropped: 0, entries: 3, pendingRequests: 0 });
  });

  it('writes to a path that cannot seek, closing the document at the drain', async () => {
    const dir = tempDir('har-fifo');
    const fifo = join(dir, 'pipe.har');
    execFileSync('mkfifo', [fifo]);
    const reader = spawn('cat', [fifo], { stdio: ['ignore', 'pipe', 'inherit'] });
    const chunks: Buffer[] = [];
    reader.stdout.on('data', (d: Buffer) => chunks.push(d));
    const done = new Promise((r) => reader.on('close', r));
    const out = new HarFileOutput(fifo, log);
    out.deliver(block([request('1', 1, '/p'), response('1', 1, 'piped')]));
    await out.drain(Date.now() + 5000);
    await done;
    const har = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Har;
    expect(harErrors(har)).toEqual([]);
    expect(har.log.entries.map((e) => e.response.content.text)).toEqual(['piped']);
  });
});
