// The decompressors decoded bodies use: the runtime's own where it has one (Node's zlib, which Bun and
// Deno also provide; DecompressionStream in browsers), brotli-dec-wasm where a browser lacks brotli
// (docs/bodies-and-har.md says why that library). Each stops once it has more than `limit` bytes, so
// a decompression bomb costs at most `limit` bytes and the work to produce them.
// No Node built-in is imported: the decoder bundle is platform neutral, so zlib is looked up at run time.
import { isZlibWrapped, type Codecs, type Inflate, type InflateEnd } from './inflate.js';
import { wholeFramesOnly } from './zstd-frame.js';

interface ZlibStream {
  on(event: 'data', fn: (chunk: Uint8Array) => void): void;
  on(event: 'end', fn: () => void): void;
  on(event: 'error', fn: (e: Error & { code?: string }) => void): void;
  write(chunk: Uint8Array): void;
  end(): void;
  destroy(): void;
}
type ZlibFactory = () => ZlibStream;
type ZlibSync = (input: Uint8Array, options: { maxOutputLength: number }) => Uint8Array;
interface ZlibModule {
  createGunzip: ZlibFactory;
  createInflate: ZlibFactory;
  createInflateRaw: ZlibFactory;
  createBrotliDecompress: ZlibFactory;
  createZstdDecompress?: ZlibFactory;
  gunzipSync: ZlibSync;
  inflateSync: ZlibSync;
  inflateRawSync: ZlibSync;
  brotliDecompressSync: ZlibSync;
  zstdDecompressSync?: ZlibSync;
}

/** Node's zlib (Node, Bun, Deno), through process.getBuiltinModule; null where there is none. */
export function runtimeZlib(): ZlibModule | null {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  try {
    const z = proc?.getBuiltinModule?.('node:zlib') as ZlibModule | undefined;
    return z !== undefined && typeof z.createGunzip === 'function' ? z : null;
  } catch {
    return null;
  }
}

/**
 * A whole body within `limit` decodes in one synchronous call (a stream per body cost five times the CPU:
 * docs/performance.md, "Decoded bodies"). Anything else — more than `limit`, a cut or corrupt stream —
 * throws there and is decoded again by the stream, which stops at `limit` and keeps what a cut stream gave.
 */
function zlibInflate(create: ZlibFactory, sync: ZlibSync): Inflate {
  const streamed = zlibStreamInflate(create);
  return async (input, limit) => {
    let out: Uint8Array;
    try {
      out = sync.call(null, input, { maxOutputLength: Math.max(1, limit) });
    } catch {
      return streamed(input, limit);
    }
    return { chunks: [out], size: out.length, end: 'complete' };
  };
}

/** zlib's streams run on its thread pool and hand output over chunk by chunk: stopping at `limit` stops the work. */
function zlibStreamInflate(create: ZlibFactory): Inflate {
  return (input, limit) =>
    new Promise((resolve) => {
      const z = create();
      const chunks: Uint8Array[] = [];
      let size = 0;
      let done = false;
      const finish = (end: InflateEnd, detail?: string): void => {
        if (done) return;
        done = true;
        z.destroy();
        resolve(detail === undefined ? { chunks, size, end } : { chunks, size, end, detail });
      };
      z.on('data', (chunk) => {
        if (done) return;
        chunks.push(chunk);
        size += chunk.length;
        if (size > limit) finish('limit');
      });
      z.on('end', () => finish('complete'));
      // Z_BUF_ERROR at the end of input is zlib's (and its brotli and zstd wrappers') "unexpected end of file".
      z.on('error', (e) => finish(e.code === 'Z_BUF_ERROR' ? 'truncated' : 'corrupt', e.message));
      // Written, then ended: zlib would decode a chunk handed to end() with Z_FINISH, and on a cut
      // stream drop that call's output along with the error.
      z.write(input);
      z.end();
    });
}

function zlibCodecs(z: ZlibModule): Codecs {
  const inflate = zlibInflate(z.createInflate, z.inflateSync);
  const inflateRaw = zlibInflate(z.createInflateRaw, z.inflateRawSync);
  return {
    name: 'zlib',
    gzip: zlibInflate(z.createGunzip, z.gunzipSync),
    deflate: (input, limit) => (isZlibWrapped(input) ? inflate : inflateRaw)(input, limit),
    // Deno's node:zlib (2.9) ends a cut brotli stream as if it were whole; brotli-dec-wasm says it is cut.
    br: 'Deno' in globalThis ? fromWeb('br') : zlibInflate(z.createBrotliDecompress, z.brotliDecompressSync),
    ...(z.createZstdDecompress !== undefined && z.zstdDecompressSync !== undefined
      ? { zstd: wholeFramesOnly(zlibInflate(z.createZstdDecompress, z.zstdDecompressSync)) } : {}),
  };
}

// The web platform's decompressors are loaded on first use: zlib's runtimes never need them (Deno's
// brotli aside), and they bring brotli-dec-wasm's WebAssembly along.
let web: Promise<typeof import('./web-codecs.js')> | undefined;

function fromWeb(coding: 'gzip' | 'deflate' | 'br' | 'zstd'): Inflate {
  return async (input, limit) => {
    web ??= import('./web-codecs.js');
    return (await web).webCodecs()[coding]!(input, limit);
  };
}

function webPlatformCodecs(): Codecs {
  return {
    name: 'web',
    gzip: fromWeb('gzip'),
    deflate: fromWeb('deflate'),
    br: fromWeb('br'),
    ...(streamSupports('zstd') ? { zstd: fromWeb('zstd') } : {}),
  };
}

/** Whether this runtime's DecompressionStream takes `format`. */
export function streamSupports(format: string): boolean {
  try {
    new DecompressionStream(format as CompressionFormat);
    return true;
  } catch {
    return false;
  }
}

let platform: Codecs | undefined;

/** The runtime's decompressors: zlib where the runtime has it, else the web platform's. */
export function platformCodecs(): Codecs {
  if (platform === undefined) {
    const z = runtimeZlib();
    platform = z !== null ? zlibCodecs(z) : webPlatformCodecs();
  }
  return platform;
}
