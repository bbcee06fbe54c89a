// The npm tarball as a user gets it: `npm pack`, installed with no network into an empty project, then
// used through `require`, `import`, the decoder subpath and the bin, on a real capture of real traffic.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordLoopbackCapture } from '../helpers/capture';
import { checkExchanges } from '../helpers/exchanges';
import { ADDON, CLI, requireBuilt, TS_DIR, WASM } from '../helpers/paths';
import { run } from '../helpers/process';
import type { Exchange } from '../helpers/servers';
import { parseMessages, readCapture } from '../helpers/sniffer';

const MAX_BODY = 65536;
let work: string;
let tarball: string;
let packedFiles: string[];
let project: string;
let capture: string;
let truth: Exchange[];
let port: number;
let cliLines: string[];

function inProject(script: string, name: string): Promise<Awaited<ReturnType<typeof run>>> {
  const file = path.join(project, name);
  writeFileSync(file, script);
  return run(name, process.execPath, [file], { cwd: project, timeoutMs: 120_000 });
}

beforeAll(async () => {
  requireBuilt(CLI, ADDON, WASM, path.join(TS_DIR, 'docs-api/index.html'));
  work = mkdtempSync(path.join(os.tmpdir(), 'tsn-pack-'));
  const packed = execFileSync('npm', ['pack', '--json', '--pack-destination', work], { cwd: TS_DIR }).toString();
  const info = JSON.parse(packed)[0] as { filename: string; files: Array<{ path: string }> };
  tarball = path.join(work, info.filename);
  packedFiles = info.files.map((f) => f.path);

  // An empty project and an empty npm cache: --offline proves nothing is fetched.
  project = path.join(work, 'consumer');
  mkdirSync(project);
  writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }));
  const install = await run('npm install', 'npm', ['install', '--offline', '--no-audit', '--no-fund',
    '--cache', path.join(work, 'npm-cache'), tarball], { cwd: project, timeoutMs: 120_000 });
  if (install.code !== 0) throw new Error(`npm install of the tarball failed (${install.code}):\n${install.stderr}`);

  capture = path.join(work, 'capture.pcap');
  ({ truth, port } = await recordLoopbackCapture(capture, 'small', MAX_BODY));
  const ref = await readCapture(capture);
  expect(ref.code).toBe(0);
  cliLines = ref.stdout.split('\n').filter(Boolean);
}, 300_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('npm pack', () => {
  it('ships the README, the API reference, the bundles, the addon and the .wasm, and nothing of the sources', () => {
    for (const f of ['README.md', 'package.json', 'docs-api/index.html', 'dist/index.js', 'dist/cli.js',
      'dist/decoder.js', 'dist/decoder.mjs', 'dist/lazy/metrics.js', 'dist/lazy/web-codecs.js', 'dist/types/index.d.ts', 'dist/types/decoder.d.ts',
      'native/capture_shim.node', 'native/http_core.wasm']) {
      expect(packedFiles, f).toContain(f);
    }
    expect(packedFiles.filter((f) => /^(src|test|scripts|node_modules)\//.test(f))).toEqual([]);
  });

  it('declares honest platform constraints and no placeholder host', () => {
    const dir = path.join(work, 'unpacked');
    mkdirSync(dir);
    execFileSync('tar', ['-xzf', tarball, '-C', dir]);
    const pkg = JSON.parse(readFileSync(path.join(dir, 'package/package.json'), 'utf8'));
    expect(pkg.os).toEqual(['linux']);
    expect(pkg.cpu).toEqual(['x64']);
    expect(pkg.libc).toEqual(['glibc']);
    expect(pkg.engines.node).toBe('>=20');
    expect(JSON.stringify(pkg)).not.toMatch(/example\.(invalid|com|org)/);
    const readme = readFileSync(path.join(dir, 'package/README.md'), 'utf8');
    expect(readme).toContain('docs-api/index.html');
    // The addon the tarball carries is x86-64 and stripped of symbols and debug information.
    const addon = path.join(dir, 'package/native/capture_shim.node');
    const header = execFileSync('readelf', ['-h', addon]).toString();
    expect(header).toMatch(/Machine:\s+Advanced Micro Devices X86-64/);
    const sections = execFileSync('readelf', ['-S', '--wide', addon]).toString();
    expect(sections).not.toMatch(/\.symtab|\.debug_/);
  });
});

describe('the installed package, in an empty project', () => {
  it('require: createSniffer reads the capture and delivers exactly what the client saw; bad config names the field', async () => {
    const r = await inProject(`
const { createSniffer, ValidationError } = require('tcp-sniffer');
try { createSniffer({ ports: [0] }); console.log(JSON.stringify({ error: 'none' })); }
catch (e) { console.log(JSON.stringify({ error: e instanceof ValidationError ? e.field : String(e) })); }
const messages = [];
const sniffer = createSniffer({ captureFile: ${JSON.stringify(capture)}, onHttpMessage: (m) => { messages.push(m); } });
sniffer.start().then(() => sniffer.done()).then(() => {
  for (const m of messages) console.log(JSON.stringify(m));
});
`, 'use-require.cjs');
    expect(r.code, r.stderr).toBe(0);
    const [first, ...rest] = parseMessages(r.stdout.split('\n').filter(Boolean));
    expect(first).toEqual({ error: 'ports' });
    const problems = checkExchanges(truth, rest, { server: { ip: '127.0.0.1', port }, clientIp: '127.0.0.1', maxBodySize: MAX_BODY });
    expect(problems).toEqual([]);
    expect(rest).toEqual(parseMessages(cliLines));
  });

  it('import: the ESM entry points and the decoder subpath decode a saved connection', async () => {
    const r = await inProject(`
import { createSniffer } from 'tcp-sniffer';
import { decodeStreams, createDecoder } from 'tcp-sniffer/decoder';
const enc = new TextEncoder();
const client = enc.encode('POST /orders?id=7 HTTP/1.1\\r\\nHost: shop\\r\\nAuthorization: Bearer x\\r\\nContent-Length: 5\\r\\n\\r\\nhello');
const server = enc.encode('HTTP/1.1 201 Created\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\n3\\r\\nabc\\r\\n0\\r\\n\\r\\n');
const messages = await decodeStreams(client, server, { server: { ip: '10.0.0.2', port: 8080 } });
console.log(JSON.stringify({ createSniffer: typeof createSniffer, createDecoder: typeof createDecoder, messages }));
`, 'use-import.mjs');
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.createSniffer).toBe('function');
    expect(out.createDecoder).toBe('function');
    expect(out.messages).toHaveLength(2);
    expect(out.messages[0]).toMatchObject({ direction: 'request', method: 'POST', path: '/orders?id=7', body: 'hello', bodySize: 5,
      headers: { authorization: '[REDACTED]' }, destination: { ip: '10.0.0.2', port: 8080 } });
    expect(out.messages[1]).toMatchObject({ direction: 'response', statusCode: 201, body: 'abc', bodySize: 3, exchange: 1 });
  });

  it('require of the decoder subpath gets the CommonJS build of the same decoder', async () => {
    const r = await inProject(`
const { decodeStreams } = require('tcp-sniffer/decoder');
const enc = new TextEncoder();
decodeStreams(enc.encode('GET /a HTTP/1.1\\r\\nHost: h\\r\\n\\r\\n'), enc.encode('HTTP/1.1 404 Not Found\\r\\nContent-Length: 0\\r\\n\\r\\n'))
  .then((ms) => console.log(JSON.stringify(ms.map((m) => m.method ?? m.statusCode))));
`, 'use-decoder.cjs');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(['GET', 404]);
  });

  it('the bin: --version, and --read prints exactly what the checkout CLI prints', async () => {
    const bin = path.join(project, 'node_modules/.bin/tcp-sniffer');
    const version = await run('bin --version', bin, ['--version'], { cwd: project });
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toContain(JSON.parse(readFileSync(path.join(TS_DIR, 'package.json'), 'utf8')).version);
    const read = await run('bin --read', bin, ['--read', capture], { cwd: project, timeoutMs: 120_000 });
    expect(read.code, read.stderr).toBe(0);
    expect(read.stdout.split('\n').filter(Boolean)).toEqual(cliLines);
  });
});
