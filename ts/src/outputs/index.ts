// Where messages go. Every output receives the same redacted messages as the same JSON lines; none may
// block, crash or starve another, and each bounds its own memory and counts every message it drops.

import type { ResolvedConfig } from '../config.js';
import type { Logger } from '../log.js';
import { CallbackOutput } from './callback.js';
import { HarFileOutput, type HarFileOutputOptions } from './har-file.js';
import type { HttpsOutputOptions } from './https.js';
import { STDOUT_FD, stdoutIsFile } from './stdout-fd.js';
import { StdoutOutput, type StdoutOutputOptions } from './stdout.js';

export interface Output {
  readonly name: string;
  /**
   * Hands over `count` messages: `jsonl` is their JSON lines, UTF-8, each `\n`-terminated, placement
   * included (docs/internals.md §4). `jsonl` is the HTTP core's own memory, valid until this returns and
   * until the next call into the core: an output that keeps the bytes longer copies them, and one that
   * runs code that may call into the sniffer (the user's callback) reads them all first. Never throws; a
   * message the output cannot take is dropped and counted.
   */
  deliver(jsonl: Uint8Array, count: number): void;
  /**
   * Non-null while the output is backpressured: the caller stops feeding until it resolves. Stdout always;
   * the collector only when reading a capture file (live, it drops instead of starving the others).
   */
  ready(): Promise<void> | null;
  /**
   * Waits until everything accepted is delivered, or until `deadlineMs` — an absolute time in
   * `Date.now()` milliseconds — then drops (counts and logs) what is left and releases its resources.
   * Never rejects.
   */
  drain(deadlineMs: number): Promise<void>;
  /** Counters; every output has at least `delivered`, `failed` and `dropped`. */
  stats(): Record<string, number>;
}

/** Test and embedding hooks; production code passes none. */
export interface OutputDeps {
  https?: Partial<HttpsOutputOptions>;
  stdout?: Partial<StdoutOutputOptions>;
  har?: Partial<HarFileOutputOptions>;
}

/** The outputs `cfg` asks for, in delivery order: collector, stdout, then the user's callback. */
export async function createOutputs(cfg: ResolvedConfig, log: Logger, deps: OutputDeps = {}): Promise<Output[]> {
  const outputs: Output[] = [];
  if (cfg.outputUrl) {
    // Loaded only when asked for: Node's HTTP client and TLS cost every run start-up time otherwise
    // (docs/performance.md, "Start-up").
    const { HttpsOutput } = await import('./https.js');
    outputs.push(new HttpsOutput(cfg.outputUrl, cfg.outputUrlAuthToken, log, {
      waitWhenFull: cfg.captureFile !== undefined,
      ...deps.https,
    }));
  }
  if (cfg.outputStdout) {
    // Reading a file, stdout blocks: a slow reader then slows the file reader instead of losing messages.
    // Live, stdout redirected to a regular file is written directly too (it never waits on a reader).
    const mode = cfg.captureFile !== undefined || stdoutIsFile() ? { fd: STDOUT_FD } : {};
    outputs.push(new StdoutOutput(log, { ...mode, ...deps.stdout }));
  }
  if (cfg.outputHar !== undefined) outputs.push(new HarFileOutput(cfg.outputHar, log, deps.har));
  // Last, so a slow synchronous callback delays the others' hand-over of this message by nothing.
  if (cfg.onHttpMessage) outputs.push(new CallbackOutput(cfg.onHttpMessage, log));
  return outputs;
}

export { CallbackOutput, HarFileOutput, StdoutOutput };
