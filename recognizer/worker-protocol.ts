import type { FrameImage } from '../drivers/camera/frame';
import type { FrameRecognition } from './candidate';
import type { RecognizerErrorCode } from './recognizer-error';
import type { PlateReaderOptions } from './plate-reader';

/** Messages between the pool and its workers. Buffers arrive as Uint8Array and are rewrapped. */
export type ToWorker = {
  type: 'recognize';
  id: number;
  image: FrameImage;
  returnImage: boolean;
  /** Send the raw pixels back (as `spare`) whenever they are not returned as `image`, for the camera to reuse. */
  returnPixels: boolean;
  /** A live frame: the reader's motion gate may pass it unread (PlateReader.read's `gate`). */
  gate: boolean;
};

export interface WorkerErrorInfo {
  code: RecognizerErrorCode;
  message: string;
}

export type FromWorker =
  | { type: 'ready' }
  | { type: 'startFailed'; error: WorkerErrorInfo }
  | { type: 'result'; id: number; result: FrameRecognition; spare?: Uint8Array }
  | { type: 'error'; id: number; error: WorkerErrorInfo };

export interface WorkerInit {
  reader: Partial<PlateReaderOptions>;
}

/** structuredClone turns a Buffer into a plain Uint8Array; this makes it a Buffer again, without copying. */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export function reviveImage(image: FrameImage): FrameImage {
  return image.kind === 'bgr' ? { ...image, pixels: asBuffer(image.pixels) } : { ...image, bytes: asBuffer(image.bytes) };
}

export function reviveRecognition(result: FrameRecognition): FrameRecognition {
  const revived: FrameRecognition = { ...result, candidates: result.candidates.map((c) => ({ ...c, crop: asBuffer(c.crop) })) };
  if (result.image !== undefined) revived.image = reviveImage(result.image);
  return revived;
}

/** The image's bytes, to transfer with a message. */
export function imageBytes(image: FrameImage): Buffer {
  return image.kind === 'bgr' ? image.pixels : image.bytes;
}

/** The buffer to hand over without copying, when the Buffer owns its whole ArrayBuffer. */
export function transferable(bytes: Buffer): ArrayBuffer[] {
  const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
  return whole && bytes.buffer instanceof ArrayBuffer ? [bytes.buffer] : [];
}
