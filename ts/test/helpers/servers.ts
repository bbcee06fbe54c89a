// Real HTTP servers and the real client, as child processes (optionally inside a network namespace).
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { asciiBody } from './bodies.mjs';
import { Child, run } from './process';
import { TRAFFIC_CLIENT, TRAFFIC_SERVER } from './paths';

export interface Server {
  child: Child;
  host: string;
  port: number;
}

/** What the client sent and received for one request (see traffic-client.mjs). */
export interface Exchange {
  clientPort: number;
  ordinal: number;
  method: string;
  path: string;
  reqBodySize: number;
  reqBodyB64: string;
  status: number;
  informational: number[];
  httpVersion: string;
  respBodySize: number;
  respBodyB64: string;
}

/** Starts traffic-server.mjs on `host` (port chosen by the kernel) and waits until it accepts. */
export async function startNodeServer(host = '127.0.0.1', prefix: string[] = []): Promise<Server> {
  const argv = [...prefix, process.execPath, TRAFFIC_SERVER, '--host', host, '--port', '0'];
  const child = new Child('node server', argv[0], argv.slice(1));
  await child.waitFor(() => child.lines.some((l) => l.startsWith('listening ')), 15_000, 'the server to listen');
  const port = Number(child.lines.find((l) => l.startsWith('listening '))!.split(' ')[1]);
  return { child, host, port };
}

/** Files served by the python server: file-N holds N bytes of asciiBody(N). */
export const PYTHON_FILES = [0, 1, 777, 4096, 200_000];

/** Starts `python3 -m http.server` (HTTP/1.0, one response per connection) over a directory of files. */
export async function startPythonServer(host = '127.0.0.1'): Promise<Server> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tsn-py-'));
  for (const n of PYTHON_FILES) writeFileSync(path.join(dir, `file-${n}`), asciiBody(n));
  const child = new Child('python server', '/usr/bin/python3',
    ['-u', '-m', 'http.server', '0', '--bind', host, '--directory', dir]);
  const re = /port (\d+)/;
  await child.waitFor(() => child.lines.some((l) => re.test(l)), 15_000, 'python http.server to listen');
  const port = Number(re.exec(child.lines.find((l) => re.test(l))!)![1]);
  return { child, host, port };
}

/** Runs one traffic plan of traffic-client.mjs to its end and returns what it saw. */
export async function runClient(baseUrl: string, plan: string, prefixBytes: number, prefix: string[] = []):
  Promise<Exchange[]> {
  const argv = [...prefix, process.execPath, TRAFFIC_CLIENT, '--base', baseUrl, '--plan', plan,
    '--prefix', String(prefixBytes)];
  const r = await run(`client ${plan}`, argv[0], argv.slice(1), { timeoutMs: 180_000 });
  if (r.code !== 0) throw new Error(`traffic client (${plan}) failed: exit ${r.code} ${r.signal ?? ''}\n${r.stderr}`);
  return (JSON.parse(r.stdout) as { exchanges: Exchange[] }).exchanges;
}
