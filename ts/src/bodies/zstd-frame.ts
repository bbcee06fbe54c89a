// Whether zstd input holds only whole frames. The zstd decoders of Bun and Deno (node:zlib, measured on
// Bun 1.4 and Deno 2.9) end a cut frame as if it were whole, with no error and often no output; walking
// the frame and block headers (RFC 8878 §3.1) tells a cut frame from a whole one without decoding.
// This reads lengths only: the decoding itself is the runtime's.

import type { Inflate } from './inflate.js';

const FRAME_MAGIC = 0xfd2fb528;

/** True when `input` is a sequence of complete zstd (or skippable) frames. */
export function zstdFramesComplete(input: Uint8Array): boolean {
  const view = new DataView(input.buffer, input.byteOffset, input.byteLength);
  let at = 0;
  while (at < input.length) {
    if (at + 4 > input.length) return false;
    const magic = view.getUint32(at, true);
    at += 4;
    if ((magic & 0xfffffff0) === 0x184d2a50) {
      if (at + 4 > input.length) return false;
      at += 4 + view.getUint32(at, true);
      if (at > input.length) return false;
      continue;
    }
    if (magic !== FRAME_MAGIC) return false;
    if (at >= input.length) return false;
    const fhd = input[at++]!;
    const singleSegment = (fhd >> 5) & 1;
    const fcsSize = [singleSegment, 2, 4, 8][fhd >> 6]!;
    at += (singleSegment ? 0 : 1) + [0, 1, 2, 4][fhd & 3]! + fcsSize;
    for (let last = 0; !last;) {
      if (at + 3 > input.length) return false;
      const header = input[at]! | (input[at + 1]! << 8) | (input[at + 2]! << 16);
      at += 3;
      last = header & 1;
      const type = (header >> 1) & 3;
      if (type === 3) return false;
      at += type === 1 ? 1 : header >>> 3;
      if (at > input.length) return false;
    }
    if ((fhd >> 2) & 1) at += 4;
    if (at > input.length) return false;
  }
  return true;
}

/** A zstd decoder that may end a cut frame silently, made to say it was cut. */
export function wholeFramesOnly(inflate: Inflate): Inflate {
  return async (input, limit) => {
    const r = await inflate(input, limit);
    return r.end === 'complete' && !zstdFramesComplete(input) ? { ...r, end: 'truncated', detail: 'the zstd frame ends early' } : r;
  };
}
