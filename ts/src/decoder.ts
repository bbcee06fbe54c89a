// `tcp-sniffer/decoder`: the WebAssembly HTTP core alone, for saved byte streams, in any JS runtime.
// No Node built-ins here or in what this imports: the bundle is built for esbuild's neutral platform.
import { platformCodecs } from './bodies/codecs.js';
import { decodeMessageBody, type BodyDecodeOptions } from './bodies/decode.js';
import { LIMITS, validateDecoderOptions } from './config.js';
import type { Endpoint, HttpMessage, DecoderOptions } from './types.js';
import { CoreModule, HttpCore, type CoreLogRecord } from './wasm/core.js';
import { embeddedModule } from './wasm/embedded.js';
import {
  CLOSE_FIN, CLOSE_PAYLOAD_BYTES, DIR_CLIENT_TO_SERVER, DIR_SERVER_TO_CLIENT, EVENT_HEADER_BYTES,
  GAP_PAYLOAD_BYTES, KIND_CLOSE, KIND_DATA, KIND_GAP, KIND_OPEN, OPEN_PAYLOAD_BYTES, OPEN_SAMPLED, parseIp,
  writeEventHeader, writeGapPayload, writeOpenPayload, type BinaryEndpoint,
} from './wasm/events.js';

export type { Endpoint, HttpMessage, DecoderOptions } from './types.js';
export type { CoreLogRecord as DecoderLogRecord } from './wasm/core.js';
export { harEntry } from './har/entry.js';
export { HarPairer, toHar, type HarPairerLimits } from './har/pairing.js';
export type * from './har/types.js';

/** Larger pushes are fed in pieces of this size, so the input buffer inside the module stays small. */
const MAX_DATA_EVENT_BYTES = LIMITS.maxDataEventBytes;

export type ConnectionKey = string | number;
export type Side = 'client' | 'server';

export interface Decoder {
  /** Called once per finished (or cut-off) message, in the order messages complete. */
  onMessage: ((message: HttpMessage) => void) | null;
  /** Called with the core's log records (e.g. "connection is not HTTP"); ignored when null. */
  onLog: ((record: CoreLogRecord) => void) | null;
  /** Starts a connection. `id` becomes the messages' `connectionId`. */
  open(id: ConnectionKey, endpoints: { client: Endpoint; server: Endpoint }, timestampMs?: number): void;
  /** In-order bytes of one direction. */
  push(id: ConnectionKey, side: Side, bytes: Uint8Array, timestampMs?: number): void;
  /** Bytes of one direction that will never arrive. */
  gap(id: ConnectionKey, side: Side, lostBytes: number, timestampMs?: number): void;
  /** The end of the connection: a close-delimited body ends here. */
  close(id: ConnectionKey, timestampMs?: number): void;
  /** Counters of the core (messages, connections not HTTP by reason, drops). */
  stats(): Record<string, unknown>;
  /**
   * Resolves once every message is delivered. Only needed with `decodeBodies`, where decoding is
   * asynchronous and onMessage may run after push() returns (always in order); rejects with the first
   * error onMessage threw meanwhile.
   */
  flush(): Promise<void>;
  /** Releases the core's memory; the decoder cannot be used afterwards. Idempotent. */
  dispose(): void;
}

/** Creates a decoder on its own instance of the module. */
export async function createDecoder(options: DecoderOptions = {}): Promise<Decoder> {
  const resolved = validateDecoderOptions(options);
  const module = await CoreModule.instantiate(await loadModule(options.wasm));
  return new StreamDecoder(module, resolved);
}

export interface DecodeStreamsOptions extends DecoderOptions {
  /** Endpoints reported in the messages; unknown (0.0.0.0:0) by default. */
  client?: Endpoint;
  server?: Endpoint;
  /** `connectionId` of the messages. Default "1". */
  id?: ConnectionKey;
}

/**
 * Decodes the two saved directions of one connection (e.g. the two files tcpflow writes). The client's
 * bytes are fed first, so every response is read knowing its request (HEAD, CONNECT, upgrades); the end
 * of the streams is the end of the connection.
 */
export async function decodeStreams(
  clientBytes: Uint8Array, serverBytes: Uint8Array, options: DecodeStreamsOptions = {},
): Promise<HttpMessage[]> {
  const decoder = await createDecoder(options);
  try {
    const messages: HttpMessage[] = [];
    decoder.onMessage = (m) => messages.push(m);
    feedStreams(decoder, clientBytes, serverBytes, options);
    await decoder.flush();
    return messages;
  } finally {
    decoder.dispose();
  }
}

/** decodeStreams on an existing decoder (one module instance for many connections). */
export function decodeStreamsWith(
  decoder: Decoder, clientBytes: Uint8Array, serverBytes: Uint8Array,
  options: Pick<DecodeStreamsOptions, 'client' | 'server' | 'id'> = {},
): HttpMessage[] {
  if (decoder instanceof StreamDecoder && decoder.decodesBodies) {
    throw new Error('decodeStreamsWith: this decoder decodes bodies, which is asynchronous; use decodeStreams, or onMessage and await flush()');
  }
  const messages: HttpMessage[] = [];
  const previous = decoder.onMessage;
  decoder.onMessage = (m) => messages.push(m);
  try {
    feedStreams(decoder, clientBytes, serverBytes, options);
  } finally {
    decoder.onMessage = previous;
  }
  return messages;
}

function feedStreams(decoder: Decoder, clientBytes: Uint8Array, serverBytes: Uint8Array, options: Pick<DecodeStreamsOptions, 'client' | 'server' | 'id'>): void {
  const unknown: Endpoint = { ip: '0.0.0.0', port: 0 };
  const id = options.id ?? '1';
  decoder.open(id, { client: options.client ?? unknown, server: options.server ?? unknown });
  decoder.push(id, 'client', clientBytes);
  decoder.push(id, 'server', serverBytes);
  decoder.close(id);
}

async function loadModule(wasm: DecoderOptions['wasm']): Promise<BufferSource | WebAssembly.Module> {
  if (wasm === undefined) return embeddedModule();
  if (wasm instanceof URL) {
    const response = await fetch(wasm);
    if (!response.ok) throw new Error(`wasm: fetching ${wasm.href} failed with HTTP ${response.status}`);
    return response.arrayBuffer();
  }
  return wasm;
}

interface OpenConnection {
  conn: bigint;
  id: string;
}

class StreamDecoder implements Decoder {
  onMessage: ((message: HttpMessage) => void) | null = null;
  onLog: ((record: CoreLogRecord) => void) | null = null;
  private readonly module: CoreModule;
  private readonly core: HttpCore;
  private readonly open_ = new Map<string, OpenConnection>();
  /** The core's connectionId (decimal conn) → the caller's id, for connections whose messages may still come. */
  private readonly idOfConn = new Map<string, string>();
  private nextConn = 1n;
  private readonly utf8 = new TextDecoder('utf-8');
  readonly decodesBodies: boolean;
  private readonly bodyOptions: BodyDecodeOptions;
  /** With decodeBodies: the delivery of every message so far, in order. */
  private delivered: Promise<void> = Promise.resolve();
  private laterError: { error: unknown } | null = null;

  constructor(module: CoreModule, options: ReturnType<typeof validateDecoderOptions>) {
    this.module = module;
    this.core = new HttpCore(module, options);
    this.decodesBodies = options.decodeBodies;
    this.bodyOptions = {
      maxBodySize: options.maxBodySize,
      maxRatio: LIMITS.bodyDecodeMaxRatio,
      redact: (type, body, cut) => this.core.redactBody(type, body, cut),
    };
  }

  async flush(): Promise<void> {
    await this.delivered;
    const failure = this.laterError;
    this.laterError = null;
    if (failure !== null) throw failure.error;
  }

  open(id: ConnectionKey, endpoints: { client: Endpoint; server: Endpoint }, timestampMs?: number): void {
    const key = keyOf(id);
    if (this.open_.has(key)) throw new Error(`open: connection ${key} is already open`);
    const client = toBinaryEndpoint(endpoints?.client, 'client');
    const server = toBinaryEndpoint(endpoints?.server, 'server');
    if (client.version !== server.version) throw new TypeError('open: client and server must have the same IP version');
    const conn = this.nextConn++;
    this.open_.set(key, { conn, id: key });
    this.idOfConn.set(conn.toString(), key);
    const { ptr, bytes } = this.module.input(EVENT_HEADER_BYTES + OPEN_PAYLOAD_BYTES);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    writeEventHeader(view, 0, KIND_OPEN, OPEN_SAMPLED, OPEN_PAYLOAD_BYTES, conn, micros(timestampMs));
    writeOpenPayload(view, EVENT_HEADER_BYTES, client, server);
    this.feed(ptr, bytes.byteLength);
  }

  push(id: ConnectionKey, side: Side, bytes: Uint8Array, timestampMs?: number): void {
    const c = this.connection(id, 'push');
    const dir = direction(side);
    // ArrayBuffer.isView rather than instanceof: bytes may come from another realm (a worker, an iframe).
    if (!ArrayBuffer.isView(bytes)) throw new TypeError('push: bytes must be a Uint8Array');
    bytes = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let at = 0; at < bytes.length; at += MAX_DATA_EVENT_BYTES) {
      const piece = bytes.subarray(at, Math.min(bytes.length, at + MAX_DATA_EVENT_BYTES));
      const input = this.module.input(EVENT_HEADER_BYTES + piece.length);
      const view = new DataView(input.bytes.buffer, input.bytes.byteOffset, input.bytes.byteLength);
      writeEventHeader(view, 0, KIND_DATA, dir, piece.length, c.conn, micros(timestampMs));
      input.bytes.set(piece, EVENT_HEADER_BYTES);
      this.feed(input.ptr, input.bytes.byteLength);
    }
  }

  gap(id: ConnectionKey, side: Side, lostBytes: number, timestampMs?: number): void {
    const c = this.connection(id, 'gap');
    const dir = direction(side);
    if (!Number.isSafeInteger(lostBytes) || lostBytes <= 0) {
      throw new RangeError(`gap: lostBytes must be a positive integer (got ${String(lostBytes)})`);
    }
    const { ptr, bytes } = this.module.input(EVENT_HEADER_BYTES + GAP_PAYLOAD_BYTES);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    writeEventHeader(view, 0, KIND_GAP, dir, GAP_PAYLOAD_BYTES, c.conn, micros(timestampMs));
    writeGapPayload(view, EVENT_HEADER_BYTES, BigInt(lostBytes));
    this.feed(ptr, bytes.byteLength);
  }

  close(id: ConnectionKey, timestampMs?: number): void {
    const c = this.connection(id, 'close');
    this.open_.delete(c.id);
    const { ptr, bytes } = this.module.input(EVENT_HEADER_BYTES);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    writeEventHeader(view, 0, KIND_CLOSE, CLOSE_FIN, CLOSE_PAYLOAD_BYTES, c.conn, micros(timestampMs));
    try {
      this.feed(ptr, bytes.byteLength);
    } finally {
      this.idOfConn.delete(c.conn.toString());
    }
  }

  stats(): Record<string, unknown> {
    return this.core.stats();
  }

  dispose(): void {
    this.core.free();
    this.open_.clear();
    this.idOfConn.clear();
  }

  /** Decoding starts at once; delivery waits for every earlier message, so the order stays the core's. */
  private deliverLater(message: HttpMessage): void {
    const decoding = decodeMessageBody(message, this.bodyOptions, platformCodecs());
    this.delivered = this.delivered.then(async () => {
      // decodeMessageBody flags bad bytes on the message; anything it throws is a bug, and must not stop
      // the messages behind this one.
      await decoding.catch((e: unknown) => void (this.laterError ??= { error: e }));
      try {
        this.onMessage?.(message);
      } catch (e) {
        this.laterError ??= { error: e };
      }
    });
  }

  private connection(id: ConnectionKey, op: string): OpenConnection {
    const c = this.open_.get(keyOf(id));
    if (c === undefined) throw new Error(`${op}: connection ${keyOf(id)} is not open`);
    return c;
  }

  private feed(ptr: number, len: number): void {
    let logs: CoreLogRecord[] = [];
    let messages: HttpMessage[] = [];
    const status = this.core.feedInput(ptr, len, (output) => {
      logs = output.logs;
      messages = this.parse(output.jsonl);
    });
    // Our own encoder wrote the batch, so a rejection is a bug on one side of the contract.
    if (status < 0) throw new Error(`http-core rejected a stream event (status ${status})`);
    this.dispatch(logs, messages);
  }

  /**
   * The block's lines as messages, all parsed before any callback runs: a callback may feed this decoder
   * again, and the block is the core's memory, valid only until the next call into it.
   */
  private parse(jsonl: Uint8Array): HttpMessage[] {
    const messages: HttpMessage[] = [];
    for (let start = 0; start < jsonl.length;) {
      let end = jsonl.indexOf(0x0a /* \n */, start);
      if (end < 0) end = jsonl.length;
      const message = JSON.parse(this.utf8.decode(jsonl.subarray(start, end))) as HttpMessage;
      start = end + 1;
      message.connectionId = this.idOfConn.get(message.connectionId) ?? message.connectionId;
      messages.push(message);
    }
    return messages;
  }

  /** Delivers everything first, then rethrows the first error a callback threw. */
  private dispatch(logs: CoreLogRecord[], messages: HttpMessage[]): void {
    let firstError: unknown;
    let failed = false;
    for (const record of logs) {
      try {
        this.onLog?.(record);
      } catch (e) {
        if (!failed) (failed = true), (firstError = e);
      }
    }
    for (const message of messages) {
      if (this.decodesBodies) {
        this.deliverLater(message);
        continue;
      }
      try {
        this.onMessage?.(message);
      } catch (e) {
        if (!failed) (failed = true), (firstError = e);
      }
    }
    if (failed) throw firstError;
  }
}

function keyOf(id: ConnectionKey): string {
  if (typeof id === 'number' ? !Number.isFinite(id) : typeof id !== 'string') {
    throw new TypeError(`connection id must be a string or a finite number (got ${String(id)})`);
  }
  return String(id);
}

function direction(side: Side): number {
  if (side === 'client') return DIR_CLIENT_TO_SERVER;
  if (side === 'server') return DIR_SERVER_TO_CLIENT;
  throw new TypeError(`side must be 'client' or 'server' (got ${String(side)})`);
}

function micros(timestampMs: number | undefined): number {
  if (timestampMs === undefined) return -1;
  if (!Number.isFinite(timestampMs) || timestampMs < 0) {
    throw new RangeError(`timestampMs must be a finite number >= 0 (got ${String(timestampMs)})`);
  }
  return Math.round(timestampMs * 1000);
}

function toBinaryEndpoint(e: Endpoint | undefined, field: string): BinaryEndpoint {
  if (e === null || typeof e !== 'object') throw new TypeError(`open: ${field} must be {ip, port}`);
  const ip = typeof e.ip === 'string' ? parseIp(e.ip) : null;
  if (ip === null) throw new TypeError(`open: ${field}.ip must be an IPv4 or IPv6 address (got ${String(e.ip)})`);
  if (!Number.isInteger(e.port) || e.port < 0 || e.port > 65535) {
    throw new TypeError(`open: ${field}.port must be an integer 0-65535 (got ${String(e.port)})`);
  }
  return { version: ip.version, address: ip.address, port: e.port };
}
