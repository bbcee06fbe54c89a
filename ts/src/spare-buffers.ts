// Buffers kept for reuse where a copy must outlive the call that made it: a block waiting in a pipe's
// stream, a batch held while an output is backpressured. A fresh buffer per copy cost a page fault per
// 4 KiB and an munmap when collected (docs/performance.md, "Live capture: the JS thread" and "Stdout into a
// pipe under this load").

export interface SpareLimits {
  /** Buffers kept at most. */
  maxCount: number;
  /** Bytes kept at most, over all buffers. */
  maxBytes: number;
  /** A buffer larger than this is not kept. */
  maxEach: number;
  /** The least a new buffer is allocated with. */
  minBytes: number;
}

export class SpareBuffers {
  private readonly spare: ArrayBuffer[] = [];
  private bytes = 0;

  constructor(private readonly limits: SpareLimits) {}

  /** `length` bytes (not zeroed) in a kept buffer that fits, or in a new one. */
  take(length: number): Uint8Array {
    const i = this.spare.findIndex((b) => b.byteLength >= length);
    if (i < 0) return new Uint8Array(Buffer.allocUnsafeSlow(Math.max(length, this.limits.minBytes)).buffer, 0, length);
    const buffer = this.spare.splice(i, 1)[0]!;
    this.bytes -= buffer.byteLength;
    return new Uint8Array(buffer, 0, length);
  }

  /** The buffer of a view from take(), once nothing reads it any more; kept within the limits. */
  give(view: Uint8Array): void {
    const buffer = view.buffer as ArrayBuffer;
    const { maxCount, maxBytes, maxEach } = this.limits;
    if (this.spare.length >= maxCount || buffer.byteLength > maxEach || this.bytes + buffer.byteLength > maxBytes) return;
    this.spare.push(buffer);
    this.bytes += buffer.byteLength;
  }
}
