// RED metrics at the edge: each block of message lines the pipeline delivers is read here, a request is
// remembered by (connectionId, exchange) until its final response arrives, and the pair is counted by
// method, route and status class, its elapsedMs observed in the duration histogram (docs/metrics.md).
//
// Only what the metrics need is read from a line: the core writes every field of the start line before
// `"headers"` (docs/internals.md §2), so those few fields are read in place there, and `elapsedMs` is
// found near the end of a response's line; headers and body are never turned into strings. A line that
// does not have that shape is parsed whole.

import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { PREFIX } from './stats-metrics.js';
import { RouteTable } from './routes.js';

export interface ExchangeMetricsOptions {
  routeTemplates: readonly string[];
  maxRoutes: number;
  /** Requests remembered while they wait for their response; past it the oldest is forgotten and counted. */
  maxAwaiting: number;
  durationBuckets: readonly number[];
}

/** The fields of a message line the metrics use. */
interface Head {
  direction?: string;
  connectionId?: string;
  exchange?: number;
  method?: string;
  path?: string;
  statusCode?: number;
  elapsedMs?: number;
}

const HEADERS_KEY = Buffer.from(',"headers":{');
const ELAPSED_KEY = Buffer.from(',"elapsedMs":');
/** elapsedMs is followed only by upgrade, incomplete, error and placement: it sits in a line's last bytes. */
const TAIL_BYTES = 4096;

export function statusClass(code: number | undefined): string {
  return code !== undefined && code >= 100 && code <= 599 ? `${Math.floor(code / 100)}xx` : 'other';
}

export class ExchangeMetrics {
  private readonly routes: RouteTable;
  private readonly awaiting = new Map<string, { method: string; route: string }>();
  private readonly maxAwaiting: number;
  private readonly requests: Counter<'method' | 'route' | 'status_class'>;
  private readonly duration: Histogram<'method' | 'route'>;
  private readonly unpaired: Counter<'status_class'>;
  private readonly forgotten: Counter;
  private readonly unreadable: Counter;

  constructor(registry: Registry, opts: ExchangeMetricsOptions) {
    this.routes = new RouteTable(opts.routeTemplates, opts.maxRoutes);
    this.maxAwaiting = opts.maxAwaiting;
    const registers = [registry];
    this.requests = new Counter({
      name: `${PREFIX}http_requests_total`,
      help: 'Exchanges (a request and its final response) by method, route template and status class',
      labelNames: ['method', 'route', 'status_class'], registers,
    });
    this.duration = new Histogram({
      name: `${PREFIX}http_request_duration_seconds`,
      help: "From the request's first byte to the response's last byte, as captured (elapsedMs)",
      labelNames: ['method', 'route'], buckets: [...opts.durationBuckets], registers,
    });
    this.unpaired = new Counter({
      name: `${PREFIX}http_responses_unpaired_total`,
      help: 'Final responses whose request was not seen (capture began mid-connection, request lost or forgotten)',
      labelNames: ['status_class'], registers,
    });
    this.forgotten = new Counter({
      name: `${PREFIX}http_requests_forgotten_total`,
      help: 'Requests dropped from the table of requests awaiting a response because it was full',
      registers,
    });
    this.unreadable = new Counter({
      name: `${PREFIX}http_messages_unreadable_total`,
      help: 'Message lines the metrics could not read (a core bug if ever non-zero)',
      registers,
    });
    const routes = this.routes;
    new Counter({
      name: `${PREFIX}http_routes_folded_total`,
      help: 'Exchanges whose route was counted as __other__ (past metricsMaxRoutes, or too long)',
      registers,
      collect() {
        this.reset();
        this.inc(routes.folded);
      },
    });
    new Gauge({
      name: `${PREFIX}http_routes`,
      help: 'Distinct templated routes in use (at most metricsMaxRoutes)',
      registers,
      collect() {
        this.set(routes.distinct);
      },
    });
    const awaiting = this.awaiting;
    new Gauge({
      name: `${PREFIX}http_requests_awaiting_response`,
      help: 'Requests remembered until their response arrives',
      registers,
      collect() {
        this.set(awaiting.size);
      },
    });
  }

  /** A block of message lines as every output receives it (each `\n`-terminated). */
  observe(jsonl: Uint8Array): void {
    const block = Buffer.from(jsonl.buffer, jsonl.byteOffset, jsonl.byteLength);
    for (let start = 0; start < block.length;) {
      let end = block.indexOf(0x0a /* \n */, start);
      if (end < 0) end = block.length;
      if (end > start) this.line(block, start, end);
      start = end + 1;
    }
  }

  private line(block: Buffer, start: number, end: number): void {
    const head = readHead(block, start, end);
    if (head === null || typeof head.connectionId !== 'string' || typeof head.exchange !== 'number') {
      this.unreadable.inc();
      return;
    }
    const key = `${head.connectionId}/${head.exchange}`;
    if (head.direction === 'request') {
      this.awaiting.delete(key); // a repeated key would otherwise keep its old place in the eviction order
      this.awaiting.set(key, { method: head.method ?? '', route: this.routes.route(head.path ?? '') });
      if (this.awaiting.size > this.maxAwaiting) {
        this.awaiting.delete(this.awaiting.keys().next().value!);
        this.forgotten.inc();
      }
      return;
    }
    const code = head.statusCode;
    // Informational responses (100, 103) precede the final one of the same exchange.
    if (code !== undefined && code >= 100 && code < 200 && code !== 101) return;
    const cls = statusClass(code);
    const request = this.awaiting.get(key);
    if (request === undefined) {
      this.unpaired.inc({ status_class: cls });
      return;
    }
    this.awaiting.delete(key);
    this.requests.inc({ method: request.method, route: request.route, status_class: cls });
    // A line parsed whole has elapsedMs already (NaN when it had none); a prefix never has it.
    const elapsed = head.elapsedMs ?? readElapsedMs(block, start, end);
    if (elapsed !== undefined && Number.isFinite(elapsed)) this.duration.observe({ method: request.method, route: request.route }, elapsed / 1000);
  }
}

const DIRECTION_KEY = Buffer.from('{"direction":"');
const TIMESTAMP_KEY = Buffer.from('{"timestamp":"');
const NEXT_DIRECTION_KEY = Buffer.from(',"direction":"');
const CONNECTION_KEY = Buffer.from(',"connectionId":"');
const EXCHANGE_KEY = Buffer.from(',"exchange":');
const METHOD_KEY = Buffer.from(',"method":"');
const PATH_KEY = Buffer.from(',"path":"');
const STATUS_KEY = Buffer.from(',"statusCode":');
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const LOWER_Q = 0x71;

/**
 * The start-line fields of one message line, read in place: the core writes its keys in one order
 * (timestamp, direction, connectionId, exchange, the endpoints, httpVersion, then method and path or
 * statusCode, then headers; docs/internals.md §2), each is searched from where the previous one ended,
 * and inside a JSON string every `"` is escaped, so a key's bytes found there can only be that key.
 * `path` is the last field before `,"headers":{`, so its text ends right before it. A line of another
 * shape is parsed whole; null when it is not a JSON object at all.
 */
function readHead(block: Buffer, start: number, end: number): Head | null {
  // Every search stays inside the line: a key missing from it must not scan the rest of the block.
  const line = block.subarray(start, end);
  const after = (key: Buffer, from: number): number => {
    const i = line.indexOf(key, from);
    return i < 0 ? -1 : i + key.length;
  };
  const startsWith = (key: Buffer): boolean => line.length >= key.length && line.compare(key, 0, key.length, 0, key.length) === 0;
  // `direction` is the first key, or the second after the timestamp.
  const d = startsWith(DIRECTION_KEY) ? DIRECTION_KEY.length : startsWith(TIMESTAMP_KEY) ? after(NEXT_DIRECTION_KEY, 0) : -1;
  const c = d < 0 ? -1 : after(CONNECTION_KEY, d);
  const x = c < 0 ? -1 : after(EXCHANGE_KEY, c);
  if (x < 0) return whole(line);
  const head: Head = {
    connectionId: line.toString('latin1', c, line.indexOf(QUOTE, c)),
    exchange: Number.parseInt(line.toString('latin1', x, x + 16), 10),
  };
  if (line[d + 2] === LOWER_Q) {
    head.direction = 'request';
    const m = after(METHOD_KEY, x);
    const p = m < 0 ? -1 : after(PATH_KEY, m);
    const h = p < 0 ? -1 : line.indexOf(HEADERS_KEY, p);
    if (h < 0 || line[h - 1] !== QUOTE) return whole(line);
    head.method = line.toString('latin1', m, line.indexOf(QUOTE, m));
    const text = line.toString('utf8', p, h - 1);
    const escaped = line.indexOf(BACKSLASH, p);
    try {
      head.path = escaped >= 0 && escaped < h ? (JSON.parse(`"${text}"`) as string) : text;
    } catch {
      return whole(line);
    }
  } else {
    head.direction = 'response';
    const sc = after(STATUS_KEY, x);
    if (sc >= 0) head.statusCode = Number.parseInt(line.toString('latin1', sc, sc + 4), 10);
  }
  return head;
}

function whole(line: Buffer): Head | null {
  try {
    const v = JSON.parse(line.toString('utf8')) as unknown;
    if (typeof v !== 'object' || v === null) return null;
    const m = v as Head;
    return { ...m, elapsedMs: m.elapsedMs ?? Number.NaN };
  } catch {
    return null;
  }
}

/**
 * A response's elapsedMs, found in the line's last bytes. Inside a JSON string every `"` is escaped, so
 * the key's bytes can only be the key itself. Lines with a longer tail are parsed whole.
 */
function readElapsedMs(block: Buffer, start: number, end: number): number | undefined {
  const from = Math.max(start, end - TAIL_BYTES);
  const at = block.subarray(from, end).lastIndexOf(ELAPSED_KEY);
  if (at >= 0) {
    const p = from + at + ELAPSED_KEY.length;
    const v = Number.parseFloat(block.toString('latin1', p, Math.min(end, p + 32)));
    return Number.isFinite(v) ? v : undefined;
  }
  if (from === start) return undefined;
  const v = whole(block.subarray(start, end))?.elapsedMs;
  return v !== undefined && Number.isFinite(v) ? v : undefined;
}
