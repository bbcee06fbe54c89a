// The user's onHttpMessage, which reads messages as objects (as the HAR file output does): it parses each JSON line it is
// handed. The callback's failures are the user's bugs, not ours: caught, counted, logged at most once per
// interval, and never allowed to stop the other outputs. A returned promise is awaited, at most
// LIMITS.callback.maxInFlight at once (docs/outputs.md); past that the callback's messages are dropped and counted.

import { LIMITS } from '../config.js';
import { LogLimiter, type Logger } from '../log.js';
import type { HttpMessage, MessageCallback } from '../types.js';
import type { Output } from './index.js';
import { untilIdle } from './until-idle.js';

export class CallbackOutput implements Output {
  readonly name = 'callback';
  private inFlight = 0;
  private delivered = 0;
  private failed = 0;
  private dropped = 0;
  private readonly limiter = new LogLimiter();
  private idle: (() => void) | null = null;

  constructor(
    private readonly fn: MessageCallback,
    private readonly log: Logger,
    private readonly maxInFlight: number = LIMITS.callback.maxInFlight,
  ) {}

  /**
   * The one place a message line becomes an object: each line is parsed here, then handed to the callback.
   * Every line of the block is parsed before the first call: the callback is the user's code, which may
   * call into the sniffer (stats()), and `jsonl` is the HTTP core's memory, which such a call may move.
   */
  deliver(jsonl: Uint8Array): void {
    const block = Buffer.from(jsonl.buffer, jsonl.byteOffset, jsonl.byteLength);
    const messages: HttpMessage[] = [];
    for (let start = 0; start < block.length;) {
      let end = block.indexOf(0x0a /* \n */, start);
      if (end < 0) end = block.length;
      const msg = this.parse(block, start, end);
      if (msg !== undefined) messages.push(msg);
      start = end + 1;
    }
    for (const msg of messages) this.call(msg);
  }

  ready(): Promise<void> | null {
    return null;
  }

  async drain(deadlineMs: number): Promise<void> {
    if (this.inFlight > 0) await untilIdle(deadlineMs, (wake) => (this.idle = wake));
    if (this.inFlight > 0) {
      // The promises cannot be cancelled; they are no longer waited for.
      this.log.warn('drain deadline passed with onHttpMessage promises pending', { output: this.name, pending: this.inFlight });
      this.dropped += this.inFlight;
      this.inFlight = 0;
    }
  }

  stats(): Record<string, number> {
    return { delivered: this.delivered, failed: this.failed, dropped: this.dropped, inFlight: this.inFlight };
  }

  private parse(block: Buffer, start: number, end: number): HttpMessage | undefined {
    try {
      return JSON.parse(block.toString('utf8', start, end)) as HttpMessage;
    } catch {
      // The core checked the braces; a line that still does not parse is a core bug, not the user's.
      this.dropped++;
      this.limiter.log(this.log, 'error', 'unreadable', 'http-core wrote a message line that is not JSON; dropped', {
        output: this.name, length: end - start, dropped: this.dropped,
      });
      return undefined;
    }
  }

  private call(msg: HttpMessage): void {
    if (this.inFlight >= this.maxInFlight) {
      this.dropped++;
      this.limiter.log(this.log, 'warn', 'full', 'onHttpMessage has too many promises pending; message dropped', {
        output: this.name, inFlight: this.inFlight, dropped: this.dropped,
      });
      return;
    }
    let result: unknown;
    try {
      result = this.fn(msg);
    } catch (err) {
      this.fail(err);
      return;
    }
    if (result === null || typeof result !== 'object' || typeof (result as PromiseLike<void>).then !== 'function') {
      this.delivered++;
      return;
    }
    this.inFlight++;
    // A thenable's `then` is user code too: guard it like the call itself.
    try {
      (result as PromiseLike<void>).then(
        () => this.settle(true),
        (err: unknown) => this.settle(false, err),
      );
    } catch (err) {
      this.settle(false, err);
    }
  }

  private settle(ok: boolean, err?: unknown): void {
    if (this.inFlight === 0) return; // already given up on at the drain deadline
    this.inFlight--;
    if (ok) this.delivered++;
    else this.fail(err);
    if (this.inFlight === 0 && this.idle) this.idle();
  }

  private fail(err: unknown): void {
    this.failed++;
    this.limiter.log(this.log, 'warn', 'error', 'onHttpMessage failed', {
      output: this.name, error: describe(err), failed: this.failed,
    });
  }
}

function describe(err: unknown): unknown {
  if (err instanceof Error) return err;
  try {
    return String(err);
  } catch {
    return typeof err;
  }
}
