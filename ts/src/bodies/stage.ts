// Decoded bodies in the sidecar's pipeline: between the HTTP core and the outputs, on the JSON-lines
// bytes. Only a line holding the key "content-encoding" is parsed, decoded and written again; a block
// without one (the common case) goes through untouched and uncopied. Decoding is asynchronous (zlib runs
// on its thread pool), so blocks are delivered strictly in order, each once all of its lines are ready.
import type { Logger } from '../log.js';
import type { HttpMessage } from '../types.js';
import { decodeMessageBody, type BodyDecodeOptions } from './decode.js';
import type { Codecs } from './inflate.js';

// Inside a JSON string a quote is always escaped, so this exact byte sequence can only be a header key:
// header names are lower-cased by the core, and no other key ends in content-encoding.
const MARKER = Buffer.from('"content-encoding":"');

/** Bytes held while waiting for decodes past which ready() asks the pipeline to wait. */
const HOLD_HIGH = 8 * 1024 * 1024;
/**
 * Bytes held past which decoded blocks go to the outputs even while one is backpressured (it then drops
 * and counts what it cannot take): the pipeline feeds past its own full hold queue, so this stage must not
 * hold without bound either.
 */
const HOLD_FORCE = 4 * HOLD_HIGH;

export interface BodyStageCounters {
  bodiesDecoded: number;
  bodiesPartlyDecoded: number;
  bodiesNotDecoded: number;
  /** Held at the drain deadline and delivered as they came. */
  bodiesUndecodedAtDeadline: number;
}

interface Job {
  raw: Buffer;
  parts: Array<Buffer | Promise<Buffer>>;
  count: number;
  ready: Buffer[] | null;
}

export class BodyStage {
  private readonly jobs: Job[] = [];
  private heldBytes = 0;
  private waiting: { promise: Promise<void>; resolve: () => void } | null = null;
  /** Set while decoded blocks wait for a backpressured output (pump() resumes when it is ready). */
  private outputsWait: Promise<void> | null = null;
  private idleWaiters: Array<() => void> = [];
  readonly counters: BodyStageCounters = { bodiesDecoded: 0, bodiesPartlyDecoded: 0, bodiesNotDecoded: 0, bodiesUndecodedAtDeadline: 0 };

  constructor(
    private readonly options: BodyDecodeOptions,
    private readonly codecs: Codecs,
    private readonly deliver: (jsonl: Uint8Array, count: number) => void,
    private readonly log: Logger,
    /**
     * Non-null while an output is backpressured. Decoded blocks wait for it as the pipeline's batches do:
     * decodes end on their own schedule, and delivering every block as its decode ended pushed them past
     * a paused stdout into its hard cap, where messages were dropped (docs/bodies-and-har.md, "Where it runs").
     */
    private readonly outputsReady: () => Promise<void> | null = () => null,
  ) {}

  /** Same contract as Output.deliver: `jsonl` is reused once this returns. */
  push(jsonl: Uint8Array, count: number): void {
    const block = Buffer.from(jsonl.buffer, jsonl.byteOffset, jsonl.byteLength);
    let at = block.indexOf(MARKER);
    // Straight through only while nothing is held and the outputs are ready: otherwise the block queues
    // behind them (the core's last blocks at finish come here with no check of the pipeline's).
    if (at < 0 && this.jobs.length === 0 && this.outputsWait === null && this.outputsReady() === null) {
      this.deliver(jsonl, count);
      return;
    }
    const raw = Buffer.from(block);
    const parts: Job['parts'] = [];
    let from = 0;
    while (at >= 0) {
      const start = raw.lastIndexOf(0x0a, at) + 1;
      const nl = raw.indexOf(0x0a, at);
      const end = nl < 0 ? raw.length : nl + 1;
      if (start > from) parts.push(raw.subarray(from, start));
      parts.push(this.decodeLine(raw.subarray(start, end)));
      from = end;
      at = raw.indexOf(MARKER, end);
    }
    if (from < raw.length) parts.push(raw.subarray(from));
    const job: Job = { raw, parts, count, ready: null };
    this.jobs.push(job);
    this.heldBytes += raw.length;
    void Promise.all(parts).then((done) => {
      job.ready = done;
      this.pump();
    });
  }

  /** Non-null while more than HOLD_HIGH bytes wait for decodes. */
  ready(): Promise<void> | null {
    if (this.heldBytes <= HOLD_HIGH) return null;
    if (this.waiting === null) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      this.waiting = { promise, resolve };
    }
    return this.waiting.promise;
  }

  /** Delivers everything held; at `deadline` (Date.now() ms) what is still decoding goes out as it came. */
  async flush(deadline: number): Promise<void> {
    if (this.jobs.length > 0) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        new Promise<void>((r) => this.idleWaiters.push(r)),
        new Promise<void>((r) => (timer = setTimeout(r, Math.max(0, deadline - Date.now())))),
      ]);
      clearTimeout(timer);
    }
    if (this.jobs.length === 0) return;
    let undecoded = 0;
    for (const job of this.jobs.splice(0)) {
      undecoded += job.count;
      this.deliver(job.ready !== null ? Buffer.concat(job.ready) : job.raw, job.count);
    }
    this.heldBytes = 0;
    this.counters.bodiesUndecodedAtDeadline += undecoded;
    this.log.warn('drain deadline passed while bodies were decoding: their messages delivered as they came', { messages: undecoded });
    this.wake();
  }

  private async decodeLine(line: Buffer): Promise<Buffer> {
    let message: HttpMessage;
    try {
      message = JSON.parse(line.toString('utf8')) as HttpMessage;
    } catch {
      return line; // the outputs count a line that is not JSON
    }
    let outcome;
    try {
      outcome = await decodeMessageBody(message, this.options, this.codecs);
    } catch (e) {
      // A bug, not bad bytes (those are flagged on the message): the line goes out as it came, and the
      // block behind it is not held up.
      this.counters.bodiesNotDecoded++;
      this.log.error('decoding a body failed', { error: String(e) });
      return line;
    }
    if (outcome === 'none') return line;
    if (outcome === 'decoded') this.counters.bodiesDecoded++;
    else if (outcome === 'partial') this.counters.bodiesPartlyDecoded++;
    else this.counters.bodiesNotDecoded++;
    return Buffer.from(`${JSON.stringify(message)}\n`, 'utf8');
  }

  private pump(): void {
    while (this.jobs.length > 0 && this.jobs[0]!.ready !== null) {
      if (this.heldBytes <= HOLD_FORCE) {
        if (this.outputsWait !== null) return; // pump runs again when the outputs are ready
        const pending = this.outputsReady();
        if (pending !== null) {
          const resume = (): void => {
            this.outputsWait = null;
            this.pump();
          };
          this.outputsWait = pending.then(resume, resume);
          return;
        }
      }
      const job = this.jobs.shift()!;
      this.heldBytes -= job.raw.length;
      const ready = job.ready!;
      this.deliver(ready.length === 1 ? ready[0]! : Buffer.concat(ready), job.count);
    }
    this.wake();
  }

  private wake(): void {
    if (this.waiting !== null && this.heldBytes <= HOLD_HIGH / 2) {
      const w = this.waiting;
      this.waiting = null;
      w.resolve();
    }
    if (this.jobs.length === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }
}
