// The tcp-sniffer bin and container entrypoint (DESIGN §5.3, §5.4). stdout carries only messages (and
// --help / --version text when asked); logs go to stderr. Exit: 0 clean stop, 1 configuration error,
// 2 runtime error.
import { closeSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { validateConfig, ValidationError } from './config.js';
import { createDecoder } from './decoder.js';
import { helpText, OPTIONS, parseCommandLine } from './command-line.js';
import { createLogger, type Logger } from './log.js';
import { createOutputs } from './outputs/index.js';
import { createSnifferWith } from './sniffer.js';
import type { Endpoint, HttpMessage, SnifferConfig } from './types.js';

declare const __TCP_SNIFFER_VERSION__: string;

async function main(argv: string[], env: Record<string, string | undefined>): Promise<number> {
  let log: Logger = createLogger({ secrets: secretsOf(env) });
  let parsed: ReturnType<typeof parseCommandLine>;
  try {
    parsed = parseCommandLine(argv, env);
  } catch (e) {
    return failure(log, e);
  }
  if (parsed.help) {
    await writeOut(helpText);
    return 0;
  }
  if (parsed.version) {
    await writeOut(`${__TCP_SNIFFER_VERSION__}\n`);
    return 0;
  }
  log = createLogger({ level: parsed.logLevel, secrets: [...secretsOf(env), ...(parsed.config.outputUrlAuthToken ? [parsed.config.outputUrlAuthToken] : [])] });
  try {
    if (parsed.readTcpflow !== undefined) return await readTcpflow(parsed.readTcpflow, parsed.config, env, log);
    return await runSniffer(parsed.config, env, log);
  } catch (e) {
    return failure(log, e instanceof ValidationError ? inCliTerms(e, argv, env) : e);
  }
}

/** Errors found past parsing (an interface or a file that does not exist) name the flag or variable used. */
function inCliTerms(e: ValidationError, argv: string[], env: Record<string, string | undefined>): ValidationError {
  const spec = OPTIONS.find((o) => o.key === e.field);
  if (spec === undefined) return e;
  if (spec.flag && argv.some((a) => a === spec.flag || a.startsWith(`${spec.flag}=`))) return e.renamed(spec.flag);
  if (spec.env !== undefined && env[spec.env] !== undefined) return e.renamed(spec.env);
  return spec.flag ? e.renamed(spec.flag) : e;
}

async function runSniffer(config: SnifferConfig, env: Record<string, string | undefined>, log: Logger): Promise<number> {
  const sniffer = createSnifferWith(config, { logger: log, env });
  const onSignal = (signal: NodeJS.Signals): void => {
    log.info('signal received, stopping', { signal });
    sniffer.stop().catch(() => undefined); // the failure reaches done() below
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  await sniffer.start();
  await sniffer.done();
  return 0;
}

/** tcpflow's default file name: %A.%a-%B.%b%V%v%C%c (zero-padded address and port, VLAN, connection count). */
const TCPFLOW_NAME = /^(.+)\.(\d{5})-(.+)\.(\d{5})((?:--\d+)?(?:c\d+)?)$/;

interface FlowFile {
  src: Endpoint;
  dst: Endpoint;
  path: string;
  mtimeMs: number;
}

/** Decodes tcpflow's output directory with the wasm decoder alone, one connection per pair of files. */
async function readTcpflow(
  dir: string, config: SnifferConfig, env: Record<string, string | undefined>, log: Logger,
): Promise<number> {
  let names: string[];
  try {
    if (!statSync(dir).isDirectory()) throw new ValidationError('--read-tcpflow', `must be a directory; "${dir}" is not one`);
    names = readdirSync(dir);
  } catch (e) {
    if (e instanceof ValidationError) throw e;
    throw new ValidationError('--read-tcpflow', `must be a readable directory; "${dir}": ${(e as Error).message}`);
  }
  // Validated as an offline run, so that ports stay optional and every other value obeys the usual rules.
  const cfg = validateConfig({ ...config, captureFile: dir }, env);
  const ports = new Set(cfg.ports);

  const pairs = new Map<string, { client?: FlowFile; server?: FlowFile; clientEnd: Endpoint; serverEnd: Endpoint }>();
  for (const name of names) {
    const m = TCPFLOW_NAME.exec(name);
    if (m === null) continue;
    const src = endpointOf(m[1]!, m[2]!);
    const dst = endpointOf(m[3]!, m[4]!);
    if (src === null || dst === null) continue;
    const path = join(dir, name);
    const st = statSync(path);
    if (!st.isFile()) continue;
    const file: FlowFile = { src, dst, path, mtimeMs: st.mtimeMs };
    // The server: the side whose port is in --ports, else the lower port (equal ports: the lower address).
    const srcIsServer = ports.has(src.port) !== ports.has(dst.port)
      ? ports.has(src.port)
      : src.port !== dst.port ? src.port < dst.port : src.ip < dst.ip;
    const [clientEnd, serverEnd] = srcIsServer ? [dst, src] : [src, dst];
    const key = `${clientEnd.ip}.${clientEnd.port}-${serverEnd.ip}.${serverEnd.port}${m[5]}`;
    const pair = pairs.get(key) ?? { clientEnd, serverEnd };
    if (srcIsServer) pair.server = file;
    else pair.client = file;
    pairs.set(key, pair);
  }
  const ordered = [...pairs.entries()].sort(([ka, a], [kb, b]) => {
    const ta = Math.min(a.client?.mtimeMs ?? Infinity, a.server?.mtimeMs ?? Infinity);
    const tb = Math.min(b.client?.mtimeMs ?? Infinity, b.server?.mtimeMs ?? Infinity);
    return ta - tb || (ka < kb ? -1 : ka > kb ? 1 : 0);
  });
  log.info('decoding tcpflow directory', { dir, connections: ordered.length, ports: cfg.ports });

  const outputs = createOutputs(cfg, log);
  const decoder = await createDecoder({
    maxBodySize: cfg.maxBodySize,
    maxBufferedBytes: cfg.maxBufferedBytes,
    redactHeaders: cfg.redactHeaders,
  });
  decoder.onLog = (r) => {
    const { level, message, ...fields } = r;
    log[level](message, fields);
  };
  let messages = 0;
  let id = 0;
  let pending: HttpMessage[] = [];
  decoder.onMessage = (m) => pending.push(m);
  const emit = async (): Promise<void> => {
    if (pending.length > 0) {
      let text = '';
      for (const msg of pending) {
        if (cfg.placement !== undefined) msg.placement = cfg.placement;
        text += JSON.stringify(msg) + '\n';
      }
      const jsonl = Buffer.from(text);
      for (const out of outputs) out.deliver(jsonl, pending.length);
      messages += pending.length;
    }
    pending = [];
    for (const out of outputs) await out.ready();
  };
  // Files are read in pieces: a flow of any size costs one piece of memory, not its size.
  const piece = new Uint8Array(1024 * 1024);
  for (const [, pair] of ordered) {
    const conn = String(++id);
    decoder.open(conn, { client: pair.clientEnd, server: pair.serverEnd });
    // The client's bytes first, so that each response is read knowing its request (HEAD, CONNECT).
    for (const [side, file] of [['client', pair.client], ['server', pair.server]] as const) {
      if (file === undefined) continue;
      const fd = openSync(file.path, 'r');
      try {
        for (let n = readSync(fd, piece); n > 0; n = readSync(fd, piece)) {
          decoder.push(conn, side, piece.subarray(0, n));
          await emit();
        }
      } finally {
        closeSync(fd);
      }
    }
    decoder.close(conn);
    await emit();
  }
  const stats = decoder.stats();
  decoder.dispose();
  const deadline = Date.now() + cfg.drainTimeoutMs;
  await Promise.all(outputs.map((o) => o.drain(deadline)));
  const outputStats: Record<string, Record<string, number>> = {};
  for (const o of outputs) outputStats[o.name] = o.stats();
  log.info('tcpflow directory decoded', { connections: ordered.length, messages, decoder: stats, outputs: outputStats });
  return 0;
}

/** tcpflow zero-pads IPv4 octets ("010.000.000.001") and ports. */
function endpointOf(ip: string, port: string): Endpoint | null {
  let text = ip;
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(ip)) text = ip.split('.').map((o) => String(Number(o))).join('.');
  else if (!/^[0-9a-fA-F:.]+$/.test(ip)) return null;
  const p = Number(port);
  if (!Number.isInteger(p) || p > 65535) return null;
  return { ip: text, port: p };
}

function secretsOf(env: Record<string, string | undefined>): string[] {
  return env.OUTPUT_URL_AUTH_TOKEN ? [env.OUTPUT_URL_AUTH_TOKEN] : [];
}

function failure(log: Logger, e: unknown): number {
  if (e instanceof ValidationError) {
    log.error(e.message, { field: e.field, rule: e.rule });
    return 1;
  }
  const err = e as Error & { code?: string };
  log.error(err?.message ?? String(e), err?.code !== undefined ? { code: err.code } : {});
  return 2;
}

function writeOut(text: string): Promise<void> {
  return new Promise((resolve) => process.stdout.write(text, () => resolve()));
}

/** Exits once everything written to stdout has been handed to the OS. */
function exit(code: number): void {
  process.exitCode = code;
  process.stdout.write('', () => process.exit(code));
}

main(process.argv.slice(2), process.env).then(exit, (e) => {
  process.stderr.write(`tcp-sniffer: ${(e as Error)?.stack ?? String(e)}\n`);
  exit(2);
});

