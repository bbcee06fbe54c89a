// The pipeline between the capture shim and the outputs: batches of stream events go into the wasm core,
// finished messages come out and are handed to every output. Backpressure: while an output's ready()
// is pending, batches wait here in a bounded queue (the shim's own bounded queue sheds load behind it).
import type { Logger } from './log.js';
import type { Output } from './outputs/index.js';
import type { HttpMessage, Placement } from './types.js';
import type { ByteOps, CoreOutput, HttpCore } from './wasm/core.js';

export interface PipelineOptions {
  placement?: Placement;
  /** Bytes of batches held while outputs are backpressured; past it batches are fed anyway. */
  maxQueuedBytes?: number;
}

const DEFAULT_MAX_QUEUED_BYTES = 32 * 1024 * 1024;

export interface PipelineStats {
  messages: number;
  batches: number;
  batchBytes: number;
  malformedBatches: number;
  unreadableMessages: number;
  deliveryErrors: number;
  /** Batches held because an output was backpressured. */
  batchesHeld: number;
  /** Batches fed while outputs were still backpressured, because the hold queue was full. */
  batchesForced: number;
  queuedBytes: number;
  /** Batches that arrived after the end of input (a capture that outlived the drain deadline). */
  batchesAfterFinish: number;
  [counter: string]: number;
}

/** Past this a feed's message block is allocated for that feed alone rather than kept for reuse. */
const MAX_SCRATCH_BYTES = 16 * 1024 * 1024;

/**
 * Node's Buffer finds newlines (memchr) and copies (memcpy) several times faster than Uint8Array. The
 * block is one scratch buffer reused by every feed (outputs copy what they keep, see deliverBatch): a
 * fresh block per feed cost a page fault per 4 KiB, about a sixth of the CPU time on a large capture.
 */
function nodeByteOps(): ByteOps {
  let scratch = Buffer.alloc(0);
  return {
    view: (buffer, offset, len) => Buffer.from(buffer, offset, len),
    alloc: (len) => {
      if (len > MAX_SCRATCH_BYTES) return Buffer.allocUnsafe(len);
      if (scratch.length < len) scratch = Buffer.allocUnsafe(Math.min(MAX_SCRATCH_BYTES, Math.max(len, 2 * scratch.length)));
      return scratch.subarray(0, len);
    },
    copy: (src, start, end, dst, at) => void (src as Buffer).copy(dst, at, start, end),
  };
}

/** Handed to text-only outputs instead of a parsed message (they read `line`); frozen, so no one mutates it. */
const TEXT_ONLY = Object.freeze({}) as unknown;

export class Pipeline {
  private readonly core: HttpCore;
  private readonly outputs: Output[];
  private readonly log: Logger;
  private readonly placementJson: string | undefined;
  private readonly placement: Placement | undefined;
  private readonly maxQueuedBytes: number;
  /** Some output reads the parsed message (not only its text). */
  private readonly needsObject: boolean;
  /** Every output takes message bytes (deliverBatch): the core hands over JSON lines, no strings. */
  private readonly bytesOnly: boolean;
  private readonly queue: Uint8Array[] = [];
  private waiting: Promise<void> | null = null;
  private idleWaiters: Array<() => void> = [];
  private finished = false;
  private warnedForced = false;
  private readonly counters: PipelineStats = {
    messages: 0, batches: 0, batchBytes: 0, malformedBatches: 0, unreadableMessages: 0, deliveryErrors: 0,
    batchesHeld: 0, batchesForced: 0, queuedBytes: 0, batchesAfterFinish: 0,
  };

  constructor(core: HttpCore, outputs: Output[], log: Logger, options: PipelineOptions = {}) {
    this.core = core;
    this.outputs = outputs;
    this.log = log;
    this.placement = options.placement;
    this.placementJson = options.placement === undefined ? undefined : JSON.stringify(options.placement);
    this.maxQueuedBytes = options.maxQueuedBytes ?? DEFAULT_MAX_QUEUED_BYTES;
    // Skipping JSON.parse when no output reads the object saved about a sixth of the CPU time on a 56 MB
    // capture; skipping the strings too (bytes straight from wasm memory to stdout) saves more again.
    this.needsObject = outputs.some((o) => o.textOnly !== true);
    this.bytesOnly = outputs.length > 0 && outputs.every((o) => o.deliverBatch !== undefined);
    if (this.bytesOnly) core.messagesAsBytes(this.placementJson, nodeByteOps());
  }

  /**
   * A batch from the shim. Events stay in order whatever the backpressure. The batch is read before this
   * returns, or copied when it must wait, so the shim may reuse its memory afterwards.
   */
  onBatch(batch: Uint8Array): void {
    if (this.finished) {
      this.counters.batchesAfterFinish++;
      this.log.warn('pipeline: batch after finish dropped', { bytes: batch.length });
      return;
    }
    if (this.waiting !== null || this.queue.length > 0) {
      if (this.counters.queuedBytes + batch.length <= this.maxQueuedBytes) {
        // A copy: the shim reuses the batch's memory once onBatch returns (reuseBatches).
        this.queue.push(new Uint8Array(batch));
        this.counters.queuedBytes += batch.length;
        this.counters.batchesHeld++;
        return;
      }
      if (!this.warnedForced) {
        this.warnedForced = true;
        this.log.warn('pipeline: outputs are backpressured and the hold queue is full; feeding anyway', {
          maxQueuedBytes: this.maxQueuedBytes,
        });
      }
      this.counters.batchesForced++;
      this.feedQueued();
    }
    this.feed(batch);
  }

  /**
   * End of input: feeds what is held (waiting for backpressure until `deadline`, a Date.now() time, then
   * feeding regardless), closes every connection in the core, and delivers the last messages.
   */
  async finish(deadline: number, tsMicros: number): Promise<void> {
    if (this.finished) return;
    if (this.waiting !== null || this.queue.length > 0) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([this.idle(), new Promise<void>((r) => (timer = setTimeout(r, Math.max(0, deadline - Date.now()))))]);
      clearTimeout(timer);
    }
    this.finished = true;
    this.feedQueued();
    this.dispatch(this.core.finish(tsMicros));
  }

  stats(): PipelineStats {
    return { ...this.counters };
  }

  private idle(): Promise<void> {
    if (this.waiting === null && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private feedQueued(): void {
    while (this.queue.length > 0) {
      const b = this.queue.shift()!;
      this.counters.queuedBytes -= b.length;
      this.feed(b);
    }
  }

  private feed(batch: Uint8Array): void {
    this.counters.batches++;
    this.counters.batchBytes += batch.length;
    const { status, output } = this.core.feed(batch);
    if (status < 0) {
      this.counters.malformedBatches++;
      this.log.warn('pipeline: malformed batch, rest of it dropped', { status, bytes: batch.length });
    }
    this.dispatch(output);
    this.watchBackpressure();
  }

  private dispatch(output: CoreOutput): void {
    for (const record of output.logs) {
      const { level, message, ...fields } = record;
      this.log[level](message, fields);
    }
    if (this.bytesOnly) {
      this.dispatchBytes(output);
      return;
    }
    for (const text of output.messages) {
      if (text.charCodeAt(0) !== 0x7b /* { */ || text.charCodeAt(text.length - 1) !== 0x7d /* } */) {
        this.counters.unreadableMessages++;
        this.log.warn('pipeline: wasm-core wrote a message that is not a JSON object; dropped', { length: text.length });
        continue;
      }
      // Splice rather than re-stringify: the text outputs write the core's text as it is.
      const line = this.placementJson === undefined
        ? text
        : `${text.slice(0, -1)}${text.length > 2 ? ',' : ''}"placement":${this.placementJson}}`;
      let message = TEXT_ONLY as HttpMessage;
      if (this.needsObject) {
        try {
          message = JSON.parse(text) as HttpMessage;
        } catch {
          this.counters.unreadableMessages++;
          this.log.warn('pipeline: wasm-core wrote a message that is not JSON; dropped', { length: text.length });
          continue;
        }
        if (this.placement !== undefined) message.placement = this.placement;
      }
      this.counters.messages++;
      for (const out of this.outputs) {
        try {
          out.deliver(message, line);
        } catch (e) {
          this.counters.deliveryErrors++;
          this.log.error('pipeline: output threw while accepting a message', { output: out.name, error: String(e) });
        }
      }
    }
  }

  private dispatchBytes(output: CoreOutput): void {
    const unreadable = output.unreadable ?? 0;
    if (unreadable > 0) {
      this.counters.unreadableMessages += unreadable;
      this.log.warn('pipeline: wasm-core wrote messages that are not JSON objects; dropped', { count: unreadable });
    }
    const count = output.jsonlCount ?? 0;
    if (count === 0 || output.jsonl === undefined) return;
    this.counters.messages += count;
    for (const out of this.outputs) {
      try {
        out.deliverBatch!(output.jsonl, count);
      } catch (e) {
        this.counters.deliveryErrors++;
        this.log.error('pipeline: output threw while accepting messages', { output: out.name, error: String(e) });
      }
    }
  }

  private watchBackpressure(): void {
    if (this.waiting !== null) return;
    const pending: Array<Promise<void>> = [];
    for (const out of this.outputs) {
      const p = out.ready();
      if (p !== null) pending.push(p);
    }
    if (pending.length === 0) return;
    const resume = (): void => {
      this.waiting = null;
      this.pump();
    };
    this.waiting = Promise.all(pending).then(resume, resume);
  }

  private pump(): void {
    while (this.waiting === null && this.queue.length > 0) {
      const b = this.queue.shift()!;
      this.counters.queuedBytes -= b.length;
      this.feed(b);
    }
    if (this.waiting === null && this.queue.length === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }
}
