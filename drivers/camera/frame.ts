import type { Box, Quad } from './geometry';

/** What a synthetic source knows about a plate it drew: the answer the pipeline should find. */
export interface PlateTruth {
  vehicleId: number;
  text: string;
  quad: Quad;
  box: Box;
}

/**
 * Raw pixels: 8-bit BGR, row-major, `width * height * 3` bytes, the layout OpenCV uses, so a
 * worker can wrap them in a Mat without converting.
 */
export interface RawImage {
  kind: 'bgr';
  width: number;
  height: number;
  pixels: Buffer;
}

/**
 * An image still in its file encoding (JPEG, PNG, ...). Replays hand these over undecoded so the
 * decode runs in a recognizer worker instead of the main thread; `name` says where it came from.
 */
export interface EncodedImage {
  kind: 'encoded';
  name: string;
  bytes: Buffer;
}

export type FrameImage = RawImage | EncodedImage;

/** One captured image and where and when it was taken. */
export interface Frame {
  sourceId: string;
  /** Frame number within this source, from 0. */
  seq: number;
  /** Wall-clock capture time, ms since the epoch. */
  capturedAt: number;
  /** `performance.now()` at capture, for latency measurements within this process. */
  capturedMono: number;
  image: FrameImage;
  /** Ground truth, only from sources that know it (synthetic traffic). */
  truth?: PlateTruth[];
}

/**
 * Anything that yields frames: a GStreamer pipeline, a folder or video replay, a synthetic scene.
 * `read()` resolves with the next frame, or null once the source has ended; it rejects when the
 * source fails (a camera unplugged, a pipeline that stopped), and the caller decides whether to
 * reopen it. Implementations must not block the event loop while waiting for a frame.
 */
export interface FrameSource {
  /** Short name used in logs and reads, e.g. `synthetic`, `gst:usb`. */
  readonly id: string;
  /** Human description: the pipeline, folder or file it reads. */
  readonly description: string;
  /** True for cameras that can come back after a failure and are worth reopening. */
  readonly live: boolean;
  open(): Promise<void>;
  read(): Promise<Frame | null>;
  close(): Promise<void>;
  /**
   * Hands a frame's image back once the caller keeps no reference to it, so a later frame can be
   * written into the same buffer. Optional for sources and for callers: an image not handed back
   * is left to the garbage collector.
   */
  recycle?(image: FrameImage): void;
}
