// JSON lines on stdout (or any writable stream), written as the blocks the pipeline hands over. Honours
// the stream's backpressure: while its buffer holds more than `pauseAtBytes`, `ready()` hands the pipeline
// a promise so it stops feeding; a caller that keeps delivering anyway hits a hard byte cap, past which
// messages are dropped and counted. A stream that breaks (EPIPE: the reader went away) is logged once;
// every later message is dropped and counted. Given a file descriptor instead (`fd`: a regular file, or
// offline reading), each block is written to it before deliver() returns, with no stream in between.

import { LIMITS } from '../config.js';
import { LogLimiter, type Logger } from '../log.js';
import type { Output } from './index.js';
import { SpareBuffers } from '../spare-buffers.js';
import { writeAll } from './stdout-fd.js';

export interface StdoutOutputOptions {
  /** Default `process.stdout`. */
  stream: NodeJS.WritableStream & { writableLength: number; writableNeedDrain: boolean };
  /**
   * Hard cap on bytes waiting in the stream's buffer once past `pauseAtBytes` (a block that arrives below
   * the pause mark is taken whole). Default LIMITS.stdout (config.ts).
   */
  maxBufferedBytes: number;
  /**
   * From this many buffered bytes on, `ready()` asks the pipeline to wait (until the buffer empties).
   * Default LIMITS.stdout (1 MiB): a pipe's own high-water mark (16 KiB) would stall the pipeline every few
   * dozen lines (docs/outputs.md).
   */
  pauseAtBytes: number;
  /**
   * Write each block to this file descriptor with write(2) before deliver() returns (waiting while a
   * non-blocking pipe is full), instead of through `stream`: no copy, no stream state, no callback per
   * block (docs/performance.md, "Live capture: the JS thread"). For a regular file, and for offline
   * reading, where a slow reader must make the reader of the capture wait. Default: none (the stream).
   */
  fd: number | undefined;
}

/** Copies of blocks kept for reuse: 8 of at most 1 MiB each, each allocated with at least 64 KiB. */
const SPARE_COPIES = { maxCount: 8, maxBytes: Infinity, maxEach: 1024 * 1024, minBytes: 64 * 1024 };

export class StdoutOutput implements Output {
  readonly name = 'stdout';
  /** Null when writing to `fd`: process.stdout is then never touched (Node would make the fd non-blocking). */
  private readonly stream: StdoutOutputOptions['stream'] | null;
  private readonly maxBufferedBytes: number;
  private readonly pauseAtBytes: number;
  private readonly fd: number | undefined;
  private readonly limiter = new LogLimiter();
  private delivered = 0;
  private dropped = 0;
  private failed = 0;
  private pending = 0; // messages written but not yet flushed to the stream's destination
  private broken = false;
  private waiting: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  /** Copies of blocks whose writes have completed, reused for the next blocks. */
  private readonly spare = new SpareBuffers(SPARE_COPIES);

  constructor(private readonly log: Logger, opts: Partial<StdoutOutputOptions> = {}) {
    this.maxBufferedBytes = opts.maxBufferedBytes ?? LIMITS.stdout.maxBufferedBytes;
    this.fd = opts.fd;
    this.pauseAtBytes = Math.min(opts.pauseAtBytes ?? LIMITS.stdout.pauseAtBytes, this.maxBufferedBytes / 2);
    // Touching process.stdout when it is a pipe makes Node set O_NONBLOCK on fd 1: a blocked writer
    // would then spin on EAGAIN instead of sleeping in write(2).
    this.stream = this.fd !== undefined ? null : opts.stream ?? process.stdout;
    if (this.stream === null) return;
    this.stream.on('error', (err: Error) => this.breakDown(err));
    this.stream.on('drain', () => this.wakeUp());
    this.stream.on('close', () => this.wakeUp());
  }

  /** One write of the whole block (to the fd, or of a copy to the stream), counted per message. */
  deliver(jsonl: Uint8Array, count: number): void {
    if (this.broken) {
      this.dropped += count;
      return;
    }
    const stream = this.stream;
    if (stream === null) {
      try {
        writeAll(this.fd!, jsonl);
        this.delivered += count;
      } catch (err) {
        this.failed += count;
        this.breakDown(err as Error); // EPIPE: logged once, every later line counted as dropped
      }
      return;
    }
    // Only a caller that kept delivering past the pause mark loses messages: a block handed over while
    // ready() said go is taken whatever its size (a decoded body's line can be larger than the cap).
    if (stream.writableLength >= this.pauseAtBytes && stream.writableLength + jsonl.length > this.maxBufferedBytes) {
      this.dropped += count;
      this.limiter.log(this.log, 'warn', 'full', 'stdout is not being read fast enough; messages dropped', {
        output: this.name, bufferedBytes: stream.writableLength, dropped: this.dropped,
      });
      return;
    }
    this.pending += count;
    try {
      const copy = this.spare.take(jsonl.length); // jsonl is reused after this call; the stream keeps its chunk until written
      copy.set(jsonl);
      stream.write(copy, (err?: Error | null) => {
        this.spare.give(copy);
        this.flushed(err, count);
      });
    } catch (err) {
      // A stream already destroyed throws synchronously on some Node versions.
      this.pending -= count;
      this.dropped += count;
      this.breakDown(err as Error);
    }
  }

  ready(): Promise<void> | null {
    // 'drain' only comes after a write past the stream's high-water mark; past pauseAtBytes that holds.
    const stream = this.stream;
    if (this.broken || stream === null || !stream.writableNeedDrain || stream.writableLength < this.pauseAtBytes) return null;
    if (!this.waiting) this.waiting = new Promise<void>((resolve) => (this.wake = resolve));
    return this.waiting;
  }

  async drain(deadlineMs: number): Promise<void> {
    const stream = this.stream;
    while (stream !== null && this.pending > 0 && !this.broken) {
      const wait = deadlineMs - Date.now();
      if (wait <= 0) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, Math.min(wait, 100));
        const s = stream; // narrowed to non-null for the function below
        s.once('drain', done);
        function done(): void {
          clearTimeout(timer);
          s.removeListener('drain', done);
          resolve();
        }
      });
    }
    if (this.pending > 0) {
      this.log.warn('drain deadline passed with stdout lines unwritten', { output: this.name, pending: this.pending });
      this.dropped += this.pending;
      this.pending = 0;
    }
    this.wakeUp();
  }

  stats(): Record<string, number> {
    return {
      delivered: this.delivered, failed: this.failed, dropped: this.dropped,
      pending: this.pending, bufferedBytes: this.stream?.writableLength ?? 0,
    };
  }

  private flushed(err: Error | null | undefined, count: number): void {
    if (this.pending === 0) return; // given up on at the drain deadline
    const n = Math.min(count, this.pending);
    this.pending -= n;
    if (err) {
      this.failed += n;
      this.breakDown(err);
    } else {
      this.delivered += n;
    }
  }

  private breakDown(err: Error): void {
    if (this.broken) return;
    this.broken = true;
    this.log.error('stdout failed; further messages to stdout are dropped', { output: this.name, error: err });
    this.wakeUp();
  }

  private wakeUp(): void {
    const wake = this.wake;
    this.waiting = null;
    this.wake = null;
    if (wake) wake();
  }
}
