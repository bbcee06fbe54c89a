// The loader of http-core (docs/internals.md §2). Uses only WebAssembly, Uint8Array and TextDecoder, so it
// runs in any JS runtime. One CoreModule is one instance of the module; one HttpCore owns one engine
// handle inside it, and many handles share the instance and its single input buffer.
import type { Placement } from '../types.js';

/** The exports the module must provide (docs/internals.md §2). */
interface CoreExports {
  memory: WebAssembly.Memory;
  http_core_input(size: number): number;
  http_core_engine_new(maxBodySize: number, maxBufferedBytes: number, redactPtr: number, redactLen: number): number;
  http_core_engine_configure(handle: number, option: number, ptr: number, len: number): number;
  http_core_engine_feed(handle: number, ptr: number, len: number): number;
  http_core_engine_finish(handle: number, ts: number): void;
  http_core_output_ptr(handle: number): number;
  http_core_output_len(handle: number): number;
  http_core_output_count(handle: number): number;
  http_core_records_ptr(handle: number): number;
  http_core_records_len(handle: number): number;
  http_core_output_clear(handle: number): void;
  http_core_engine_stats(handle: number): number;
  http_core_redact_body(handle: number, typePtr: number, typeLen: number, bodyPtr: number, bodyLen: number, cut: number): number;
  http_core_redacted_ptr(): number;
  http_core_engine_free(handle: number): void;
  http_core_engine_balance(handle: number, otherHeldBytes: number): number;
}

const REQUIRED_FUNCTIONS = [
  'http_core_input', 'http_core_engine_new', 'http_core_engine_configure', 'http_core_engine_feed', 'http_core_engine_finish', 'http_core_output_ptr',
  'http_core_output_len', 'http_core_output_count', 'http_core_records_ptr', 'http_core_records_len', 'http_core_output_clear', 'http_core_engine_stats', 'http_core_engine_free',
  'http_core_engine_balance', 'http_core_redact_body', 'http_core_redacted_ptr',
] as const;

/**
 * What one feed (or finish) produced, in the order the core wrote it: its messages as one block of JSON
 * lines and its log records.
 */
export interface CoreOutput {
  /**
   * The messages, each a JSON object with `placement` (when one was given), `\n`-terminated, UTF-8, as
   * the core wrote them: a view of the module's own memory, not a copy (a copy per feed cost a memmove of
   * every message and the first touch of the block it went to: docs/performance.md). Valid only until
   * the delivery callback returns and until any other call into the module (a call can move the memory):
   * a reader that keeps the bytes, or that runs code that may call into the core before it is done with
   * them, copies them first.
   */
  jsonl: Uint8Array;
  /** How many messages `jsonl` holds. */
  count: number;
  logs: CoreLogRecord[];
}

export interface CoreLogRecord {
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
  [field: string]: unknown;
}

export interface CoreOptions {
  maxBodySize: number;
  maxBufferedBytes: number;
  /** Lower-case header names; empty = no redaction. */
  redactHeaders: string[];
  /** Added to every message as its `placement` field. */
  placement?: Placement;
  /** Lower-case query parameter names; empty or absent = none. */
  redactQueryParams?: string[];
  /** Lower-case JSON and form body field names; empty or absent = none. */
  redactBodyFields?: string[];
  /** Exchange filters: compiled patterns (ts/src/url-pattern.ts) and upper-case methods. */
  filters?: {
    allowUrl?: Uint8Array;
    disallowUrl?: Uint8Array;
    allowHost?: Uint8Array;
    allowMethods?: string[];
  };
}

/** Receives what a feed (or finish) produced, while its bytes are valid (CoreOutput.jsonl). */
export type OutputReader = (output: CoreOutput) => void;

const NO_BYTES = new Uint8Array(0);
const WASM_PAGE_BYTES = 65536;
/** The module's -sMAXIMUM_MEMORY (http-core/CMakeLists.txt). */
const MAX_MEMORY_BYTES = 2 ** 31;
/** Besides what maxBufferedBytes lets the core hold: connection state, the output, the input buffer. */
const RESERVE_BESIDES_BUDGET = 64 * 1024 * 1024;
/**
 * Up to this size the loader grows the memory by doubling it (keepAhead): 4, 8, then 16 MiB cost V8 no
 * collection (32 would: V8 counts the old sizes too until it collects); the next growth goes to the whole
 * reserve at once.
 */
const SMALL_MEMORY_BYTES = 16 * 1024 * 1024;

/** One instance of the module. Its input buffer is shared by every handle (JS is single-threaded). */
export class CoreModule {
  readonly exports: CoreExports;
  private inputPtr = 0;
  private inputCapacity = 0;
  private readonly utf8 = new TextDecoder('utf-8');
  /** The most the loader grows the memory to (reserve). */
  private ceiling = 0;
  /** The memory's size when the loader last looked (keepAhead). */
  private grownTo: number;

  private constructor(exports: CoreExports) {
    this.exports = exports;
    this.grownTo = exports.memory.buffer.byteLength;
  }

  /** Compiles (when given bytes) and instantiates the module. Imports the module lists are stubbed. */
  static async instantiate(source: BufferSource | WebAssembly.Module): Promise<CoreModule> {
    const module = source instanceof WebAssembly.Module ? source : await WebAssembly.compile(source);
    const instance = await WebAssembly.instantiate(module, stubImports(module));
    // A module built without an entry point (a WASI "reactor") runs its static constructors here.
    const init = instance.exports._initialize;
    if (typeof init === 'function') (init as () => void)();
    return new CoreModule(checkExports(instance.exports));
  }

  /**
   * A view of the module's input buffer with room for `size` bytes. The buffer is grown only when too
   * small. REQUIRES: the view is used before the next call into the module (memory growth detaches it).
   */
  input(size: number): { ptr: number; bytes: Uint8Array } {
    if (size > this.inputCapacity || this.inputPtr === 0) {
      // Grow geometrically so that a stream of slightly larger batches does not reallocate each time.
      const want = Math.max(size, Math.min(this.inputCapacity * 2, 0x7fffffff), 64 * 1024);
      // Pointers come back as signed i32; >>> 0 reads them as the u32 offsets they are.
      const ptr = this.exports.http_core_input(want) >>> 0;
      this.keepAhead();
      if (ptr === 0) throw new Error(`http-core: out of memory for an input buffer of ${want} bytes`);
      this.inputPtr = ptr;
      this.inputCapacity = want;
    }
    return { ptr: this.inputPtr, bytes: new Uint8Array(this.exports.memory.buffer, this.inputPtr, size) };
  }

  /**
   * Lets the loader grow the module's memory ahead of the module, up to `bytes` in all (capped at its
   * 2 GiB maximum). Left to itself the module grows it a few pages at a time, and past a few tens of MiB
   * each growth costs V8 a garbage collection: holding 128 MiB of partial messages took 2.5x the CPU of
   * decoding them (docs/performance.md, "One budget"). Grown to `bytes` at once, as the loader did, the
   * growth itself costs a full collection at start-up, and on a live capture that collection arms V8's
   * memory reducer, whose second one then falls in the traffic; most captures never need more than a few
   * MiB (docs/performance.md, "The core's memory, grown as needed"). So the loader grows it only once the
   * module has grown it itself (keepAhead): doubled while small, which costs no collection, then to
   * `bytes` in one step. Pages grown and never written are not resident either way.
   */
  reserve(bytes: number): void {
    this.ceiling = Math.max(this.ceiling, Math.min(bytes, MAX_MEMORY_BYTES));
  }

  /**
   * After a call into the module: when the module grew its memory itself, doubles it up to
   * SMALL_MEMORY_BYTES, and past that grows it to the reserve. A runtime that refuses (a small browser
   * tab) leaves the module growing page by page.
   */
  keepAhead(): void {
    const memory = this.exports.memory;
    const have = memory.buffer.byteLength;
    if (have <= this.grownTo) return;
    this.grownTo = have;
    const want = Math.min(have < SMALL_MEMORY_BYTES ? Math.min(2 * have, SMALL_MEMORY_BYTES) : MAX_MEMORY_BYTES, this.ceiling);
    if (want <= have) return;
    try {
      memory.grow(Math.ceil((want - have) / WASM_PAGE_BYTES));
      this.grownTo = memory.buffer.byteLength;
    } catch {
      // RangeError: not now; the module grows as it needs
    }
  }

  /** UTF-8 text of `bytes[start, end)`. */
  text(bytes: Uint8Array, start: number, end: number): string {
    return this.utf8.decode(bytes.subarray(start, end));
  }

  /** A NUL-terminated string at `ptr`. */
  cString(ptr: number): string {
    const mem = new Uint8Array(this.exports.memory.buffer);
    let end = ptr;
    while (end < mem.length && mem[end] !== 0) end++;
    return this.utf8.decode(mem.subarray(ptr, end));
  }
}

/** One engine handle (http-core's connection table): feed batches of stream events, collect finished messages. */
export class HttpCore {
  private readonly core: CoreModule;
  private handle: number;
  constructor(core: CoreModule, options: CoreOptions) {
    this.core = core;
    const enc = new TextEncoder();
    const redact = enc.encode(options.redactHeaders.join(','));
    const { ptr } = core.input(redact.length);
    new Uint8Array(core.exports.memory.buffer, ptr, redact.length).set(redact);
    // The ABI takes a u32: a larger value would wrap. Validation bounds it well below (config.ts
    // INTEGER_LIMITS); this refuses a caller that skipped validation rather than keep other bodies.
    if (!Number.isInteger(options.maxBodySize) || options.maxBodySize < 0 || options.maxBodySize > 0xffffffff) {
      throw new RangeError(`http-core: maxBodySize ${options.maxBodySize} does not fit the core's u32`);
    }
    this.handle = core.exports.http_core_engine_new(options.maxBodySize, options.maxBufferedBytes, ptr, redact.length);
    if (this.handle !== 0) core.reserve(options.maxBufferedBytes + RESERVE_BESIDES_BUDGET);
    if (this.handle === 0) throw new Error('http-core: http_core_engine_new failed');
    const f = options.filters ?? {};
    const text = (names: string[] | undefined): Uint8Array | undefined => (names?.length ? enc.encode(names.join(',')) : undefined);
    // Option numbers: Engine::Option in http-core/engine.h.
    const rules: Array<[number, Uint8Array | undefined]> = [
      [1, text(options.redactQueryParams)], [2, text(options.redactBodyFields)],
      [3, f.allowUrl], [4, f.disallowUrl], [5, f.allowHost], [6, text(f.allowMethods)],
      // The core writes placement into every message itself: the one place it is added (docs/internals.md §2).
      [7, options.placement === undefined ? undefined : enc.encode(JSON.stringify(options.placement))],
    ];
    for (const [option, value] of rules) {
      if (value === undefined) continue;
      const input = core.input(value.length);
      new Uint8Array(core.exports.memory.buffer, input.ptr, value.length).set(value);
      // The TS layer validated every value: a refusal is a contract break, not a user error.
      if (core.exports.http_core_engine_configure(this.handle, option, input.ptr, value.length) !== 0) {
        core.exports.http_core_engine_free(this.handle);
        this.handle = 0;
        throw new Error(`http-core: http_core_engine_configure refused option ${option}`);
      }
    }
  }

  /**
   * Copies a batch of stream events into the module and feeds it; `read` gets what it produced. Returns
   * the core's status (negative: the batch was malformed from there on).
   */
  feed(batch: Uint8Array, read: OutputReader): number {
    const { ptr, bytes } = this.core.input(batch.length);
    bytes.set(batch);
    return this.feedInput(ptr, batch.length, read);
  }

  /**
   * Feeds `len` bytes already written at `ptr` (from CoreModule.input): the decoder encodes events
   * straight into the input buffer instead of building a batch and copying it.
   */
  feedInput(ptr: number, len: number, read: OutputReader): number {
    const status = this.core.exports.http_core_engine_feed(this.liveHandle(), ptr, len);
    this.core.keepAhead();
    this.handOutput(read);
    return status;
  }

  /** End of input: every open connection is closed (reason shutdown) at `tsMicros` (negative = unknown). */
  finish(tsMicros: number, read: OutputReader): void {
    this.core.exports.http_core_engine_finish(this.liveHandle(), tsMicros);
    this.core.keepAhead();
    this.handOutput(read);
  }

  /**
   * maxBufferedBytes is one budget over the capture's reassembly and the core (docs/internals.md §6):
   * the capture holds `otherHeldBytes`, so the core's share is the rest, enforced now (its largest
   * holders are cut). Returns what the core holds afterwards.
   */
  balance(otherHeldBytes: number): number {
    const held = this.core.exports.http_core_engine_balance(this.liveHandle(), otherHeldBytes);
    this.core.keepAhead();
    if (held < 0) throw new Error(`http-core: http_core_engine_balance refused ${otherHeldBytes}`);
    return held;
  }

  /** The core's counters. */
  stats(): Record<string, unknown> {
    if (this.handle === 0) return {};
    const ptr = this.core.exports.http_core_engine_stats(this.handle) >>> 0;
    this.core.keepAhead();
    if (ptr === 0) return {};
    try {
      return JSON.parse(this.core.cString(ptr)) as Record<string, unknown>;
    } catch {
      return { statsUnreadable: 1 };
    }
  }

  /**
   * A body decoded after the core (its Content-Encoding removed) through the engine's body-field
   * redaction, with the same rules and counters as a body the core read: the redacted bytes, or null
   * when nothing was replaced. `cut`: the body was cut short.
   */
  redactBody(contentType: string, body: Uint8Array, cut: boolean): Uint8Array | null {
    const handle = this.liveHandle();
    const type = new TextEncoder().encode(contentType);
    const { ptr, bytes } = this.core.input(type.length + body.length);
    bytes.set(type);
    bytes.set(body, type.length);
    const ex = this.core.exports;
    const len = ex.http_core_redact_body(handle, ptr, type.length, ptr + type.length, body.length, cut ? 1 : 0);
    this.core.keepAhead();
    if (len < 0) throw new Error('http-core: http_core_redact_body refused its arguments');
    if (len === 0) return null;
    return new Uint8Array(ex.memory.buffer, ex.http_core_redacted_ptr() >>> 0, len).slice();
  }

  /** Idempotent. */
  free(): void {
    if (this.handle !== 0) this.core.exports.http_core_engine_free(this.handle);
    this.handle = 0;
  }

  private liveHandle(): number {
    if (this.handle === 0) throw new Error('http-core: engine handle used after free');
    return this.handle;
  }

  /**
   * What the core wrote since the last clear, to `read`: its message lines, final as they are (placement
   * included), as a view of the module's memory, and its log records parsed. Cleared only after `read`
   * returns: the clear may free the block.
   */
  private handOutput(read: OutputReader): void {
    const ex = this.core.exports;
    const h = this.handle;
    const output: CoreOutput = { jsonl: NO_BYTES, count: 0, logs: [] };
    const recordsLen = ex.http_core_records_len(h) >>> 0;
    if (recordsLen > 0) {
      const text = this.core.text(new Uint8Array(ex.memory.buffer, ex.http_core_records_ptr(h) >>> 0, recordsLen), 0, recordsLen);
      for (const line of text.split('\n')) if (line !== '') output.logs.push(parseLogRecord(line));
    }
    const len = ex.http_core_output_len(h) >>> 0;
    if (len > 0) {
      output.jsonl = new Uint8Array(ex.memory.buffer, ex.http_core_output_ptr(h) >>> 0, len);
      output.count = ex.http_core_output_count(h) >>> 0;
    }
    try {
      read(output);
    } finally {
      ex.http_core_output_clear(h);
    }
  }
}

function parseLogRecord(json: string): CoreLogRecord {
  try {
    const rec = JSON.parse(json) as CoreLogRecord;
    if (typeof rec.message === 'string' && ['debug', 'info', 'warn', 'error'].includes(rec.level)) return rec;
  } catch {
    // fall through: reported as an unreadable record below
  }
  return { level: 'warn', message: 'http-core wrote an unreadable log record', length: json.length };
}

/**
 * The contract says the module needs no imports, but toolchains add a few (e.g. a memory-growth
 * notification). Every listed function import gets a no-op returning 0; anything else cannot be faked.
 */
function stubImports(module: WebAssembly.Module): WebAssembly.Imports {
  const imports: Record<string, Record<string, WebAssembly.ImportValue>> = {};
  for (const imp of WebAssembly.Module.imports(module)) {
    if (imp.kind !== 'function') {
      throw new Error(`http-core: unsupported import ${imp.module}.${imp.name} (${imp.kind})`);
    }
    (imports[imp.module] ??= {})[imp.name] = () => 0;
  }
  return imports;
}

function checkExports(exports: WebAssembly.Exports): CoreExports {
  if (!(exports.memory instanceof WebAssembly.Memory)) throw new Error('http-core: module exports no memory');
  for (const name of REQUIRED_FUNCTIONS) {
    if (typeof exports[name] !== 'function') throw new Error(`http-core: module does not export ${name}`);
  }
  return exports as unknown as CoreExports;
}
