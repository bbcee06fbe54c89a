// Decoded bodies (docs/bodies-and-har.md): a message whose body carries a Content-Encoding gets the
// decoded bytes in `body`, `contentEncodingRemoved` naming what was removed. The wire facts stay:
// `bodySize` and the headers are as seen. What cannot be decoded is delivered as it came, with
// `bodyDecodeError` saying why; a coded body cut short decodes as far as it goes and says so.
// Platform neutral: the sidecar's pipeline and the decoder in every runtime run this same code.
import type { HttpMessage } from '../types.js';
import type { Codecs, Inflate, InflateResult } from './inflate.js';

export interface BodyDecodeOptions {
  /** Decoded bytes kept, as for a body on the wire. */
  maxBodySize: number;
  /** Decoded bytes per coded byte past which decoding stops (the decompression-bomb guard). */
  maxRatio: number;
  /**
   * The core's body-field redaction (HttpCore.redactBody): the core cannot read a coded body, so the
   * decoded bytes go through it before they reach the message. Returns the redacted bytes, or null
   * when nothing was replaced.
   */
  redact?: (contentType: string, body: Uint8Array, cut: boolean) => Uint8Array | null;
}

/** What happened, for counters. */
export type BodyDecodeOutcome = 'none' | 'decoded' | 'partial' | 'failed';

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const utf8Encoder = new TextEncoder();

/**
 * Decodes `message`'s body in place when its Content-Encoding is one this runtime removes. Never
 * throws for bad bytes: the message then says why in `bodyDecodeError`.
 */
export async function decodeMessageBody(message: HttpMessage, options: BodyDecodeOptions, codecs: Codecs): Promise<BodyDecodeOutcome> {
  if (message.body === undefined) return 'none';
  const header = message.headers['content-encoding'];
  if (typeof header !== 'string') return 'none';
  const codings = header.split(',').map((c) => c.trim().toLowerCase()).filter((c) => c !== '' && c !== 'identity');
  if (codings.length === 0) return 'none';
  if (codings.length > 1) return fail(message, `more than one content coding (${codings.join(', ')}): not decoded`);
  const coding = codings[0]!;
  const inflate = inflaterFor(coding, codecs);
  if (typeof inflate === 'string') return fail(message, inflate);

  let wire: Uint8Array;
  try {
    wire = message.bodyEncoding === 'base64' ? fromBase64(message.body) : utf8Encoder.encode(message.body);
  } catch {
    return fail(message, 'body is not valid base64: not decoded');
  }
  if (wire.length === 0) return 'none'; // maxBodySize 0: nothing was kept to decode
  const ratioLimit = Math.max(1, Math.floor(wire.length * options.maxRatio));
  const limit = Math.min(options.maxBodySize, ratioLimit);
  let r: InflateResult;
  try {
    r = await inflate(wire, limit);
  } catch (e) {
    return fail(message, `${coding}: ${String((e as Error)?.message ?? e)}`);
  }
  // Without the decompressor's own words: they differ between runtimes, and the message must not.
  if (r.end === 'corrupt') return fail(message, `not valid ${coding} data: delivered as it came`);

  const decoded = concat(r.chunks, Math.min(r.size, limit));
  const type = message.headers['content-type'];
  const contentType = typeof type === 'string' ? type : (type?.[type.length - 1] ?? '');
  // Before the body is set: should redaction throw, the message keeps its coded body.
  setBody(message, options.redact?.(contentType, decoded, r.end !== 'complete') ?? decoded);
  message.contentEncodingRemoved = coding;
  if (r.end === 'complete') return 'decoded';
  message.bodyTruncated = true;
  if (r.end === 'limit') {
    if (limit === options.maxBodySize) return 'decoded';
    message.bodyDecodeError = `decoded size passed ${options.maxRatio}:1 of the coded size: decoding stopped (decompression-bomb guard)`;
    return 'partial';
  }
  const why = message.incomplete ? 'the message was cut off' : message.bodySize > wire.length ? `only the first ${wire.length} coded bytes were kept (maxBodySize)` : 'the coded stream ends early';
  message.bodyDecodeError = `${coding} body ends early (${why}): decoded as far as it goes`;
  return 'partial';
}

/** The inflater for a coding, or why there is none. */
function inflaterFor(coding: string, codecs: Codecs): Inflate | string {
  switch (coding) {
    case 'gzip':
    case 'x-gzip':
      return codecs.gzip;
    case 'deflate':
      return codecs.deflate;
    case 'br':
      return codecs.br;
    case 'zstd':
      return codecs.zstd ?? 'zstd is not available in this runtime: delivered as it came';
    default:
      return `unsupported content coding "${coding.slice(0, 40)}": delivered as it came`;
  }
}

function fail(message: HttpMessage, why: string): BodyDecodeOutcome {
  message.bodyDecodeError = why;
  return 'failed';
}

/** The core's rule: utf8 when the bytes are valid UTF-8, else base64. */
function setBody(message: HttpMessage, bytes: Uint8Array): void {
  try {
    message.body = utf8.decode(bytes);
    message.bodyEncoding = 'utf8';
  } catch {
    message.body = toBase64(bytes);
    message.bodyEncoding = 'base64';
  }
}

function concat(chunks: Uint8Array[], size: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]!.subarray(0, size);
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    if (at >= size) break;
    const take = Math.min(c.length, size - at);
    out.set(take === c.length ? c : c.subarray(0, take), at);
    at += take;
  }
  return out;
}

/** Node's, Bun's and Deno's Buffer where there is one (several times faster); atob/btoa elsewhere. */
const NodeBuffer = (globalThis as { Buffer?: { from(s: string, e: 'base64'): Uint8Array; from(b: ArrayBufferView): Uint8Array & { toString(e: 'base64'): string } } }).Buffer;

export function fromBase64(text: string): Uint8Array {
  if (NodeBuffer !== undefined) {
    // Buffer skips what is not base64; atob refuses it. Refuse it here too, so that every runtime agrees.
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) throw new Error('not base64');
    return NodeBuffer.from(text, 'base64');
  }
  const bin = atob(text);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export function toBase64(bytes: Uint8Array): string {
  if (NodeBuffer !== undefined) return NodeBuffer.from(bytes as ArrayBufferView).toString('base64');
  let bin = '';
  for (let at = 0; at < bytes.length; at += 0x8000) {
    bin += String.fromCharCode(...bytes.subarray(at, at + 0x8000));
  }
  return btoa(bin);
}
