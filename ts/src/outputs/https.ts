// The collector output: one JSON POST per message over kept-alive connections, `Authorization: Bearer`
// when a token is set. Network errors, timeouts, 5xx and 429 are retried three times, after a jittered
// wait (up to 1, 2, 4 s) or the collector's Retry-After (bounded); other statuses are final. A circuit
// breaker stops all sending while the collector is down and probes it with one request after a
// cool-down (delivery-pacing.ts). Everything accepted and not yet delivered (queued, in flight, waiting
// to retry) lives inside one budget by count and by bytes: past it new messages are dropped, so a
// collector that is down costs a bounded amount of memory. Every message that does not arrive is
// counted and (rate-limited) logged. The token goes into the request header and nowhere else.

import * as http from 'node:http';
import * as https from 'node:https';
import { LIMITS } from '../config.js';
import { LogLimiter, type Logger } from '../log.js';
import { CircuitBreaker, jitteredDelayMs, retryAfterMs, type BreakerOptions } from './delivery-pacing.js';
import type { Output } from './index.js';
import { untilIdle } from './until-idle.js';

export interface HttpsOutputOptions {
  /** Extra certificate authority to trust (tests); otherwise the system's, plus NODE_EXTRA_CA_CERTS. */
  ca?: string | Buffer;
  /** Concurrent requests (= kept-alive connections). Default: LIMITS.https (config.ts), as for the rest. */
  maxSockets: number;
  /** Messages accepted and not yet settled, at most. */
  maxQueued: number;
  /** Bytes of those messages, at most. */
  maxQueuedBytes: number;
  /** The upper bound of each retry's jittered wait; its length is the number of retries. */
  retryDelaysMs: number[];
  /** A Retry-After longer than this is cut to it. */
  maxRetryAfterMs: number;
  breaker: BreakerOptions;
  /** Uniform in [0, 1): the jitter's source (tests pin it). */
  random: () => number;
  /** A request that has not completed by then is abandoned (and retried). */
  requestTimeoutMs: number;
  /**
   * Offline reads (`captureFile`): when the budget is 90% used, `ready()` asks the pipeline to wait until it
   * is half empty, so a file is delivered whole however slow the collector. Live capture leaves this off:
   * waiting there would starve the other outputs, so the budget drops instead. Default false.
   */
  waitWhenFull: boolean;
}

interface Item {
  body: Buffer;
  attempt: number; // retries done so far
}

export class HttpsOutput implements Output {
  readonly name = 'https';
  private readonly opts: HttpsOutputOptions;
  private readonly agent: http.Agent;
  private readonly request: typeof https.request;
  private readonly headers: Record<string, string>;
  private readonly limiter = new LogLimiter();
  private readonly queue: Item[] = [];
  private queueHead = 0;
  private readonly inFlight = new Set<http.ClientRequest>();
  private readonly retryTimers = new Set<NodeJS.Timeout>();
  private held = 0; // messages accepted and not yet settled
  private heldBytes = 0;
  private closed = false;
  private idle: (() => void) | null = null;
  private waiting: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  private readonly counts = { delivered: 0, failed: 0, dropped: 0, retries: 0, attempts: 0 };
  private readonly breaker: CircuitBreaker;
  private holdUntil = 0; // Date.now() before which nothing is sent (a Retry-After)
  private wakeTimer: NodeJS.Timeout | null = null;
  private wakeAt = 0;
  private openedAt = 0;

  constructor(private readonly url: URL, token: string | undefined, private readonly log: Logger, opts: Partial<HttpsOutputOptions> = {}) {
    this.opts = {
      ...LIMITS.https, retryDelaysMs: [...LIMITS.https.retryDelaysMs], breaker: { ...LIMITS.https.breaker },
      random: Math.random, waitWhenFull: false, ...opts,
    };
    // Reading a file, the pipeline waits for this output (waitWhenFull): a breaker holding the queue
    // would stall the read for as long as the collector is down. There each message fails after its
    // retries instead, as a lone client need not spare the collector.
    const breaker = this.opts.waitWhenFull ? { failureThreshold: Infinity, coolDownMs: 0 } : this.opts.breaker;
    this.breaker = new CircuitBreaker(breaker, this.opts.random);
    const secure = url.protocol === 'https:';
    this.agent = secure
      ? new https.Agent({ keepAlive: true, maxSockets: this.opts.maxSockets, ...(this.opts.ca ? { ca: this.opts.ca } : {}) })
      : new http.Agent({ keepAlive: true, maxSockets: this.opts.maxSockets });
    this.request = secure ? https.request : http.request;
    this.headers = { 'content-type': 'application/json', 'user-agent': 'tcp-sniffer' };
    if (token) this.headers.authorization = `Bearer ${token}`;
  }

  /** Each line becomes one request body (a copy: `jsonl` is reused), without its newline. */
  deliver(jsonl: Uint8Array): void {
    const block = Buffer.from(jsonl.buffer, jsonl.byteOffset, jsonl.byteLength);
    for (let start = 0; start < block.length;) {
      let end = block.indexOf(0x0a /* \n */, start);
      if (end < 0) end = block.length;
      this.accept(block, start, end);
      start = end + 1;
    }
    this.pump();
  }

  ready(): Promise<void> | null {
    if (this.waiting) return this.waiting;
    if (!this.opts.waitWhenFull || this.closed || !this.fuller(0.9)) return null;
    this.waiting = new Promise<void>((resolve) => (this.wake = resolve));
    return this.waiting;
  }

  async drain(deadlineMs: number): Promise<void> {
    if (this.held > 0) await untilIdle(deadlineMs, (wake) => (this.idle = wake));
    this.closed = true;
    if (this.held > 0) {
      this.log.warn('drain deadline passed; undelivered collector messages dropped', { output: this.name, dropped: this.held });
      this.counts.dropped += this.held;
    }
    for (const t of this.retryTimers) clearTimeout(t);
    this.retryTimers.clear();
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    this.wakeTimer = null;
    this.queue.length = 0;
    this.queueHead = 0;
    this.held = 0;
    this.heldBytes = 0;
    for (const req of this.inFlight) req.destroy();
    this.inFlight.clear();
    this.agent.destroy();
    this.wakeUp();
  }

  stats(): Record<string, number> {
    return {
      ...this.counts, inFlight: this.inFlight.size, queued: this.held, queuedBytes: this.heldBytes,
      breakerOpen: this.breaker.state === 'closed' ? 0 : 1, breakerOpened: this.breaker.counts.opened, probes: this.breaker.counts.probes,
    };
  }

  private accept(block: Buffer, start: number, end: number): void {
    const bytes = end - start;
    if (this.closed || this.held + 1 > this.opts.maxQueued || this.heldBytes + bytes > this.opts.maxQueuedBytes) {
      this.counts.dropped++;
      this.limiter.log(this.log, 'warn', 'full', this.closed ? 'collector output is closed; message dropped' : 'collector queue is full; message dropped', {
        output: this.name, queued: this.held, queuedBytes: this.heldBytes, dropped: this.counts.dropped,
      });
      return;
    }
    this.held++;
    this.heldBytes += bytes;
    this.queue.push({ body: Buffer.copyBytesFrom(block, start, bytes), attempt: 0 });
  }

  private pump(): void {
    while (!this.closed && this.inFlight.size < this.opts.maxSockets && this.queueHead < this.queue.length) {
      const now = Date.now();
      const wait = Math.max(this.holdUntil - now, this.breaker.waitMs(now));
      if (wait > 0) {
        this.wakeAfter(wait);
        return;
      }
      // Half-open with its probe out: the probe's outcome pumps again.
      if (!this.breaker.admit(now)) return;
      const item = this.queue[this.queueHead]!;
      this.queueHead++;
      if (this.queueHead > 1024 && this.queueHead * 2 > this.queue.length) {
        this.queue.splice(0, this.queueHead);
        this.queueHead = 0;
      }
      this.send(item);
    }
  }

  /** One timer for the earliest moment sending may resume (end of a Retry-After or of the cool-down). */
  private wakeAfter(ms: number): void {
    const at = Date.now() + ms;
    if (this.wakeTimer && this.wakeAt <= at) return;
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    this.wakeAt = at;
    this.wakeTimer = setTimeout(() => {
      this.wakeTimer = null;
      this.pump();
    }, ms);
  }

  private send(item: Item): void {
    let settled = false;
    this.counts.attempts++;
    const settle = (outcome: 'ok' | 'retry' | 'fail', detail: Record<string, unknown>, retryAfter?: number): void => {
      if (settled || this.closed) return;
      settled = true;
      this.inFlight.delete(req);
      this.observe(outcome === 'retry', detail);
      if (retryAfter !== undefined) this.holdUntil = Math.max(this.holdUntil, Date.now() + retryAfter);
      if (outcome === 'ok') this.release(item, 'delivered');
      else if (outcome === 'retry' && item.attempt < this.opts.retryDelaysMs.length) this.retryLater(item, detail, retryAfter);
      else {
        this.limiter.log(this.log, 'warn', 'failed', 'collector did not accept a message; dropped', {
          output: this.name, attempts: item.attempt + 1, ...detail, failed: this.counts.failed + 1,
        });
        this.release(item, 'failed');
      }
      this.pump();
    };

    const req = this.request(this.url, {
      method: 'POST',
      agent: this.agent,
      headers: { ...this.headers, 'content-length': String(item.body.length) },
    });
    this.inFlight.add(req);
    req.setTimeout(this.opts.requestTimeoutMs, () => req.destroy(new Error('request timed out')));
    req.on('response', (res) => {
      const status = res.statusCode ?? 0;
      // Read the (ignored) answer to its end so the connection can be reused.
      res.resume();
      res.on('end', () => {
        if (status >= 200 && status < 300) settle('ok', {});
        else if (status === 429 || status >= 500) {
          settle('retry', { status }, retryAfterMs(res.headers['retry-after'], Date.now(), this.opts.maxRetryAfterMs));
        } else settle('fail', { status });
      });
      res.on('error', (err) => settle('retry', { error: errorText(err) }));
      res.on('close', () => {
        if (!res.complete) settle('retry', { error: 'connection closed before the answer ended' });
      });
    });
    req.on('error', (err) => settle('retry', { error: errorText(err) }));
    req.end(item.body);
  }

  /** Feeds the breaker; logs its transitions. */
  private observe(failed: boolean, detail: Record<string, unknown>): void {
    const now = Date.now();
    if (!failed) {
      if (this.breaker.success()) {
        this.log.info('collector answers again; deliveries resume', { output: this.name, pausedMs: now - this.openedAt, queued: this.held });
        this.openedAt = 0;
      }
      return;
    }
    if (!this.breaker.failure(now)) return;
    if (this.openedAt === 0) this.openedAt = now; // a failed probe keeps the outage's start
    this.limiter.log(this.log, 'warn', 'breaker', 'collector unreachable; sending paused until a probe succeeds', {
      output: this.name, ...detail, probeInMs: this.breaker.waitMs(now), queued: this.held, opened: this.breaker.counts.opened,
    });
  }

  private retryLater(item: Item, detail: Record<string, unknown>, retryAfter: number | undefined): void {
    // While the breaker is open the item waits in the queue after this delay, spending no attempt.
    const delay = retryAfter ?? jitteredDelayMs(this.opts.retryDelaysMs, item.attempt, this.opts.random);
    item.attempt++;
    this.counts.retries++;
    this.limiter.log(this.log, 'warn', 'retry', 'collector request failed; retrying', {
      output: this.name, ...detail, retryInMs: delay, retries: this.counts.retries,
    });
    const timer = setTimeout(() => {
      this.retryTimers.delete(timer);
      // Retries go first: they are the oldest messages.
      if (this.queueHead > 0) this.queue[--this.queueHead] = item;
      else this.queue.unshift(item);
      this.pump();
    }, delay);
    this.retryTimers.add(timer);
  }

  private release(item: Item, outcome: 'delivered' | 'failed'): void {
    this.counts[outcome]++;
    this.held--;
    this.heldBytes -= item.body.length;
    if (this.held === 0 && this.idle) this.idle();
    if (this.waiting && !this.fuller(0.5)) this.wakeUp();
  }

  /** True when either budget is used beyond `fraction`. */
  private fuller(fraction: number): boolean {
    return this.held >= this.opts.maxQueued * fraction || this.heldBytes >= this.opts.maxQueuedBytes * fraction;
  }

  private wakeUp(): void {
    const wake = this.wake;
    this.waiting = null;
    this.wake = null;
    if (wake) wake();
  }
}

// Node's network errors carry the address and a code, never request headers; keep just those.
function errorText(err: Error & { code?: string }): string {
  return err.code ? `${err.code}: ${err.message}` : err.message;
}
