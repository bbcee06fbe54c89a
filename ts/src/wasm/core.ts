// The loader of wasm-core (docs/internals.md §2). Uses only WebAssembly, Uint8Array and TextDecoder, so it
// runs in any JS runtime. One CoreModule is one instance of the module; one HttpCore owns one engine
// handle inside it, and many handles share the instance and its single input buffer.

/** The exports the module must provide (docs/internals.md §2). */
interface CoreExports {
  memory: WebAssembly.Memory;
  tsn_input(size: number): number;
  tsn_engine_new(maxBodySize: number, maxBufferedBytes: number, redactPtr: number, redactLen: number): number;
  tsn_engine_feed(handle: number, ptr: number, len: number): number;
  tsn_engine_finish(handle: number, ts: number): void;
  tsn_output_ptr(handle: number): number;
  tsn_output_len(handle: number): number;
  tsn_output_clear(handle: number): void;
  tsn_engine_stats(handle: number): number;
  tsn_engine_free(handle: number): void;
}

const REQUIRED_FUNCTIONS = [
  'tsn_input', 'tsn_engine_new', 'tsn_engine_feed', 'tsn_engine_finish', 'tsn_output_ptr',
  'tsn_output_len', 'tsn_output_clear', 'tsn_engine_stats', 'tsn_engine_free',
] as const;

/**
 * What one feed produced: message JSON texts and log records, in the order the core wrote them. In bytes
 * mode (HttpCore.messagesAsBytes) `messages` stays empty and the messages are `jsonl` instead.
 */
export interface CoreOutput {
  messages: string[];
  logs: CoreLogRecord[];
  /** Bytes mode: the messages as JSON lines (each `\n`-terminated, placement included), copied out of the module. */
  jsonl?: Uint8Array;
  /** Bytes mode: how many messages `jsonl` holds. */
  jsonlCount?: number;
  /** Bytes mode: `M` lines that were not a JSON object's braces, dropped (the engine counts them). */
  unreadable?: number;
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
}

/**
 * How bytes mode finds line ends and copies them out of the module's memory. The default uses only
 * Uint8Array; Node's Buffer (see the engine) is several times faster at both (TypedArray indexOf and set
 * cost more than the core's whole decoding on a large capture).
 */
export interface ByteOps {
  /** A view of `len` bytes at `offset` of `buffer`; its indexOf is used to find newlines. */
  view(buffer: ArrayBuffer, offset: number, len: number): Uint8Array;
  /** Room for `len` bytes; need not be zeroed. */
  alloc(len: number): Uint8Array;
  /** Copies `src[start, end)` into `dst` at `at`. `src` is a `view()`. */
  copy(src: Uint8Array, start: number, end: number, dst: Uint8Array, at: number): void;
}

const PORTABLE_BYTE_OPS: ByteOps = {
  view: (buffer, offset, len) => new Uint8Array(buffer, offset, len),
  alloc: (len) => new Uint8Array(len),
  copy: (src, start, end, dst, at) => dst.set(src.subarray(start, end), at),
};

/** One instance of the module. Its input buffer is shared by every handle (JS is single-threaded). */
export class CoreModule {
  readonly exports: CoreExports;
  private inputPtr = 0;
  private inputCapacity = 0;
  private readonly utf8 = new TextDecoder('utf-8');

  private constructor(exports: CoreExports) {
    this.exports = exports;
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
      const ptr = this.exports.tsn_input(want) >>> 0;
      if (ptr === 0) throw new Error(`wasm-core: out of memory for an input buffer of ${want} bytes`);
      this.inputPtr = ptr;
      this.inputCapacity = want;
    }
    return { ptr: this.inputPtr, bytes: new Uint8Array(this.exports.memory.buffer, this.inputPtr, size) };
  }

  /** A view of `len` bytes at `ptr` in the module's memory. REQUIRES: used before the next call into the module. */
  bytes(ptr: number, len: number): Uint8Array {
    return new Uint8Array(this.exports.memory.buffer, ptr, len);
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

/** One engine handle: feed batches of stream events, collect finished messages. */
export class HttpCore {
  private readonly core: CoreModule;
  private handle: number;
  /** Lines the core wrote that were neither `M` nor `L` (a contract break, counted rather than thrown). */
  unknownRecords = 0;
  /** Bytes mode: what ends each message line (see messagesAsBytes); null in text mode. */
  private suffix: Uint8Array | null = null;
  private suffixEmpty: Uint8Array | null = null;
  /** Bytes mode scratch: [start, end) of each message's text in the output, reused across calls. */
  private spans: number[] = [];
  private ops: ByteOps = PORTABLE_BYTE_OPS;

  constructor(core: CoreModule, options: CoreOptions) {
    this.core = core;
    const redact = new TextEncoder().encode(options.redactHeaders.join(','));
    const { ptr } = core.input(redact.length);
    new Uint8Array(core.exports.memory.buffer, ptr, redact.length).set(redact);
    this.handle = core.exports.tsn_engine_new(options.maxBodySize, options.maxBufferedBytes, ptr, redact.length);
    if (this.handle === 0) throw new Error('wasm-core: tsn_engine_new failed');
  }

  /**
   * Bytes mode: from now on messages come back as one block of JSON lines (`CoreOutput.jsonl`) instead of
   * one string each, with `placementJson` (a JSON object's text) added as the `placement` field. For
   * byte sinks (stdout): no JS string is made for a message at all.
   */
  messagesAsBytes(placementJson?: string, ops: ByteOps = PORTABLE_BYTE_OPS): void {
    this.ops = ops;
    const enc = new TextEncoder();
    const tail = placementJson === undefined ? '}\n' : `"placement":${placementJson}}\n`;
    this.suffix = enc.encode(placementJson === undefined ? tail : `,${tail}`);
    this.suffixEmpty = enc.encode(tail);
  }

  /** Copies a batch of stream events into the module and feeds it. */
  feed(batch: Uint8Array): { status: number; output: CoreOutput } {
    const { ptr, bytes } = this.core.input(batch.length);
    bytes.set(batch);
    return this.feedInput(ptr, batch.length);
  }

  /**
   * Feeds `len` bytes already written at `ptr` (from CoreModule.input): the decoder encodes events
   * straight into the input buffer instead of building a batch and copying it.
   */
  feedInput(ptr: number, len: number): { status: number; output: CoreOutput } {
    const status = this.core.exports.tsn_engine_feed(this.liveHandle(), ptr, len);
    return { status, output: this.takeOutput() };
  }

  /** End of input: every open connection is closed (reason shutdown) at `tsMicros` (negative = unknown). */
  finish(tsMicros: number): CoreOutput {
    this.core.exports.tsn_engine_finish(this.liveHandle(), tsMicros);
    return this.takeOutput();
  }

  stats(): Record<string, unknown> {
    if (this.handle === 0) return {};
    const ptr = this.core.exports.tsn_engine_stats(this.handle) >>> 0;
    if (ptr === 0) return {};
    try {
      return JSON.parse(this.core.cString(ptr)) as Record<string, unknown>;
    } catch {
      return { statsUnreadable: 1 };
    }
  }

  /** Idempotent. */
  free(): void {
    if (this.handle !== 0) this.core.exports.tsn_engine_free(this.handle);
    this.handle = 0;
  }

  get module(): CoreModule {
    return this.core;
  }

  private liveHandle(): number {
    if (this.handle === 0) throw new Error('wasm-core: engine handle used after free');
    return this.handle;
  }

  private takeOutput(): CoreOutput {
    const ex = this.core.exports;
    const len = ex.tsn_output_len(this.handle) >>> 0;
    const output: CoreOutput = { messages: [], logs: [] };
    if (len === 0) return output;
    if (this.suffix !== null) {
      const ptr = ex.tsn_output_ptr(this.handle) >>> 0;
      this.takeBytes(this.ops.view(ex.memory.buffer as ArrayBuffer, ptr, len), len, output);
      ex.tsn_output_clear(this.handle);
      return output;
    }
    const bytes = this.core.bytes(ex.tsn_output_ptr(this.handle) >>> 0, len);
    // Line by line: one string per record. Decoding the whole output into one large string and slicing
    // it was 10-20x slower (a large string is a fresh large-object allocation, page faults included).
    let start = 0;
    while (start < len) {
      let end = bytes.indexOf(0x0a /* \n */, start);
      if (end < 0) end = len;
      const tag = bytes[start];
      if (tag === 0x4d /* M */) {
        output.messages.push(this.core.text(bytes, start + 1, end));
      } else if (tag === 0x4c /* L */) {
        output.logs.push(parseLogRecord(this.core.text(bytes, start + 1, end)));
      } else if (end > start) {
        this.unknownRecords++;
      }
      start = end + 1;
    }
    ex.tsn_output_clear(this.handle);
    return output;
  }

  /**
   * Bytes mode: copies every `M` line's object into one block, its closing brace replaced by the suffix
   * (placement, `}` and newline); `L` lines are parsed as in text mode. Two passes, so the block is
   * allocated once at its exact size.
   */
  private takeBytes(bytes: Uint8Array, len: number, output: CoreOutput): void {
    const suffix = this.suffix!;
    const suffixEmpty = this.suffixEmpty!;
    const spans = this.spans;
    spans.length = 0;
    let total = 0;
    let unreadable = 0;
    let start = 0;
    while (start < len) {
      let end = bytes.indexOf(0x0a /* \n */, start);
      if (end < 0) end = len;
      const tag = bytes[start];
      if (tag === 0x4d /* M */) {
        // The object without its closing brace: bytes[start + 1, end - 1).
        if (end - start < 3 || bytes[start + 1] !== 0x7b /* { */ || bytes[end - 1] !== 0x7d /* } */) {
          unreadable++;
        } else {
          spans.push(start + 1, end - 1);
          total += end - start - 2 + (end - start === 3 ? suffixEmpty.length : suffix.length);
        }
      } else if (tag === 0x4c /* L */) {
        output.logs.push(parseLogRecord(this.core.text(bytes, start + 1, end)));
      } else if (end > start) {
        this.unknownRecords++;
      }
      start = end + 1;
    }
    output.unreadable = unreadable;
    output.jsonlCount = spans.length / 2;
    if (spans.length === 0) return;
    const ops = this.ops;
    const jsonl = ops.alloc(total);
    let pos = 0;
    for (let i = 0; i < spans.length; i += 2) {
      const s = spans[i]!;
      const e = spans[i + 1]!;
      ops.copy(bytes, s, e, jsonl, pos);
      pos += e - s;
      const tail = e - s === 1 ? suffixEmpty : suffix;
      for (let j = 0; j < tail.length; j++) jsonl[pos + j] = tail[j]!;
      pos += tail.length;
    }
    output.jsonl = jsonl;
  }
}

function parseLogRecord(json: string): CoreLogRecord {
  try {
    const rec = JSON.parse(json) as CoreLogRecord;
    if (typeof rec.message === 'string' && ['debug', 'info', 'warn', 'error'].includes(rec.level)) return rec;
  } catch {
    // fall through: reported as an unreadable record below
  }
  return { level: 'warn', message: 'wasm-core wrote an unreadable log record', length: json.length };
}

/**
 * The contract says the module needs no imports, but toolchains add a few (e.g. a memory-growth
 * notification). Every listed function import gets a no-op returning 0; anything else cannot be faked.
 */
function stubImports(module: WebAssembly.Module): WebAssembly.Imports {
  const imports: Record<string, Record<string, WebAssembly.ImportValue>> = {};
  for (const imp of WebAssembly.Module.imports(module)) {
    if (imp.kind !== 'function') {
      throw new Error(`wasm-core: unsupported import ${imp.module}.${imp.name} (${imp.kind})`);
    }
    (imports[imp.module] ??= {})[imp.name] = () => 0;
  }
  return imports;
}

function checkExports(exports: WebAssembly.Exports): CoreExports {
  if (!(exports.memory instanceof WebAssembly.Memory)) throw new Error('wasm-core: module exports no memory');
  for (const name of REQUIRED_FUNCTIONS) {
    if (typeof exports[name] !== 'function') throw new Error(`wasm-core: module does not export ${name}`);
  }
  return exports as unknown as CoreExports;
}
