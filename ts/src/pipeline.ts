// The pipeline between a source of stream-event batches (the capture addon, the tcpflow reader) and the
// outputs: each batch goes into the HTTP core, and the JSON lines it produces go to every output as one
// block. Backpressure: while an output's ready() is pending, batches wait here in a bounded queue (the
// source's own bounded queue sheds load or waits behind it).
import { platformCodecs } from './bodies/codecs.js';
import type { BodyDecodeOptions } from './bodies/decode.js';
import { BodyStage } from './bodies/stage.js';
import { LIMITS, type ResolvedConfig } from './config.js';
import { LogLimiter, type Logger } from './log.js';
import type { Output } from './outputs/index.js';
import { SpareBuffers } from './spare-buffers.js';
import { CoreModule, HttpCore, type CoreOutput } from './wasm/core.js';
import { embeddedModule } from './wasm/embedded.js';


export interface PipelineStats {
  messages: number;
  batches: number;
  batchBytes: number;
  malformedBatches: number;
  deliveryErrors: number;
  /** Batches held because an output was backpressured. */
  batchesHeld: number;
  /** Batches fed while outputs were still backpressured, because the hold queue was full. */
  batchesForced: number;
  queuedBytes: number;
  /** Batches that arrived after the end of input (a capture that outlived the drain deadline). */
  batchesAfterFinish: number;
  /** Blocks the metrics observer threw on (their exchanges are missing from the RED metrics). */
  observerErrors: number;
  [counter: string]: number;
}

/** The HTTP core for a validated configuration: every option it takes comes from `cfg`. */
export async function openCore(cfg: ResolvedConfig): Promise<HttpCore> {
  const module = await CoreModule.instantiate(await embeddedModule());
  return new HttpCore(module, {
    maxBodySize: cfg.maxBodySize,
    maxBufferedBytes: cfg.maxBufferedBytes,
    redactHeaders: cfg.redactHeaders,
    redactQueryParams: cfg.redactQueryParams,
    redactBodyFields: cfg.redactBodyFields,
    filters: {
      allowUrl: cfg.filters.allowUrl?.program,
      disallowUrl: cfg.filters.disallowUrl?.program,
      allowHost: cfg.filters.allowHost?.program,
      allowMethods: cfg.filters.allowMethods,
    },
    placement: cfg.placement,
  });
}

/** What the pipeline needs to decode bodies (docs/bodies-and-har.md), or null when `decodeBodies` is off. */
export function bodyDecoding(cfg: ResolvedConfig): BodyDecodeOptions | null {
  return cfg.decodeBodies ? { maxBodySize: cfg.maxBodySize, maxRatio: LIMITS.bodyDecodeMaxRatio } : null;
}

/** The optional stages between the core and the outputs. */
export interface PipelineStages {
  /** Bodies decoded before the outputs get them (`bodyDecoding(cfg)`); null or absent: delivered as sent. */
  decodeBodies?: BodyDecodeOptions | null;
  /**
   * Reads every block the core writes, before the body stage (the metrics' per-route counts). What it
   * reads (start line, elapsedMs) decoding leaves alone, and it finds elapsedMs at the end of the core's
   * line, where a decoded line has further keys. It must not keep the block.
   */
  observe?: (jsonl: Uint8Array) => void;
  /**
   * When the batches come from the capture: tells it what the core holds and returns what its reassembly
   * holds, so that the two stay within one maxBufferedBytes (docs/internals.md §6).
   */
  shareBudget?: (coreHeldBytes: number) => number;
}

/**
 * Buffers of held batches kept for reuse: 8 MiB of them, each allocated with at least a live batch's whole
 * buffer (capture-shim's batches end past batchBytes by at most one 64 KiB event).
 */
const SPARE_HOLDS = { maxCount: Infinity, maxBytes: 8 * 1024 * 1024, maxEach: Infinity, minBytes: LIMITS.capture.batchBytes + 64 * 1024 };

export class Pipeline {
  private readonly core: HttpCore;
  private readonly outputs: Output[];
  private readonly log: Logger;
  /** Between the core and the outputs when bodies are decoded. */
  private readonly bodies: BodyStage | null;
  /** Bytes of batches held while outputs are backpressured; past it batches are fed anyway. */
  private readonly maxQueuedBytes: number = LIMITS.pipelineMaxQueuedBytes;
  private readonly limiter = new LogLimiter();
  private readonly queue: Uint8Array[] = [];
  /** Buffers of held batches already fed, for the next held copies: a reader that stays behind turns the queue over. */
  private readonly spare = new SpareBuffers(SPARE_HOLDS);
  private readonly shareBudget: ((coreHeldBytes: number) => number) | undefined;
  /** What the capture's reassembly held at the last exchange of figures. */
  private captureHeld = 0;
  private waiting: Promise<void> | null = null;
  private idleWaiters: Array<() => void> = [];
  private finished = false;
  private warnedForced = false;
  private readonly counters: PipelineStats = {
    messages: 0, batches: 0, batchBytes: 0, malformedBatches: 0, deliveryErrors: 0,
    batchesHeld: 0, batchesForced: 0, queuedBytes: 0, batchesAfterFinish: 0, observerErrors: 0,
  };

  private readonly observe: ((jsonl: Uint8Array) => void) | undefined;

  constructor(core: HttpCore, outputs: Output[], log: Logger, stages: PipelineStages = {}) {
    this.core = core;
    this.outputs = outputs;
    this.log = log;
    this.observe = stages.observe;
    this.shareBudget = stages.shareBudget;
    const decodeBodies = stages.decodeBodies ?? null;
    this.bodies = decodeBodies === null ? null
      : new BodyStage({ ...decodeBodies, redact: (type, body, cut) => core.redactBody(type, body, cut) }, platformCodecs(), (jsonl, count) => this.toOutputs(jsonl, count), log, () => this.outputsReady());
  }

  /**
   * A batch of stream events. Events stay in order whatever the backpressure. The batch is read before
   * this returns, or copied when it must wait, so the source may reuse its memory afterwards.
   */
  onBatch(batch: Uint8Array): void {
    if (this.finished) {
      this.counters.batchesAfterFinish++;
      this.log.warn('pipeline: batch after finish dropped', { bytes: batch.length });
      return;
    }
    // The body stage delivers on its own schedule, after decodes end: an output may have asked to wait
    // since the last feed, and this batch's lines would go past its pause mark into its cap.
    if (this.bodies !== null) this.watchBackpressure();
    if (this.waiting !== null || this.queue.length > 0) {
      if (this.counters.queuedBytes + batch.length <= this.maxQueuedBytes) {
        this.hold(batch);
        return;
      }
      if (!this.warnedForced) {
        this.warnedForced = true;
        this.log.warn('pipeline: outputs are backpressured and the hold queue is full; feeding anyway', {
          maxQueuedBytes: this.maxQueuedBytes,
        });
      }
      // Only the oldest batches, until this one fits behind the rest: a reader that stays behind then
      // costs one batch fed per batch arriving, in a buffer just freed, where feeding the whole queue
      // turned over all of it (32 MiB copied into fresh memory, and parsed into a stdout that was full).
      this.counters.batchesForced++;
      while (this.queue.length > 0 && this.counters.queuedBytes + batch.length > this.maxQueuedBytes) this.feedHeld();
      if (this.queue.length > 0) {
        this.hold(batch);
        return;
      }
    }
    this.feed(batch);
  }

  /** Resolves once no batch is held and no output is backpressured: a source that can wait awaits this. */
  idle(): Promise<void> {
    if (this.waiting === null && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
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
    this.core.finish(tsMicros, this.dispatchOutput);
    await this.bodies?.flush(deadline);
  }

  stats(): PipelineStats {
    return { ...this.counters, ...this.bodies?.counters };
  }

  private feedQueued(): void {
    while (this.queue.length > 0) this.feedHeld();
  }

  /** A copy of `batch` at the end of the queue: the shim reuses the batch's memory once onBatch returns. */
  private hold(batch: Uint8Array): void {
    const copy = this.spare.take(batch.length);
    copy.set(batch);
    this.queue.push(copy);
    this.counters.queuedBytes += batch.length;
    this.counters.batchesHeld++;
  }

  /** Feeds the oldest held batch, then keeps its buffer for a later copy. */
  private feedHeld(): void {
    const b = this.queue.shift()!;
    this.counters.queuedBytes -= b.length;
    this.feed(b);
    this.spare.give(b);
  }

  private feed(batch: Uint8Array): void {
    this.counters.batches++;
    this.counters.batchBytes += batch.length;
    const status = this.core.feed(batch, this.dispatchOutput);
    if (this.shareBudget !== undefined) {
      // The core's share is what the capture does not hold; the capture's is what the core does not.
      this.captureHeld = this.shareBudget(this.core.balance(this.captureHeld));
    }
    if (status < 0) {
      this.counters.malformedBatches++;
      this.log.warn('pipeline: malformed batch, rest of it dropped', { status, bytes: batch.length });
    }
    this.watchBackpressure();
  }

  /**
   * What a feed produced, to the metrics, the body stage and the outputs, while the core's bytes are
   * valid (CoreOutput.jsonl): none of them calls into the core before it is done with the block.
   */
  private readonly dispatchOutput = (output: CoreOutput): void => {
    for (const record of output.logs) {
      const { level, message, ...fields } = record;
      this.log[level](message, fields);
    }
    if (output.count === 0) return;
    this.counters.messages += output.count;
    if (this.observe !== undefined) {
      try {
        this.observe(output.jsonl);
      } catch (e) {
        this.counters.observerErrors++;
        this.limiter.log(this.log, 'error', 'observer', 'pipeline: metrics failed to read a block', { error: String(e) });
      }
    }
    if (this.bodies !== null) this.bodies.push(output.jsonl, output.count);
    else this.toOutputs(output.jsonl, output.count);
  };

  private toOutputs(jsonl: Uint8Array, count: number): void {
    for (const out of this.outputs) {
      try {
        out.deliver(jsonl, count);
      } catch (e) {
        this.counters.deliveryErrors++;
        this.log.error('pipeline: output threw while accepting messages', { output: out.name, error: String(e) });
      }
    }
  }

  /** Non-null while any output is backpressured: resolves once each that was is ready again. */
  private outputsReady(): Promise<void> | null {
    const pending: Array<Promise<void>> = [];
    for (const out of this.outputs) {
      const p = out.ready();
      if (p !== null) pending.push(p);
    }
    return pending.length === 0 ? null : Promise.all(pending).then(() => undefined);
  }

  private watchBackpressure(): void {
    if (this.waiting !== null) return;
    const pending: Array<Promise<void>> = [];
    const decoding = this.bodies?.ready() ?? null;
    if (decoding !== null) pending.push(decoding);
    const outputs = this.outputsReady();
    if (outputs !== null) pending.push(outputs);
    if (pending.length === 0) return;
    const resume = (): void => {
      this.waiting = null;
      this.pump();
    };
    this.waiting = Promise.all(pending).then(resume, resume);
  }

  private pump(): void {
    while (this.waiting === null && this.queue.length > 0) this.feedHeld();
    if (this.waiting === null && this.queue.length === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }
}
