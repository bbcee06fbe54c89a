// createSniffer: the lifecycle around one capture (the native addon), one HTTP core (http-core's
// connection table), the pipeline between them and the outputs. Stop order matters: the capture stops and
// hands over its last batch, the core closes every connection, the outputs drain until the deadline, and
// only then is the core's memory released.
import { join } from 'node:path';
import { LIMITS, validateConfig, ValidationError, type ResolvedConfig } from './config.js';
import { describeConfig, warnAboutConfig } from './config-summary.js';
import { bodyDecoding, openCore, Pipeline } from './pipeline.js';
import { createLogger, type Logger } from './log.js';
import { LossWatch } from './loss-watch.js';
import { createOutputs, type Output } from './outputs/index.js';
import type { MetricsEndpoint } from './metrics/index.js';
import type { Sniffer, SnifferConfig, SnifferStats } from './types.js';
import type { HttpCore } from './wasm/core.js';

/** The addon's surface (docs/internals.md §3). */
interface CaptureOptions {
  interface?: string;
  file?: string;
  ports: number[];
  snaplen: number;
  captureBufferBytes: number;
  sampleRate: number;
  maxConcurrentConnections: number;
  connectionIdleTimeoutMs: number;
  maxBufferedBytes: number;
  batchBytes: number;
  maxQueuedBytes: number;
  reuseBatches: boolean;
}
type CaptureHandle = object;
interface CaptureAddon {
  listInterfaces(): string[];
  start(opts: CaptureOptions, onBatch: (batch: Uint8Array) => void, onEnd: (err: Error | null) => void): CaptureHandle;
  stop(handle: CaptureHandle): void;
  stats(handle: CaptureHandle): Record<string, number>;
  /** Tells the capture what the HTTP core holds of maxBufferedBytes; returns what its reassembly holds. */
  shareBudget(handle: CaptureHandle, coreHeldBytes: number): number;
}
type CaptureError = Error & { code?: string; interfaces?: string[] };


let addon: CaptureAddon | undefined;

/** The prebuilt addon ships beside dist/ (package.json "files"), so it is found relative to the bundle. */
function loadAddon(): CaptureAddon {
  if (addon !== undefined) return addon;
  const path = join(__dirname, '..', 'native', 'capture_shim.node');
  try {
    // module.require, not createRequire: node:module costs every start about 0.5 ms of loading.
    addon = module.require(path) as CaptureAddon;
  } catch (e) {
    throw new Error(`the capture addon could not be loaded from ${path}: ${(e as Error).message}`);
  }
  return addon;
}

/** Options the CLI passes; the library's users get the defaults. */
export interface SnifferDependencies {
  logger?: Logger;
  env?: Record<string, string | undefined>;
}

/** Validates `config` now (throws ValidationError); the capture opens at start(). */
export function createSniffer(config: SnifferConfig): Sniffer {
  return createSnifferWith(config, {});
}

export function createSnifferWith(config: SnifferConfig, deps: SnifferDependencies): Sniffer {
  const cfg = validateConfig(config, deps.env ?? process.env);
  const log = deps.logger ?? createLogger({ secrets: cfg.outputUrlAuthToken ? [cfg.outputUrlAuthToken] : [] });
  return new SnifferRuntime(cfg, log);
}

interface Deferred {
  promise: Promise<void>;
  resolve(): void;
  reject(e: unknown): void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
  promise.catch(() => undefined); // a rejection nobody asked for must not crash the process
  return { promise, resolve, reject };
}

class SnifferRuntime implements Sniffer {
  private readonly cfg: ResolvedConfig;
  private readonly log: Logger;
  private startPromise: Promise<void> | undefined;
  private stopPromise: Promise<void> | undefined;
  private running = false;
  private core: HttpCore | undefined;
  private pipeline: Pipeline | undefined;
  private outputs: Output[] = [];
  private capture: { addon: CaptureAddon; handle: CaptureHandle } | undefined;
  private lastCaptureStats: Record<string, number> = {};
  private readonly captureEnded = deferred();
  private captureEndedYet = false;
  /** Why the capture ended by itself (a damaged file, a failed interface); null after a clean end. */
  private captureError: Error | null = null;
  /** The pipeline threw (a wasm trap, memory exhausted): the sniffer stops and done() rejects with it. */
  private pipelineError: Error | null = null;
  private readonly finished = deferred();
  private statsTimer: ReturnType<typeof setInterval> | undefined;
  private lossWatch: LossWatch | undefined;
  private metrics: MetricsEndpoint | undefined;

  constructor(cfg: ResolvedConfig, log: Logger) {
    this.cfg = cfg;
    this.log = log;
  }

  start(): Promise<void> {
    if (this.stopPromise !== undefined) return Promise.reject(new Error('sniffer: start() after stop()'));
    this.startPromise ??= this.open();
    return this.startPromise;
  }

  stop(): Promise<void> {
    this.stopPromise ??= this.close();
    return this.stopPromise;
  }

  isRunning(): boolean {
    return this.running;
  }

  /** What /healthz reports: capturing, and neither the capture nor the pipeline failed. */
  private refreshCaptureStats(): Record<string, number> {
    if (this.capture !== undefined && !this.captureEndedYet) {
      try {
        this.lastCaptureStats = this.capture.addon.stats(this.capture.handle);
      } catch {
        // the handle is closing; the last figures stand
      }
    }
    return this.lastCaptureStats;
  }

  private healthy(): boolean {
    return this.running && this.stopPromise === undefined && this.pipelineError === null && this.captureError === null;
  }

  done(): Promise<void> {
    return this.finished.promise;
  }

  stats(): SnifferStats {
    this.refreshCaptureStats();
    const outputs: Record<string, Record<string, number>> = {};
    for (const o of this.outputs) outputs[o.name] = o.stats();
    const pipeline = this.pipeline?.stats();
    return {
      capture: { ...this.lastCaptureStats },
      // The core's counters, and the adapter's (batches held under backpressure, delivery errors) beside them.
      decoder: { ...(this.core?.stats() ?? {}), pipeline: pipeline ?? {} },
      outputs,
      messages: pipeline?.messages ?? 0,
    };
  }

  private async open(): Promise<void> {
    const cfg = this.cfg;
    const capture = loadAddon();
    const core = await openCore(cfg);
    let outputs: Output[];
    try {
      outputs = await createOutputs(cfg, this.log); // the HAR file opens here
    } catch (e) {
      core.free();
      throw e;
    }
    let metrics: MetricsEndpoint | undefined;
    if (cfg.metricsPort !== undefined) {
      // Loaded only when asked for: prom-client's start-up cost stays out of the sniffer's otherwise.
      const { MetricsEndpoint } = await import('./metrics/index.js');
      metrics = new MetricsEndpoint(cfg, { stats: () => this.stats(), healthy: () => this.healthy() }, this.log);
      try {
        const port = await metrics.listen(cfg.metricsPort);
        this.log.info('metrics endpoint listening', { metricsPort: port, paths: ['/metrics', '/healthz'] });
      } catch (e) {
        core.free();
        throw e;
      }
    }
    // Batches arrive only after start() returned the handle, so this.capture is set when it is called.
    const shareBudget = (coreHeld: number): number =>
      this.capture === undefined ? 0 : this.capture.addon.shareBudget(this.capture.handle, coreHeld);
    const pipeline = new Pipeline(core, outputs, this.log, {
      decodeBodies: bodyDecoding(cfg),
      observe: metrics && ((jsonl) => metrics.observe(jsonl)),
      shareBudget,
    });

    if (outputs.length === 0) {
      this.log.warn('no output configured: messages are decoded and counted, then discarded', {
        hint: 'set outputUrl, outputStdout or onHttpMessage',
      });
    }
    warnAboutConfig(cfg, this.log);
    // describeConfig never carries the token (only "set") nor the collector URL's query.
    this.log.info('starting', { ...describeConfig(cfg), outputs: outputs.map((o) => o.name) });

    const opts: CaptureOptions = {
      ...(cfg.captureFile !== undefined ? { file: cfg.captureFile } : { interface: cfg.interface }),
      ports: cfg.ports,
      snaplen: LIMITS.capture.snaplen,
      captureBufferBytes: cfg.captureBufferBytes,
      sampleRate: cfg.sampleRate,
      maxConcurrentConnections: cfg.maxConcurrentConnections,
      connectionIdleTimeoutMs: cfg.connectionIdleTimeoutMs,
      maxBufferedBytes: cfg.maxBufferedBytes,
      batchBytes: LIMITS.capture.batchBytes,
      maxQueuedBytes: cfg.captureFile !== undefined ? LIMITS.capture.offlineQueuedBytes : LIMITS.capture.maxQueuedBytes,
      // The pipeline copies a batch into wasm memory during onBatch (or copies it when it must wait),
      // so the shim's warm batch memory can be reused.
      reuseBatches: true,
    };
    let handle: CaptureHandle;
    try {
      handle = capture.start(opts, (batch) => this.onBatch(pipeline, batch), (err) => this.onCaptureEnd(err));
    } catch (e) {
      core.free();
      await metrics?.close();
      throw this.openError(e as CaptureError, capture);
    }
    this.metrics = metrics;
    this.core = core;
    this.outputs = outputs;
    this.pipeline = pipeline;
    this.capture = { addon: capture, handle };
    this.running = true;
    // From here the kernel keeps packets for us: tools (and tests) wait for this line before sending traffic.
    this.log.info('capturing', cfg.captureFile !== undefined ? { captureFile: cfg.captureFile } : { interface: cfg.interface });
    this.statsTimer = setInterval(() => this.log.info('stats', this.stats()), LIMITS.statsIntervalMs);
    this.statsTimer.unref();
    if (cfg.captureFile === undefined) {
      this.lossWatch = new LossWatch(() => this.refreshCaptureStats(), this.log, LIMITS.lossCheckMs, LIMITS.lossWarnEveryMs);
    }
  }

  /** The capture's open errors, in the user's terms: a bad value is a ValidationError naming the field. */
  private openError(e: CaptureError, capture: CaptureAddon): Error {
    if (e.code === 'INTERFACE_NOT_FOUND') {
      let available = e.interfaces;
      if (available === undefined) {
        try {
          available = capture.listInterfaces();
        } catch {
          available = [];
        }
      }
      return new ValidationError(
        'interface',
        `must be an existing interface; "${this.cfg.interface}" does not exist (available: ${available.join(', ') || 'none'})`,
      );
    }
    if (e.code === 'FILE_NOT_FOUND') {
      return new ValidationError('captureFile', `must be an existing file; "${this.cfg.captureFile}" does not exist`);
    }
    const where = this.cfg.captureFile !== undefined ? `file "${this.cfg.captureFile}"` : `interface "${this.cfg.interface}"`;
    // libpcap says "Operation not permitted"; say also what would fix it.
    const hint = /not permitted|permission/i.test(e.message) ? ' (capturing needs root or the NET_RAW capability)' : '';
    const err = new Error(`the capture on ${where} could not open: ${e.message}${hint}`) as CaptureError;
    if (e.code !== undefined) err.code = e.code;
    return err;
  }

  /** An exception here would cross into the addon's thread-safe call and end the process: stop instead. */
  private onBatch(pipeline: Pipeline, batch: Uint8Array): void {
    if (this.pipelineError !== null) return;
    try {
      pipeline.onBatch(batch);
    } catch (e) {
      this.pipelineError = e instanceof Error ? e : new Error(String(e));
      this.log.error('pipeline failure: stopping', { error: this.pipelineError.message });
      void this.stop().catch(() => undefined);
    }
  }

  private onCaptureEnd(err: Error | null): void {
    this.captureEndedYet = true;
    if (this.capture !== undefined) {
      try {
        this.lastCaptureStats = this.capture.addon.stats(this.capture.handle);
      } catch {
        // the figures of the last periodic read stand
      }
    }
    this.captureEnded.resolve();
    if (this.stopPromise === undefined) {
      // The capture ended by itself: the end of a file, or a live capture that failed.
      this.captureError = err;
      if (err !== null) this.log.error('capture ended with an error', { error: err.message, code: (err as CaptureError).code });
      else if (this.cfg.captureFile !== undefined) this.log.info('capture file read to its end', { captureFile: this.cfg.captureFile });
      this.stop().catch(() => undefined); // the failure reaches done()
    } else if (err !== null) {
      this.log.warn('capture reported an error while stopping', { error: err.message });
    }
  }

  private async close(): Promise<void> {
    if (this.startPromise === undefined) {
      this.finished.resolve();
      return;
    }
    try {
      await this.startPromise;
    } catch {
      this.finished.resolve(); // start failed and threw to its caller; nothing is open
      return;
    }
    const deadline = Date.now() + this.cfg.drainTimeoutMs;
    let failure: unknown = null;
    try {
      clearInterval(this.statsTimer);
      this.lossWatch?.stop();
      const capture = this.capture!;
      if (!this.captureEndedYet) {
        capture.addon.stop(capture.handle);
        const timedOut = await withDeadline(this.captureEnded.promise, deadline);
        if (timedOut) this.log.warn('capture did not hand over its last batch before the drain deadline');
      }
      // After a failure the core's state cannot be trusted: deliver what is queued in the outputs only.
      if (this.pipelineError === null) {
        await this.pipeline!.finish(deadline, this.cfg.captureFile !== undefined ? -1 : Date.now() * 1000);
      }
      await Promise.all(this.outputs.map((o) => o.drain(deadline)));
    } catch (e) {
      failure = e;
      this.log.error('stop failed', { error: (e as Error).message ?? String(e) });
    }
    this.running = false;
    this.log.info('stopped', this.stats());
    await this.metrics?.close();
    try {
      this.core?.free();
    } catch {
      // an instance that trapped may trap again; its memory goes with it
    }
    if (failure !== null) this.finished.reject(failure);
    else if (this.pipelineError !== null) this.finished.reject(this.pipelineError);
    else if (this.captureError !== null) this.finished.reject(this.captureError);
    else this.finished.resolve();
    if (failure !== null) throw failure;
  }
}

/** True when `deadline` (a Date.now() time) passed before `p` settled. The timer keeps the process alive. */
async function withDeadline(p: Promise<unknown>, deadline: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(true), Math.max(0, deadline - Date.now()));
  });
  try {
    return await Promise.race([p.then(() => false, () => false), expired]);
  } finally {
    clearTimeout(timer);
  }
}
