// `--read-tcpflow DIR`: tcpflow's per-direction files decoded through the same pipeline and outputs as a
// capture. The files are paired into connections (the server is the side whose port is in --ports), each
// connection is written as stream events (open, the client's bytes, the server's bytes, close) and fed
// to the pipeline: placement and the outputs' backpressure apply as for a capture file.
import { closeSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { LIMITS, validateConfig, ValidationError } from './config.js';
import { warnAboutConfig } from './config-summary.js';
import type { Logger } from './log.js';
import { createOutputs } from './outputs/index.js';
import { bodyDecoding, openCore, Pipeline } from './pipeline.js';
import type { Endpoint, SnifferConfig } from './types.js';
import {
  CLOSE_FIN, DIR_CLIENT_TO_SERVER, DIR_SERVER_TO_CLIENT, EVENT_HEADER_BYTES, KIND_CLOSE, KIND_DATA, KIND_OPEN,
  OPEN_PAYLOAD_BYTES, OPEN_SAMPLED, parseIp, writeEventHeader, writeOpenPayload, type BinaryEndpoint,
} from './wasm/events.js';

/** tcpflow's default file name: %A.%a-%B.%b%V%v%C%c (zero-padded address and port, VLAN, connection count). */
const TCPFLOW_NAME = /^(.+)\.(\d{5})-(.+)\.(\d{5})((?:--\d+)?(?:c\d+)?)$/;

/** Files are read in pieces of this size: a flow of any size costs one piece of memory, not its size. */
const PIECE_BYTES = LIMITS.maxDataEventBytes;

interface FlowFile {
  path: string;
  mtimeMs: number;
}

interface Connection {
  client: BinaryEndpoint;
  server: BinaryEndpoint;
  clientFile?: FlowFile;
  serverFile?: FlowFile;
}

/** Decodes tcpflow's output directory `dir` to the outputs `config` asks for. Throws ValidationError. */
export async function readTcpflowDirectory(
  dir: string, config: SnifferConfig, env: Record<string, string | undefined>, log: Logger,
): Promise<void> {
  // Validated as an offline run, so that ports stay optional and every other value obeys the usual rules.
  const cfg = validateConfig({ ...config, captureFile: dir }, env);
  warnAboutConfig(cfg, log);
  if (cfg.metricsPort !== undefined) {
    // Its messages would be counted by no one: refuse rather than serve metrics that stay at zero.
    throw new ValidationError('--metrics-port', 'not with --read-tcpflow (use --read on a capture file)');
  }
  const connections = pairFiles(dir, new Set(cfg.ports), log);
  log.info('decoding tcpflow directory', { dir, connections: connections.length, ports: cfg.ports });

  const outputs = await createOutputs(cfg, log);
  const core = await openCore(cfg);
  const pipeline = new Pipeline(core, outputs, log, { decodeBodies: bodyDecoding(cfg) });
  const batch = new Uint8Array(EVENT_HEADER_BYTES + PIECE_BYTES);
  const view = new DataView(batch.buffer);
  const send = async (length: number): Promise<void> => {
    pipeline.onBatch(batch.subarray(0, length));
    await pipeline.idle();
  };
  try {
    for (let i = 0; i < connections.length; i++) {
      const c = connections[i]!;
      const conn = BigInt(i + 1); // the messages' connectionId: "1", "2", … in file order
      writeEventHeader(view, 0, KIND_OPEN, OPEN_SAMPLED, OPEN_PAYLOAD_BYTES, conn, -1);
      writeOpenPayload(view, EVENT_HEADER_BYTES, c.client, c.server);
      await send(EVENT_HEADER_BYTES + OPEN_PAYLOAD_BYTES);
      // The client's bytes first, so that each response is read knowing its request (HEAD, CONNECT).
      for (const [direction, file] of [[DIR_CLIENT_TO_SERVER, c.clientFile], [DIR_SERVER_TO_CLIENT, c.serverFile]] as const) {
        if (file === undefined) continue;
        const fd = openSync(file.path, 'r');
        try {
          for (let n = readSync(fd, batch, EVENT_HEADER_BYTES, PIECE_BYTES, null); n > 0; n = readSync(fd, batch, EVENT_HEADER_BYTES, PIECE_BYTES, null)) {
            writeEventHeader(view, 0, KIND_DATA, direction, n, conn, -1);
            await send(EVENT_HEADER_BYTES + n);
          }
        } finally {
          closeSync(fd);
        }
      }
      writeEventHeader(view, 0, KIND_CLOSE, CLOSE_FIN, 0, conn, -1);
      await send(EVENT_HEADER_BYTES);
    }
    const deadline = Date.now() + cfg.drainTimeoutMs;
    await pipeline.finish(deadline, -1);
    await Promise.all(outputs.map((o) => o.drain(deadline)));
    const outputStats: Record<string, Record<string, number>> = {};
    for (const o of outputs) outputStats[o.name] = o.stats();
    log.info('tcpflow directory decoded', {
      connections: connections.length, decoder: { ...core.stats(), pipeline: pipeline.stats() }, outputs: outputStats,
    });
  } finally {
    core.free();
  }
}

/**
 * The directory's flow files as connections, oldest first (by the earlier file's modification time).
 * Names that are not tcpflow's (its report.xml, …) are not flows; a flow name without usable endpoints is
 * logged and skipped.
 */
function pairFiles(dir: string, ports: Set<number>, log: Logger): Connection[] {
  let names: string[];
  try {
    if (!statSync(dir).isDirectory()) throw new ValidationError('--read-tcpflow', `must be a directory; "${dir}" is not one`);
    names = readdirSync(dir);
  } catch (e) {
    if (e instanceof ValidationError) throw e;
    throw new ValidationError('--read-tcpflow', `must be a readable directory; "${dir}": ${(e as Error).message}`);
  }
  const pairs = new Map<string, Connection>();
  for (const name of names) {
    const m = TCPFLOW_NAME.exec(name);
    if (m === null) continue;
    const src = endpointOf(m[1]!, m[2]!);
    const dst = endpointOf(m[3]!, m[4]!);
    const srcBinary = src === null ? null : binary(src);
    const dstBinary = dst === null ? null : binary(dst);
    if (src === null || dst === null || srcBinary === null || dstBinary === null || srcBinary.version !== dstBinary.version) {
      log.warn('tcpflow file skipped: its name holds no usable pair of endpoints', { file: name });
      continue;
    }
    const path = join(dir, name);
    const st = statSync(path);
    if (!st.isFile()) continue;
    // The server: the side whose port is in --ports, else the lower port (equal ports: the lower address).
    const srcIsServer = ports.has(src.port) !== ports.has(dst.port)
      ? ports.has(src.port)
      : src.port !== dst.port ? src.port < dst.port : src.ip < dst.ip;
    const [client, server] = srcIsServer ? [dst, src] : [src, dst];
    const key = `${client.ip}.${client.port}-${server.ip}.${server.port}${m[5]}`;
    let pair = pairs.get(key);
    if (pair === undefined) {
      pair = srcIsServer ? { client: dstBinary, server: srcBinary } : { client: srcBinary, server: dstBinary };
      pairs.set(key, pair);
    }
    const file = { path, mtimeMs: st.mtimeMs };
    if (srcIsServer) pair.serverFile = file;
    else pair.clientFile = file;
  }
  const firstWritten = (c: Connection): number => Math.min(c.clientFile?.mtimeMs ?? Infinity, c.serverFile?.mtimeMs ?? Infinity);
  return [...pairs.entries()]
    .sort(([ka, a], [kb, b]) => firstWritten(a) - firstWritten(b) || (ka < kb ? -1 : ka > kb ? 1 : 0))
    .map(([, c]) => c);
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

function binary(e: Endpoint): BinaryEndpoint | null {
  const ip = parseIp(e.ip);
  return ip === null ? null : { version: ip.version, address: ip.address, port: e.port };
}
