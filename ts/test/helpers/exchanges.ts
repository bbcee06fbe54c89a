// Checks captured messages against what the real client sent and received, exchange by exchange.
// Returns a list of human-readable problems (empty = every exchange exact), so a failing test shows
// all of them at once rather than the first.
import type { Endpoint } from '../../src/types';
import type { Exchange } from './servers';
import type { Message } from './sniffer';

export interface CheckOptions {
  server: Endpoint;
  clientIp: string;
  maxBodySize: number;
}

const TIMESTAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/;

function bodyBytes(m: Message): Buffer {
  if (m.body === undefined) return Buffer.alloc(0);
  return Buffer.from(m.body, m.bodyEncoding === 'base64' ? 'base64' : 'utf8');
}

function isUtf8(b: Buffer): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(b);
    return true;
  } catch {
    return false;
  }
}

function sameEndpoint(a: Endpoint | undefined, b: Endpoint): boolean {
  return !!a && a.ip === b.ip && a.port === b.port;
}

/** The body-related fields of one message against the bytes the peer really got. */
function checkBody(where: string, m: Message, size: number, prefixB64: string, maxBodySize: number, out: string[]): void {
  if (m.bodySize !== size) out.push(`${where}: bodySize ${m.bodySize}, expected ${size}`);
  const truncated = size > maxBodySize;
  if (m.bodyTruncated !== truncated) out.push(`${where}: bodyTruncated ${m.bodyTruncated}, expected ${truncated}`);
  if (size === 0) {
    if (m.body !== undefined) out.push(`${where}: body present on an empty body`);
    return;
  }
  const want = Buffer.from(prefixB64, 'base64');
  const got = bodyBytes(m);
  if (!got.equals(want)) out.push(`${where}: body differs (${got.length} bytes captured, ${want.length} expected)`);
  const enc = isUtf8(want) ? 'utf8' : 'base64';
  if (m.bodyEncoding !== enc) out.push(`${where}: bodyEncoding ${m.bodyEncoding}, expected ${enc}`);
}

function checkCommon(where: string, m: Message, source: Endpoint, destination: Endpoint, server: Endpoint, out: string[]): void {
  if (!sameEndpoint(m.source, source)) out.push(`${where}: source ${JSON.stringify(m.source)}`);
  if (!sameEndpoint(m.destination, destination)) out.push(`${where}: destination ${JSON.stringify(m.destination)}`);
  if (!sameEndpoint(m.receiver, server)) out.push(`${where}: receiver ${JSON.stringify(m.receiver)}`);
  if (m.incomplete) out.push(`${where}: flagged incomplete`);
  if (m.error !== undefined) out.push(`${where}: error ${m.error}`);
  if (typeof m.timestamp !== 'string' || !TIMESTAMP.test(m.timestamp)) out.push(`${where}: timestamp ${m.timestamp}`);
}

/** Every exchange the client made must appear exactly once, exactly as sent and received; nothing else may. */
export function checkExchanges(truth: Exchange[], messages: Message[], opts: CheckOptions): string[] {
  const out: string[] = [];
  const used = new Set<Message>();
  const { server } = opts;
  for (const e of truth) {
    const client = { ip: opts.clientIp, port: e.clientPort };
    const where = `${e.method} ${e.path} (client port ${e.clientPort}, exchange ${e.ordinal})`;
    const requests = messages.filter((m) => m.direction === 'request' && m.source?.port === e.clientPort &&
      m.destination?.port === server.port && m.exchange === e.ordinal);
    if (requests.length !== 1) {
      out.push(`${where}: ${requests.length} request messages`);
    } else {
      const q = requests[0];
      used.add(q);
      if (q.method !== e.method) out.push(`${where}: method ${q.method}`);
      if (q.path !== e.path) out.push(`${where}: path ${q.path}`);
      if (q.httpVersion !== '1.1') out.push(`${where}: request httpVersion ${q.httpVersion}`);
      if (q.headers?.host !== `${server.ip}:${server.port}`) out.push(`${where}: host header ${q.headers?.host}`);
      checkCommon(`${where} request`, q, client, server, server, out);
      checkBody(`${where} request`, q, e.reqBodySize, e.reqBodyB64, opts.maxBodySize, out);
    }
    const responses = messages.filter((m) => m.direction === 'response' && m.destination?.port === e.clientPort &&
      m.source?.port === server.port && m.exchange === e.ordinal);
    for (const r of responses) used.add(r);
    const codes = responses.map((r) => r.statusCode);
    const wantCodes = [...e.informational, e.status];
    if (JSON.stringify(codes) !== JSON.stringify(wantCodes)) {
      out.push(`${where}: response status codes ${JSON.stringify(codes)}, expected ${JSON.stringify(wantCodes)}`);
      continue;
    }
    const final = responses[responses.length - 1];
    checkCommon(`${where} response`, final, server, client, server, out);
    if (final.httpVersion !== e.httpVersion) out.push(`${where}: response httpVersion ${final.httpVersion}, expected ${e.httpVersion}`);
    if (typeof final.elapsedMs !== 'number' || !(final.elapsedMs >= 0)) out.push(`${where}: elapsedMs ${final.elapsedMs}`);
    checkBody(`${where} response`, final, e.respBodySize, e.respBodyB64, opts.maxBodySize, out);
    for (const info of responses.slice(0, -1)) {
      checkCommon(`${where} ${info.statusCode} response`, info, server, client, server, out);
      if (info.bodySize !== 0) out.push(`${where}: ${info.statusCode} response with bodySize ${info.bodySize}`);
    }
  }
  for (const m of messages) {
    if (!used.has(m)) {
      out.push(`unexpected message: ${m.direction} ${m.method ?? m.statusCode} ${m.path ?? ''} conn ${m.connectionId} ` +
        `exchange ${m.exchange} ${m.source?.port}->${m.destination?.port}`);
    }
  }
  return out;
}

/** Messages the truth implies: one request and one response per exchange, plus each informational response. */
export function expectedMessageCount(truth: Exchange[]): number {
  return truth.reduce((n, e) => n + 2 + e.informational.length, 0);
}

/**
 * The messages of the client's own connections. The servers of a test are private to it, so the only other
 * traffic to them is the readiness probes; a probe in flight when the capture started can leave a response
 * whose request was never seen, which carries no "probe" path to filter it by.
 */
export function onConnectionsOf(truth: Exchange[], messages: Message[]): Message[] {
  const ports = new Set(truth.map((e) => e.clientPort));
  return messages.filter((m) => ports.has(m.direction === 'request' ? m.source?.port : m.destination?.port));
}
