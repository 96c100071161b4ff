import type { FrameImage } from './frame';

/**
 * Pixel buffers a camera source writes its frames into, handed back (`give`) once nothing uses
 * them. A 1080p frame is 6 MB: allocated afresh each frame, dead frames pile up until the garbage
 * collector gets to them (tens of MB of resident memory) and each new one is page-faulted and
 * zeroed by the kernel again. Only buffers of the current frame size are kept, at most `limit`.
 */
export class FrameBuffers {
  private readonly free: Buffer[] = [];
  private bytes = 0;

  constructor(private readonly limit = 4) {}

  /** A buffer of exactly `bytes` bytes, owning its whole ArrayBuffer (so it can be transferred); contents undefined. */
  take(bytes: number): Buffer {
    if (bytes !== this.bytes) {
      this.free.length = 0;
      this.bytes = bytes;
    }
    return this.free.pop() ?? Buffer.allocUnsafeSlow(bytes);
  }

  /**
   * Takes a buffer back. The caller must hold no other reference it will use: the next frame is
   * written into it. Buffers of another size, detached ones (transferred away) and any beyond
   * the limit are left to the garbage collector.
   */
  give(buffer: Buffer): void {
    if (buffer.length !== this.bytes || buffer.byteLength === 0 || this.free.length >= this.limit) return;
    if (buffer.byteOffset !== 0 || buffer.buffer.byteLength !== buffer.length) return;
    if (this.free.some((b) => b.buffer === buffer.buffer)) return;
    this.free.push(buffer);
  }

  /** A source's `recycle`: raw frames give their pixels back; encoded files are no frame buffers. */
  giveImage(image: FrameImage): void {
    if (image.kind === 'bgr') this.give(image.pixels);
  }

  /** Buffers waiting to be reused. */
  get idle(): number {
    return this.free.length;
  }
}
