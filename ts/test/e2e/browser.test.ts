// Decoder equivalence: `dist/decoder.mjs` (no Node built-ins) loaded by a real headless Chromium from a
// page served on localhost decodes the streams of a real connection (tcpflow's files of a real capture)
// into exactly the messages the same module gives in Node.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { Har } from '../../src/har/types';
import type { HttpMessage } from '../../src/types';
import { CODINGS, headerOf, plainBody } from '../helpers/coded-bodies.mjs';
import { harErrors } from '../helpers/har';
import { startNodeServer } from '../helpers/servers';
import { recordExchange } from '../runtime-support';
import { recordTcpflowStreams } from '../helpers/capture';
import { DECODER_MJS, requireBuilt } from '../helpers/paths';
import { Child, killAll } from '../helpers/process';

const work = mkdtempSync(path.join(os.tmpdir(), 'tsn-browser-'));

afterAll(async () => {
  await killAll();
  rmSync(work, { recursive: true, force: true });
});

const PAGE = `<!doctype html>
<meta charset="utf-8">
<title>tcp-sniffer decoder</title>
<script type="module">
  const report = (result) => fetch('/result', { method: 'POST', body: JSON.stringify(result) });
  try {
    const { decodeStreams } = await import('/decoder.mjs');
    const bytes = async (p) => new Uint8Array(await (await fetch(p)).arrayBuffer());
    const [client, server] = await Promise.all([bytes('/client.bin'), bytes('/server.bin')]);
    const options = await (await fetch('/options.json')).json();
    const messages = await decodeStreams(client, server, options);
    await report({ ok: true, messages, userAgent: navigator.userAgent });
  } catch (e) {
    await report({ ok: false, error: String(e && e.stack || e) });
  }
</script>`;

// Decoded bodies on the web platform (DecompressionStream, brotli-dec-wasm), and a HAR file read back.
const HAR_PAGE = `<!doctype html>
<meta charset="utf-8">
<title>tcp-sniffer decoded bodies and HAR</title>
<script type="module">
  const report = (result) => fetch('/result', { method: 'POST', body: JSON.stringify(result) });
  try {
    const { decodeStreams, toHar } = await import('/decoder.mjs');
    const bytes = async (p) => new Uint8Array(await (await fetch(p)).arrayBuffer());
    const [client, server] = await Promise.all([bytes('/client.bin'), bytes('/server.bin')]);
    const options = await (await fetch('/options.json')).json();
    const messages = await decodeStreams(client, server, { ...options, decodeBodies: true });
    const loaded = await (await fetch('/node.har')).json();
    await report({ ok: true, messages, har: toHar(messages), loaded, userAgent: navigator.userAgent });
  } catch (e) {
    await report({ ok: false, error: String(e && e.stack || e) });
  }
</script>`;

interface PageResult {
  ok: boolean;
  messages?: HttpMessage[];
  har?: Har;
  loaded?: Har;
  error?: string;
  userAgent?: string;
}

/** Serves the page, the module and the streams on 127.0.0.1; resolves the page's POSTed result. */
function servePage(files: Record<string, { type: string; body: Buffer | string }>) {
  let deliver!: (r: PageResult) => void;
  const result = new Promise<PageResult>((resolve) => (deliver = resolve));
  const server = http.createServer((req, res) => {
    if (req.method === 'POST' && req.url === '/result') {
      const parts: Buffer[] = [];
      req.on('data', (d: Buffer) => parts.push(d));
      req.on('end', () => {
        res.end('ok');
        deliver(JSON.parse(Buffer.concat(parts).toString('utf8')) as PageResult);
      });
      return;
    }
    const f = files[req.url ?? ''];
    if (!f) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': f.type, 'cache-control': 'no-store' });
    res.end(f.body);
  });
  return { server, result };
}

describe('the decoder module in a real headless Chromium', () => {
  it('returns the same messages as in Node for the streams of a real connection', async () => {
    requireBuilt(DECODER_MJS);
    const { flows, truth, port } = await recordTcpflowStreams(work);

    // The long kept-alive connection of the plan: chunked, binary, HEAD, 204/304, truncated bodies.
    const clientPort = truth[0].clientPort;
    const pad = (n: number) => String(n).padStart(5, '0');
    const name = (from: number, to: number) => readdirSync(flows).find((n) => n.endsWith(`.${pad(from)}-127.000.000.001.${pad(to)}`))!;
    const clientFile = path.join(flows, name(clientPort, port));
    const serverFile = path.join(flows, name(port, clientPort));
    expect(statSync(serverFile).size).toBeGreaterThan(300_000);
    const client = readFileSync(clientFile);
    const server = readFileSync(serverFile);
    const options = {
      client: { ip: '127.0.0.1', port: clientPort }, server: { ip: '127.0.0.1', port }, id: 'c1', maxBodySize: 4096,
    };

    const { decodeStreams } = (await import(pathToFileURL(DECODER_MJS).href)) as {
      decodeStreams: (c: Uint8Array, s: Uint8Array, o: object) => Promise<HttpMessage[]>;
    };
    const inNode = await decodeStreams(new Uint8Array(client), new Uint8Array(server), options);
    const exchanges = truth.filter((e) => e.clientPort === clientPort).length;
    expect(inNode.filter((m) => m.direction === 'request').length).toBe(exchanges);
    expect(inNode.some((m) => m.bodyEncoding === 'base64')).toBe(true);
    expect(inNode.some((m) => m.bodyTruncated)).toBe(true);

    const page = await inChromium({
      '/': { type: 'text/html; charset=utf-8', body: PAGE },
      '/decoder.mjs': { type: 'text/javascript', body: readFileSync(DECODER_MJS) },
      '/client.bin': { type: 'application/octet-stream', body: client },
      '/server.bin': { type: 'application/octet-stream', body: server },
      '/options.json': { type: 'application/json', body: JSON.stringify(options) },
    });
    expect(page.error).toBeUndefined();
    expect(page.userAgent).toMatch(/HeadlessChrome|Chrome/);
    expect(page.messages).toEqual(inNode);
  });
});

/** Serves `files` on 127.0.0.1, opens "/" in a headless Chromium, and resolves what the page reports. */
async function inChromium(files: Record<string, { type: string; body: Buffer | string }>): Promise<PageResult> {
  const { server: web, result } = servePage(files);
  await new Promise<void>((r) => web.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(web.address() as AddressInfo).port}/`;
  const profile = mkdtempSync(path.join(work, 'profile-'));
  // The binary itself, not Debian's wrapper script, so that SIGTERM reaches the browser.
  const binary = existsSync('/usr/lib/chromium/chromium') ? '/usr/lib/chromium/chromium' : 'chromium';
  const chromium = new Child('chromium', binary, [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
    '--disable-sync', '--no-first-run', '--disable-dev-shm-usage', `--user-data-dir=${profile}`,
    '--remote-debugging-port=0', url,
  ]);
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no result from Chromium in 60 s:\n${chromium.tail()}`)), 60_000);
    });
    const exited = chromium.exited.then((e): never => {
      throw new Error(`Chromium exited (${e.code ?? e.signal}) before reporting:\n${chromium.tail()}`);
    });
    exited.catch(() => undefined); // it exits when we stop it below, after the result
    return await Promise.race([result, timeout, exited]);
  } finally {
    clearTimeout(timer);
    await chromium.stop('SIGTERM', 10_000);
    web.close();
  }
}

describe('decoded bodies and HAR in a real headless Chromium', () => {
  it('decodes every coding with the web platform as Node does with zlib, and reads back a HAR made in Node', async () => {
    requireBuilt(DECODER_MJS);
    const traffic = await startNodeServer('127.0.0.1');
    const N = 20_000;
    const requests = [
      ...CODINGS.map((c) => ({ method: 'GET', path: `/coded/${c}/${N}` })),
      { method: 'GET', path: `/coded/gzip/${N}?chunked=1` },
      { method: 'GET', path: '/corrupt' },
      { method: 'GET', path: '/bomb/2000000' },
      { method: 'GET', path: '/coded/gzip/200000' },
    ];
    const recorded = await recordExchange(requests, traffic.port);
    const client = recorded.client;
    // The connection ends halfway through the last body: a cut gzip stream.
    const lastBody = recorded.server.lastIndexOf('\r\n\r\n') + 4;
    const server = recorded.server.subarray(0, lastBody + ((recorded.server.length - lastBody) >> 1));
    await traffic.child.stop('SIGTERM');
    const options = { client: { ip: '10.0.0.1', port: 40000 }, server: { ip: '127.0.0.1', port: traffic.port }, maxBodySize: 1_000_000 };
    const { decodeStreams, toHar } = (await import(pathToFileURL(DECODER_MJS).href)) as {
      decodeStreams: (c: Uint8Array, s: Uint8Array, o: object) => Promise<HttpMessage[]>;
      toHar: (m: HttpMessage[]) => Har;
    };
    const inNode = await decodeStreams(new Uint8Array(client), new Uint8Array(server), { ...options, decodeBodies: true });
    const nodeHar = toHar(inNode);
    expect(harErrors(nodeHar)).toEqual([]);

    const page = await inChromium({
      '/': { type: 'text/html; charset=utf-8', body: HAR_PAGE },
      '/decoder.mjs': { type: 'text/javascript', body: readFileSync(DECODER_MJS) },
      '/client.bin': { type: 'application/octet-stream', body: client },
      '/server.bin': { type: 'application/octet-stream', body: server },
      '/options.json': { type: 'application/json', body: JSON.stringify(options) },
      '/node.har': { type: 'application/json', body: JSON.stringify(nodeHar) },
    });
    expect(page.error).toBeUndefined();
    const zstd = (m: HttpMessage) => m.headers['content-encoding'] === 'zstd';
    // The same messages as Node's zlib gives: every coding, chunked, corrupt, the bomb stopped at 100:1.
    expect(page.messages!.filter((m) => !zstd(m))).toEqual(inNode.filter((m) => !zstd(m)));
    const plain = plainBody(N).toString('utf8');
    const responses = page.messages!.filter((m) => m.direction === 'response');
    for (const c of CODINGS.filter((x) => x !== 'zstd')) {
      const m = responses[CODINGS.indexOf(c)]!;
      expect(m.contentEncodingRemoved, c).toBe(headerOf(c));
      expect(m.body, c).toBe(plain);
    }
    expect(responses.at(-2)!.bodyDecodeError).toMatch(/decompression-bomb guard/);
    const cut = responses.at(-1)!;
    expect(cut.incomplete).toBe(true);
    expect(cut.bodyDecodeError).toMatch(/gzip body ends early \(the message was cut off\)/);
    expect(cut.body!.length).toBeGreaterThan(50_000);
    expect(plainBody(200_000).toString('utf8').startsWith(cut.body!)).toBe(true);
    // zstd: decoded where Chromium's DecompressionStream has it, else said so.
    const z = responses[CODINGS.indexOf('zstd')]!;
    if (z.contentEncodingRemoved === 'zstd') expect(z.body).toBe(plain);
    else expect(z.bodyDecodeError).toMatch(/zstd is not available in this runtime/);
    // The HAR made in the page is valid, and the one made in Node reads back whole.
    expect(harErrors(page.har)).toEqual([]);
    expect(page.loaded).toEqual(nodeHar);
    expect(page.har!.log.entries.filter((e) => !e.request.url.includes('zstd'))).toEqual(nodeHar.log.entries.filter((e) => !e.request.url.includes('zstd')));
  });
});
