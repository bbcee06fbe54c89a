// Compressed bodies made by real compressors, shared by the traffic server (which sends them) and the
// tests (which know what each decodes to). Node's zlib makes every coding it has; zstd comes from Node's
// zlib where it has it (22.15+) and from Debian's zstd otherwise, so the bytes are always a real frame.
import { spawnSync } from 'node:child_process';
import zlib from 'node:zlib';

/** Every coding the sniffer removes, as the test names them: `deflate-raw` is sent as `deflate`. */
export const CODINGS = ['gzip', 'x-gzip', 'deflate', 'deflate-raw', 'br', 'zstd'];

/** The Content-Encoding header a coding is sent with. */
export function headerOf(coding) {
  return coding === 'deflate-raw' ? 'deflate' : coding;
}

/** N bytes of JSON-like text (compressible, valid UTF-8 with multi-byte characters, at every cut a prefix). */
export function plainBody(n) {
  const parts = [];
  let size = 0;
  for (let i = 0; size < n; i++) {
    const line = `{"i":${i},"name":"item-${(i * 7919) % 1000}","city":"Zürich","ok":${i % 3 === 0}}\n`;
    parts.push(line);
    size += Buffer.byteLength(line);
  }
  return Buffer.from(parts.join('')).subarray(0, n);
}

/** `plain` in `coding`. */
export function encode(coding, plain) {
  switch (coding) {
    case 'gzip':
    case 'x-gzip':
      return zlib.gzipSync(plain);
    case 'deflate':
      return zlib.deflateSync(plain);
    case 'deflate-raw':
      return zlib.deflateRawSync(plain);
    case 'br':
      return zlib.brotliCompressSync(plain);
    case 'zstd': {
      if (typeof zlib.zstdCompressSync === 'function') return zlib.zstdCompressSync(plain);
      const r = spawnSync('zstd', ['-q', '-c', '-3'], { input: plain, maxBuffer: 1 << 28 });
      if (r.status !== 0) throw new Error(`zstd failed: ${r.stderr}`);
      return r.stdout;
    }
    default:
      throw new Error(`unknown coding ${coding}`);
  }
}

/** Gzip of `n` zero bytes: a decompression bomb (about 1000:1). */
export function bombBody(n) {
  return zlib.gzipSync(Buffer.alloc(n), { level: 9 });
}

/** Bytes sent as gzip that are not gzip. */
export const CORRUPT_BODY = Buffer.from('this is not gzip data, whatever the header says\n');
