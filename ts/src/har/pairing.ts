// Messages → HAR entries: a request waits for its response (same connection and exchange), then the pair
// becomes one entry. Memory is bounded: past `maxPending` requests or `maxPendingBytes` of their bodies
// the oldest waiting request becomes a request-only entry. Platform neutral (the decoder exports it).
import type { HttpMessage } from '../types.js';
import { harEntry } from './entry.js';
import type { Har, HarEntry } from './types.js';

declare const __TCP_SNIFFER_VERSION__: string;

export const HAR_CREATOR = {
  name: 'tcp-sniffer',
  version: typeof __TCP_SNIFFER_VERSION__ === 'string' ? __TCP_SNIFFER_VERSION__ : '0.0.0-dev',
};

export interface HarPairerLimits {
  /** Requests waiting for their response. Default 10,000. */
  maxPending?: number;
  /** Body characters of the waiting requests. Default 32 MiB. */
  maxPendingBytes?: number;
}

interface Waiting {
  request?: HttpMessage;
  interim: number[];
  bytes: number;
}

export class HarPairer {
  private readonly waiting = new Map<string, Waiting>();
  private pendingBytes = 0;
  private readonly maxPending: number;
  private readonly maxPendingBytes: number;

  constructor(limits: HarPairerLimits = {}) {
    this.maxPending = limits.maxPending ?? 10_000;
    this.maxPendingBytes = limits.maxPendingBytes ?? 32 * 1024 * 1024;
  }

  /**
   * The entries `message` completes (none while a request waits for its response). A message without
   * the fields an entry needs throws a TypeError here, before it is kept, so it costs its own entry only.
   */
  add(message: HttpMessage): HarEntry[] {
    checkMessage(message);
    const key = `${message.connectionId}\u0000${message.exchange}`;
    const out: HarEntry[] = [];
    if (message.direction === 'request') {
      const earlier = this.take(key);
      if (earlier !== undefined) out.push(harEntry(earlier.request, undefined, earlier.interim));
      const bytes = (message.body?.length ?? 0) + 512;
      this.waiting.set(key, { request: message, interim: [], bytes });
      this.pendingBytes += bytes;
      while (this.waiting.size > this.maxPending || (this.pendingBytes > this.maxPendingBytes && this.waiting.size > 1)) {
        const [oldest] = this.waiting.keys();
        const w = this.take(oldest!)!;
        out.push(harEntry(w.request, undefined, w.interim));
      }
      return out;
    }
    const status = message.statusCode ?? 0;
    if (status >= 100 && status < 200 && status !== 101) {
      const w = this.waiting.get(key);
      if (w !== undefined) {
        w.interim.push(status);
        return out;
      }
    }
    const w = this.take(key);
    out.push(harEntry(w?.request, message, w?.interim));
    return out;
  }

  /** Every request still waiting, as request-only entries (end of input). */
  flush(): HarEntry[] {
    const out: HarEntry[] = [];
    for (const key of [...this.waiting.keys()]) {
      const w = this.take(key)!;
      out.push(harEntry(w.request, undefined, w.interim));
    }
    return out;
  }

  /** Requests waiting for their response. */
  get pending(): number {
    return this.waiting.size;
  }

  private take(key: string): Waiting | undefined {
    const w = this.waiting.get(key);
    if (w !== undefined) {
      this.waiting.delete(key);
      this.pendingBytes -= w.bytes;
    }
    return w;
  }
}

function checkMessage(m: HttpMessage): void {
  const bad = (field: string): never => {
    throw new TypeError(`HAR: message ${field} is missing or of the wrong type`);
  };
  if (m === null || typeof m !== 'object') bad('itself');
  if (m.direction !== 'request' && m.direction !== 'response') bad('direction');
  if (typeof m.connectionId !== 'string') bad('connectionId');
  if (!Number.isInteger(m.exchange)) bad('exchange');
  if (typeof m.receiver?.ip !== 'string' || !Number.isInteger(m.receiver.port)) bad('receiver');
  if (m.headers === null || typeof m.headers !== 'object') bad('headers');
  if (m.body !== undefined && typeof m.body !== 'string') bad('body');
}

/** A whole HAR document from messages in the order they came (e.g. decodeStreams' result). */
export function toHar(messages: Iterable<HttpMessage>): Har {
  const pairer = new HarPairer({ maxPending: Number.MAX_SAFE_INTEGER, maxPendingBytes: Number.MAX_SAFE_INTEGER });
  const entries: HarEntry[] = [];
  for (const m of messages) entries.push(...pairer.add(m));
  entries.push(...pairer.flush());
  return { log: { version: '1.2', creator: { ...HAR_CREATOR }, pages: [], entries } };
}

/** The text before the first entry and after the last of a HAR file written as a stream. */
export const HAR_HEAD = `{"log":{"version":"1.2","creator":${JSON.stringify(HAR_CREATOR)},"pages":[],"entries":[`;
export const HAR_TAIL = '\n]}}\n';
