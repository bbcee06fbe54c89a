// What a decompressor is: one whole coded body in, its decoded bytes out, bounded by a limit.

/** How a decompression ended. */
export type InflateEnd =
  | 'complete'    // the coded stream ended, every byte of it decoded
  | 'limit'       // more than `limit` bytes came out; `chunks` hold the first `limit` + something
  | 'truncated'   // the input ended inside the coded stream: `chunks` hold what it decoded to
  | 'corrupt';    // the input is not that coding

export interface InflateResult {
  chunks: Uint8Array[];
  size: number;
  end: InflateEnd;
  /** The decompressor's own words, for 'corrupt' and 'truncated'. */
  detail?: string;
}

/** One whole coded body (possibly cut short) → its decoded bytes, at most a little over `limit`. */
export type Inflate = (input: Uint8Array, limit: number) => Promise<InflateResult>;

/** The content codings this runtime can remove; `deflate` sniffs zlib-wrapped from raw. */
export interface Codecs {
  /** Which backend answers, for logs and tests ("zlib", "web"). */
  readonly name: string;
  gzip: Inflate;
  deflate: Inflate;
  br: Inflate;
  /** Absent where the runtime has no zstd (Node before 22.15, most browsers). */
  zstd?: Inflate;
}

/** A zlib-wrapped deflate stream starts with CMF/FLG: method 8 and a header checksum divisible by 31. */
export function isZlibWrapped(input: Uint8Array): boolean {
  return input.length >= 2 && (input[0]! & 0x0f) === 8 && (input[0]! >> 4) <= 7 && ((input[0]! << 8) | input[1]!) % 31 === 0;
}
