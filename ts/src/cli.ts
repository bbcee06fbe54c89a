// The tcp-sniffer bin and container entrypoint (docs/configuration.md, docs/architecture.md). stdout carries only messages (and
// --help / --version text when asked); logs go to stderr. Exit: 0 clean stop, 1 configuration error,
// 2 runtime error.
import { statSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { helpText, OPTIONS, parseCommandLine } from './command-line.js';
import { ValidationError } from './config.js';
import { createLogger, type Logger } from './log.js';
import { createSnifferWith } from './sniffer.js';
import { compileEmbeddedModuleNow } from './wasm/embedded.js';
import { writeAll } from './outputs/stdout-fd.js';
import { readTcpflowDirectory } from './tcpflow-reader.js';
import type { SnifferConfig } from './types.js';

declare const __TCP_SNIFFER_VERSION__: string;

const STDERR_FD = 2;
/** Capture files larger than this are decoded with V8's optimising tier (compileWasmForFile). */
const OPTIMISE_OFFLINE_FROM_BYTES = 512 * 1024 * 1024;

async function main(argv: string[], env: Record<string, string | undefined>): Promise<number> {
  let log: Logger = createLogger({ secrets: secretsOf(env), write: writeStderr });
  let parsed: ReturnType<typeof parseCommandLine>;
  try {
    parsed = parseCommandLine(argv, env);
  } catch (e) {
    return failure(log, e);
  }
  if (parsed.help) {
    await writeOut(helpText());
    return 0;
  }
  if (parsed.version) {
    await writeOut(`${__TCP_SNIFFER_VERSION__}\n`);
    return 0;
  }
  log = createLogger({ level: parsed.logLevel, write: writeStderr, secrets: [...secretsOf(env), ...(parsed.config.outputUrlAuthToken ? [parsed.config.outputUrlAuthToken] : [])] });
  try {
    if (parsed.readTcpflow !== undefined) {
      await readTcpflowDirectory(parsed.readTcpflow, parsed.config, env, log);
      return 0;
    }
    return await runSniffer(parsed.config, env, log);
  } catch (e) {
    return failure(log, e instanceof ValidationError ? inCliTerms(e, argv, env) : e);
  }
}

/** Errors found past parsing (an interface or a file that does not exist) name the flag or variable used. */
function inCliTerms(e: ValidationError, argv: string[], env: Record<string, string | undefined>): ValidationError {
  const spec = OPTIONS.find((o) => o.key === e.field);
  if (spec === undefined) return e;
  if (spec.flag && argv.some((a) => a === spec.flag || a.startsWith(`${spec.flag}=`))) return e.renamed(spec.flag);
  if (spec.env !== undefined && env[spec.env] !== undefined) return e.renamed(spec.env);
  return spec.flag ? e.renamed(spec.flag) : e;
}

async function runSniffer(config: SnifferConfig, env: Record<string, string | undefined>, log: Logger): Promise<number> {
  if (config.captureFile === undefined) {
    compileWasmAhead();
  } else {
    compileWasmForFile(config.captureFile);
  }
  const sniffer = createSnifferWith(config, { logger: log, env });
  const onSignal = (signal: NodeJS.Signals): void => {
    log.info('signal received, stopping', { signal });
    sniffer.stop().catch(() => undefined); // the failure reaches done() below
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  await sniffer.start();
  await sniffer.done();
  return 0;
}

/**
 * Live, the HTTP core is compiled by V8's optimising tier before the capture opens. By default V8 runs a
 * module's baseline code first and recompiles hot functions in the background; llhttp's state machine is one
 * ~34 KB function whose recompilation takes 1-3 CPU seconds, in the first seconds of traffic: the baseline
 * code is slow while the compiler holds the second core, the JS thread falls behind and the capture sheds
 * (docs/performance.md, "Live capture: where the CPU went"). Offline: compileWasmForFile. The flags are
 * V8's own and concern WebAssembly only; the CLI owns its process, so they are set here and not in the
 * library, and only for this one synchronous compile (an asynchronous WebAssembly.compile under them never
 * settles in Node 24).
 */
function compileWasmAhead(): void {
  limitWasmCompileMemory();
  compileWasmUnder(['--no-liftoff', '--no-wasm-lazy-compilation']);
}

/**
 * The optimised compile of llhttp's state machine (one ~34 KB function) sets the sidecar's peak RSS: its
 * compiler zone grows with the graph, and loop unrolling (V8 11, Node 20) or wasm-into-wasm inlining (on
 * by default in V8 13, Node 24; off in V8 11) multiply the graph. Without them the idle peak is 19 MiB
 * lower on Node 20 and 13 MiB lower on Node 24, for no measurable loss of the core's speed on Node 20 and
 * about 3% on Node 24 (docs/performance.md, "Live capture: the start-up compile's peak memory"). Left
 * set for the process's life (not put back like compileWasmUnder's): the default differs between V8s, and
 * any later optimised wasm compile here is better off the same way.
 */
function limitWasmCompileMemory(): void {
  setFlagsFromString('--no-wasm-loop-unrolling');
  setFlagsFromString('--no-wasm-inlining');
}

/**
 * Reading a file, the HTTP core runs V8's baseline code (Liftoff) only, unless the file is large. The
 * optimising tier's recompile of llhttp's state machine costs 0.5-1 CPU s (more than the whole decode of
 * the benchmark's 35 MB captures) and saves about a third of the core's CPU per MB after it: it pays back
 * only past a few hundred MB of message-dense capture (docs/performance.md, "Offline comparison"). A file
 * that cannot be read is left to the capture to report. `--liftoff-only` on Node's command line also turns
 * off tier-up (V8's implications of the flag), but setFlagsFromString applies no implications, and V8 13
 * (Node 24) checks the two tier-up flags when a function's tiering budget runs out, during the read: they
 * are turned off by name and stay off (docs/performance.md, "Offline on Node 24: the core stays on Liftoff").
 */
function compileWasmForFile(path: string): void {
  let size: number;
  try {
    size = statSync(path).size;
  } catch {
    return;
  }
  if (size > OPTIMISE_OFFLINE_FROM_BYTES) return;
  setFlagsFromString('--no-wasm-tier-up');
  setFlagsFromString('--no-wasm-dynamic-tiering');
  compileWasmUnder(['--liftoff-only']);
}

/** Compiles the HTTP core now under V8 `flags` (each `--x` or `--no-x`), then sets each back to its opposite. */
function compileWasmUnder(flags: readonly string[]): void {
  for (const flag of flags) setFlagsFromString(flag);
  try {
    compileEmbeddedModuleNow();
  } finally {
    for (const flag of flags) setFlagsFromString(flag.startsWith('--no-') ? `--${flag.slice(5)}` : `--no-${flag.slice(2)}`);
  }
}

/**
 * A log line to stderr's descriptor, at once: process.stderr would make Node build a stream around the
 * descriptor first (a net.Socket for a pipe), 1-2 ms of every start, for what is a synchronous write on
 * Linux anyway (docs/performance.md, "Offline: start-up, again").
 */
function writeStderr(line: string): void {
  writeAll(STDERR_FD, Buffer.from(line + '\n'));
}

function secretsOf(env: Record<string, string | undefined>): string[] {
  return env.OUTPUT_URL_AUTH_TOKEN ? [env.OUTPUT_URL_AUTH_TOKEN] : [];
}

function failure(log: Logger, e: unknown): number {
  if (e instanceof ValidationError) {
    log.error(e.message, { field: e.field, rule: e.rule });
    return 1;
  }
  const err = e as Error & { code?: string };
  log.error(err?.message ?? String(e), err?.code !== undefined ? { code: err.code } : {});
  return 2;
}

function writeOut(text: string): Promise<void> {
  return new Promise((resolve) => process.stdout.write(text, () => resolve()));
}

/** Exits once everything written to stdout has been handed to the OS. */
function exit(code: number): void {
  process.exitCode = code;
  process.stdout.write('', () => process.exit(code));
}

main(process.argv.slice(2), process.env).then(exit, (e) => {
  process.stderr.write(`tcp-sniffer: ${(e as Error)?.stack ?? String(e)}\n`);
  exit(2);
});

