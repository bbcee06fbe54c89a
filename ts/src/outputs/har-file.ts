// `outputHar`: every exchange as an entry of one HAR 1.2 file, written as a stream (docs/bodies-and-har.md).
// The file is a valid HAR after every write: each write puts the new entries where the closing `]}}` was
// and the closing after them, at a known offset (a pipe or a terminal, which cannot seek, gets the closing
// once, at the drain). One entry per line, so a file torn by a power failure is repaired by cutting its
// last partial line and appending the closing. Memory is bounded: the pairer's limits, and the queue of
// entries not yet written (past which the pipeline waits, then entries are dropped and counted).
import { closeSync, fstatSync, openSync, write, writeSync } from 'node:fs';
import { HAR_HEAD, HAR_TAIL, HarPairer } from '../har/pairing.js';
import type { HarEntry } from '../har/types.js';
import { LogLimiter, type Logger } from '../log.js';
import type { HttpMessage } from '../types.js';
import type { Output } from './index.js';
import { untilIdle } from './until-idle.js';

export interface HarFileOutputOptions {
  /** Queued entry bytes past which ready() asks the pipeline to wait. */
  pauseAtBytes: number;
  /** Queued entry bytes past which entries are dropped (a caller that ignores ready()). */
  maxQueuedBytes: number;
}

/** Entry text waiting for the write in flight, with how many messages it holds. */
class EntryQueue {
  private parts: string[] = [];
  bytes = 0;
  count = 0;

  push(text: string, messages: number): void {
    this.parts.push(text);
    this.bytes += text.length;
    this.count += messages;
  }

  takeAll(): { text: string; count: number } {
    const out = { text: this.parts.join(''), count: this.count };
    this.parts = [];
    this.bytes = 0;
    this.count = 0;
    return out;
  }
}

const DEFAULTS: HarFileOutputOptions = { pauseAtBytes: 1024 * 1024, maxQueuedBytes: 16 * 1024 * 1024 };

export class HarFileOutput implements Output {
  readonly name = 'har';
  private readonly fd: number;
  /** Where the closing starts in the file; null when the file cannot seek. */
  private position: number | null;
  private readonly pairer = new HarPairer();
  private readonly queue = new EntryQueue();
  private entries = 0;
  private writing = false;
  private closed = false;
  private broken = false;
  private delivered = 0;
  private failed = 0;
  private dropped = 0;
  private paused: { promise: Promise<void>; resolve: () => void } | null = null;
  private idle: (() => void) | null = null;
  private readonly limiter = new LogLimiter();
  private readonly options: HarFileOutputOptions;

  constructor(readonly path: string, private readonly log: Logger, options: Partial<HarFileOutputOptions> = {}) {
    this.options = { ...DEFAULTS, ...options };
    try {
      this.fd = openSync(path, 'w');
    } catch (e) {
      throw new Error(`the HAR file could not open: ${(e as Error).message}`);
    }
    const seekable = fstatSync(this.fd).isFile();
    writeSync(this.fd, seekable ? HAR_HEAD + HAR_TAIL : HAR_HEAD);
    this.position = seekable ? Buffer.byteLength(HAR_HEAD) : null;
  }

  deliver(jsonl: Uint8Array): void {
    const block = Buffer.from(jsonl.buffer, jsonl.byteOffset, jsonl.byteLength);
    for (let start = 0; start < block.length;) {
      let end = block.indexOf(0x0a, start);
      if (end < 0) end = block.length;
      this.take(block, start, end);
      start = end + 1;
    }
    this.pump();
  }

  ready(): Promise<void> | null {
    if (this.queue.bytes <= this.options.pauseAtBytes || this.broken) return null;
    if (this.paused === null) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      this.paused = { promise, resolve };
    }
    return this.paused.promise;
  }

  async drain(deadlineMs: number): Promise<void> {
    if (this.closed) return;
    for (const e of this.pairer.flush()) this.enqueue(e, 1);
    this.pump();
    if (this.writing || this.queue.bytes > 0) await untilIdle(deadlineMs, (wake) => (this.idle = wake));
    if (this.writing || this.queue.bytes > 0) {
      const left = this.queue.takeAll().count;
      this.dropped += left;
      this.log.warn('drain deadline passed with HAR entries not written', { output: this.name, entries: left });
    }
    this.closed = true;
    try {
      if (this.position === null && !this.broken) writeSync(this.fd, HAR_TAIL);
      closeSync(this.fd);
    } catch (e) {
      this.log.error('the HAR file could not be closed', { output: this.name, path: this.path, error: (e as Error).message });
    }
  }

  stats(): Record<string, number> {
    return {
      delivered: this.delivered, failed: this.failed, dropped: this.dropped, entries: this.entries,
      pendingRequests: this.pairer.pending, queuedBytes: this.queue.bytes,
    };
  }

  private take(block: Buffer, start: number, end: number): void {
    let message: HttpMessage;
    try {
      message = JSON.parse(block.toString('utf8', start, end)) as HttpMessage;
    } catch {
      this.failed++;
      this.limiter.log(this.log, 'error', 'unreadable', 'http-core wrote a message line that is not JSON; not in the HAR', { output: this.name });
      return;
    }
    let entries: HarEntry[];
    try {
      entries = this.pairer.add(message);
    } catch (e) {
      // One message that cannot become an entry costs that entry only.
      this.failed++;
      this.limiter.log(this.log, 'error', 'entry', 'a message could not become a HAR entry', { output: this.name, error: String(e) });
      return;
    }
    for (const e of entries) this.enqueue(e, e.request.method !== '' && e.response.status !== 0 ? 2 : 1);
  }

  private enqueue(entry: HarEntry, messages: number): void {
    const text = JSON.stringify(entry);
    if (this.broken || this.closed || this.queue.bytes + text.length > this.options.maxQueuedBytes) {
      this.dropped += messages;
      this.limiter.log(this.log, 'warn', 'full', 'HAR entry dropped', {
        output: this.name, reason: this.broken ? 'write error' : this.closed ? 'closed' : 'queue full', dropped: this.dropped,
      });
      return;
    }
    this.queue.push(`${this.entries === 0 ? '\n' : ',\n'}${text}`, messages);
    this.entries++;
  }

  private pump(): void {
    if (this.writing || this.queue.bytes === 0 || this.broken) return;
    const { text, count } = this.queue.takeAll();
    const data = Buffer.from(this.position === null ? text : text + HAR_TAIL, 'utf8');
    const at = this.position;
    this.writing = true;
    write(this.fd, data, 0, data.length, at, (err) => {
      this.writing = false;
      if (err) {
        this.broken = true;
        this.failed += count;
        this.log.error('writing the HAR file failed; later entries are dropped', { output: this.name, path: this.path, error: err.message });
      } else {
        this.delivered += count;
        if (at !== null) this.position = at + data.length - Buffer.byteLength(HAR_TAIL);
      }
      if (this.paused !== null && (this.broken || this.queue.bytes <= this.options.pauseAtBytes / 2)) {
        const p = this.paused;
        this.paused = null;
        p.resolve();
      }
      this.pump();
      if (!this.writing && this.queue.bytes === 0 && this.idle) this.idle();
    });
  }
}
