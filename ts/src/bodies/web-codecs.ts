// Decompressors of the web platform, for runtimes without zlib (browsers): DecompressionStream for gzip
// and deflate (and zstd where the browser has it), brotli-dec-wasm for brotli, which
// DecompressionStream does not offer everywhere. The brotli module is compiled on first use only.
import { BrotliDecStream, BrotliStreamResultCode, initSync } from 'brotli-dec-wasm/web';
// esbuild's binary loader makes the default export the file's bytes (the package types the module's exports).
import * as brotliWasmImport from 'brotli-dec-wasm/web/bg.wasm';
import { streamSupports } from './codecs.js';
import { wholeFramesOnly } from './zstd-frame.js';
import { isZlibWrapped, type Codecs, type Inflate, type InflateEnd, type InflateResult } from './inflate.js';

/** Input is written in pieces this small: deflate expands at most 1032:1, so one step yields at most ~2 MiB. */
const PIECE = 2048;
/** Output asked of brotli per call. */
const BROTLI_OUT = 65536;

function streamInflate(format: string): Inflate {
  return async (input, limit) => {
    const ds = new DecompressionStream(format as CompressionFormat);
    const writer = ds.writable.getWriter();
    const reader = ds.readable.getReader();
    const chunks: Uint8Array[] = [];
    let size = 0;
    let stopped = false;
    const reading = (async (): Promise<InflateEnd | null> => {
      for (;;) {
        const r = await reader.read();
        if (r.done) return 'complete';
        chunks.push(r.value);
        size += r.value.length;
        if (size > limit) {
          stopped = true;
          void reader.cancel().catch(() => undefined);
          return 'limit';
        }
      }
    })().catch(() => null);
    let end: InflateEnd | undefined;
    let detail: string | undefined;
    try {
      for (let at = 0; at < input.length && !stopped; at += PIECE) await writer.write(input.slice(at, at + PIECE));
      // A write waits while the readable side holds output nobody has read, so once this empty write is
      // through, every decoded byte has been read: the error that close() raises on a cut stream (which
      // discards unread output) can no longer take any.
      if (!stopped) await writer.write(new Uint8Array(0));
    } catch (e) {
      if (!stopped) (end = 'corrupt'), (detail = String((e as Error)?.message ?? e));
    }
    if (end === undefined && !stopped) {
      try {
        await writer.close();
      } catch (e) {
        if (!stopped) (end = 'truncated'), (detail = String((e as Error)?.message ?? e));
      }
    }
    const read = await reading;
    if (end === undefined) end = read ?? 'corrupt';
    else void writer.abort().catch(() => undefined);
    return result(chunks, size, end, detail);
  };
}

function result(chunks: Uint8Array[], size: number, end: InflateEnd, detail?: string): InflateResult {
  return detail === undefined ? { chunks, size, end } : { chunks, size, end, detail };
}

let brotliReady = false;

const brotli: Inflate = async (input, limit) => {
  if (!brotliReady) {
    initSync({ module: (brotliWasmImport as unknown as { default: Uint8Array<ArrayBuffer> }).default });
    brotliReady = true;
  }
  const s = new BrotliDecStream();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let at = 0;
  try {
    for (;;) {
      const r = s.dec(input.subarray(at), BROTLI_OUT);
      const code = r.code;
      chunks.push(r.buf);
      size += r.buf.length;
      at += r.input_offset;
      r.free();
      if (size > limit) return result(chunks, size, 'limit');
      if (code === BrotliStreamResultCode.ResultSuccess) return result(chunks, size, 'complete');
      if (code === BrotliStreamResultCode.NeedsMoreInput) return result(chunks, size, 'truncated', 'unexpected end of file');
    }
  } catch (e) {
    return result(chunks, size, 'corrupt', `brotli: ${String((e as Error)?.message ?? e)}`);
  } finally {
    s.free();
  }
};

let codecs: Codecs | undefined;

export function webCodecs(): Codecs {
  if (codecs !== undefined) return codecs;
  const inflate = streamInflate('deflate');
  const inflateRaw = streamInflate('deflate-raw');
  codecs = {
    name: 'web',
    gzip: streamInflate('gzip'),
    deflate: (input, limit) => (isZlibWrapped(input) ? inflate : inflateRaw)(input, limit),
    br: brotli,
    ...(streamSupports('zstd') ? { zstd: wholeFramesOnly(streamInflate('zstd')) } : {}),
  };
  return codecs;
}
