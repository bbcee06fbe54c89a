// Shared parts of the injector's end-to-end tests: certificates made by openssl at test time, the real
// injector binary started on a free port, and a real HTTPS client.
//
// No Kubernetes API server can run on these machines: these tests stand in for it by sending the
// AdmissionReview documents it would send, over the same transport (HTTPS, TLS 1.2+), and by checking
// the results against the Kubernetes object schemas (k8s-schema.ts).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as https from 'node:https';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tls from 'node:tls';

export const REPO = path.resolve(__dirname, '../../..');
export const INJECTOR_BIN = process.env.INJECTOR_BIN ?? path.join(REPO, 'build/injector/tcp-sniffer-injector');
export const FIXTURES = path.join(REPO, 'fixtures/admission');

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `injector-${prefix}-`));
}

export interface Pki {
  caCert: string; // PEM
  cert: string; // PEM, for localhost and 127.0.0.1
  key: string; // PEM
}

/** A fresh CA and an ECDSA P-256 serving certificate for localhost / 127.0.0.1, made by openssl. */
export function makePki(dir: string, name = 'pki'): Pki {
  const p = (f: string) => path.join(dir, `${name}-${f}`);
  const run = (...args: string[]) => execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  run('ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', p('ca.key'));
  run('req', '-x509', '-new', '-key', p('ca.key'), '-subj', `/CN=${name} test CA`, '-days', '2', '-out', p('ca.crt'));
  run('ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', p('tls.key'));
  run('req', '-new', '-key', p('tls.key'), '-subj', '/CN=localhost', '-out', p('tls.csr'));
  fs.writeFileSync(p('ext.cnf'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  run('x509', '-req', '-in', p('tls.csr'), '-CA', p('ca.crt'), '-CAkey', p('ca.key'), '-CAcreateserial',
    '-days', '2', '-extfile', p('ext.cnf'), '-out', p('tls.crt'));
  return {
    caCert: fs.readFileSync(p('ca.crt'), 'utf8'),
    cert: fs.readFileSync(p('tls.crt'), 'utf8'),
    key: fs.readFileSync(p('tls.key'), 'utf8'),
  };
}

/** Writes the pair as a Secret volume does: files behind a `..data` symlink to a timestamped dir. */
export function writeSecretVolume(dir: string, pki: Pki, generation: number): void {
  const versioned = `..2026_11_23_10_00_0${generation}.${process.pid}`;
  fs.mkdirSync(path.join(dir, versioned), { recursive: true });
  fs.writeFileSync(path.join(dir, versioned, 'tls.crt'), pki.cert);
  fs.writeFileSync(path.join(dir, versioned, 'tls.key'), pki.key, { mode: 0o600 });
  const tmpLink = path.join(dir, '..data_tmp');
  fs.rmSync(tmpLink, { force: true });
  fs.symlinkSync(versioned, tmpLink);
  const previous = fs.existsSync(path.join(dir, '..data')) ? fs.readlinkSync(path.join(dir, '..data')) : undefined;
  fs.renameSync(tmpLink, path.join(dir, '..data')); // the atomic swap
  for (const f of ['tls.crt', 'tls.key']) {
    if (!fs.existsSync(path.join(dir, f))) fs.symlinkSync(path.join('..data', f), path.join(dir, f));
  }
  if (previous) fs.rmSync(path.join(dir, previous), { recursive: true, force: true });
}

export interface Injector {
  port: number;
  proc: ChildProcess;
  /** Every JSON log line so far. */
  logs: any[];
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
  waitForLog(pred: (line: any) => boolean, timeoutMs?: number): Promise<any>;
  stop(): Promise<number | null>;
}

export interface StartOptions {
  certFile: string;
  keyFile: string;
  options?: object; // written to a temporary options file
  optionsFile?: string;
}

function collectLogs(proc: ChildProcess) {
  const logs: any[] = [];
  const waiters: Array<{ pred: (l: any) => boolean; resolve: (l: any) => void }> = [];
  let partial = '';
  proc.stderr!.setEncoding('utf8');
  proc.stderr!.on('data', (chunk: string) => {
    partial += chunk;
    let nl;
    while ((nl = partial.indexOf('\n')) >= 0) {
      const text = partial.slice(0, nl);
      partial = partial.slice(nl + 1);
      let line: any;
      try {
        line = JSON.parse(text);
      } catch {
        line = { unparsed: text }; // a test below asserts every line is JSON
      }
      logs.push(line);
      for (const w of [...waiters]) {
        if (w.pred(line)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(line);
        }
      }
    }
  });
  const waitForLog = (pred: (l: any) => boolean, timeoutMs = 10_000) =>
    new Promise<any>((resolve, reject) => {
      const found = logs.find(pred);
      if (found) return resolve(found);
      const timer = setTimeout(() => reject(new Error(`log line not seen; logs: ${JSON.stringify(logs)}`)), timeoutMs);
      waiters.push({ pred, resolve: (l) => { clearTimeout(timer); resolve(l); } });
    });
  return { logs, waitForLog };
}

/** Runs the binary to completion (for start-up failures). */
export function runInjector(args: string[], timeoutMs = 10_000): Promise<{ code: number | null; logs: any[] }> {
  const proc = spawn(INJECTOR_BIN, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const { logs } = collectLogs(proc);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { proc.kill('SIGKILL'); reject(new Error('injector did not exit')); }, timeoutMs);
    proc.on('exit', (code) => { clearTimeout(timer); setTimeout(() => resolve({ code, logs }), 20); });
  });
}

export async function startInjector(opts: StartOptions): Promise<Injector> {
  const args = ['--listen', '127.0.0.1:0', '--tls-cert', opts.certFile, '--tls-key', opts.keyFile];
  let optionsFile = opts.optionsFile;
  if (opts.options) {
    optionsFile = path.join(tempDir('options'), 'options.json');
    fs.writeFileSync(optionsFile, JSON.stringify(opts.options));
  }
  if (optionsFile) args.push('--config', optionsFile);
  const proc = spawn(INJECTOR_BIN, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const { logs, waitForLog } = collectLogs(proc);
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  const started = await Promise.race([
    waitForLog((l) => l.message === 'injector started'),
    exited.then((code) => { throw new Error(`injector exited with ${code}: ${JSON.stringify(logs)}`); }),
  ]);
  const stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
    return exited;
  };
  return { port: started.port, proc, logs, exited, waitForLog, stop };
}

/** The injector serving from a Secret volume, as in a Deployment that cert-manager rotates. */
export interface RotatingInjector {
  server: Injector;
  /** The pair the volume holds at start. */
  first: Pki;
  /** The pair rotate() swaps in. */
  second: Pki;
  /** Both CAs: a client trusts whichever certificate is served. */
  cas: string[];
  /** Swaps the volume to `second` and waits until the injector has loaded it. */
  rotate(): Promise<void>;
  /** Swaps in a pair whose certificate does not parse, and waits until the injector keeps the loaded one. */
  rotateToBroken(): Promise<void>;
}

/** Two pairs made in a fresh temp dir, the first written to a Secret volume there, and the injector started on it. */
export async function startOnSecretVolume(prefix: string): Promise<RotatingInjector> {
  const dir = tempDir(prefix);
  const first = makePki(dir, 'first');
  const second = makePki(dir, 'second');
  const volume = path.join(dir, 'tls');
  fs.mkdirSync(volume);
  let generation = 1;
  writeSecretVolume(volume, first, generation);
  const server = await startInjector({ certFile: path.join(volume, 'tls.crt'), keyFile: path.join(volume, 'tls.key') });
  return {
    server, first, second, cas: [first.caCert, second.caCert],
    async rotate() {
      writeSecretVolume(volume, second, ++generation);
      await server.waitForLog((l) => l.message === 'certificate reloaded');
    },
    async rotateToBroken() {
      writeSecretVolume(volume, { ...second, cert: '-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n' }, ++generation);
      await server.waitForLog((l) => l.message === 'new certificate does not load; keeping the loaded one');
    },
  };
}

export interface HttpResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One HTTPS request that trusts only `ca`; `agent` false opens a fresh connection. */
export function request(
  port: number, ca: string | string[], method: string, urlPath: string, body?: string | Buffer,
  extra: https.RequestOptions = {},
): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = https.request({
      host: '127.0.0.1', port, method, path: urlPath, ca, servername: 'localhost', agent: false,
      headers: body !== undefined ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } : {},
      ...extra,
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.setTimeout(15_000, () => req.destroy(new Error('request timed out')));
    if (body !== undefined) req.write(body);
    req.end();
  });
}

/** The certificate the server presents, via a raw TLS connection. */
export function peerCertificate(port: number, ca: string | string[]): Promise<tls.PeerCertificate> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, ca, servername: 'localhost' }, () => {
      const cert = socket.getPeerCertificate();
      socket.end();
      resolve(cert);
    });
    socket.on('error', reject);
  });
}

export function fingerprint(pem: string): string {
  return new (require('node:crypto').X509Certificate)(pem).fingerprint256;
}

export function decodePatch(response: any): any[] | null {
  if (!response.patch) return null;
  return JSON.parse(Buffer.from(response.patch, 'base64').toString('utf8'));
}
