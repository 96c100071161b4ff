import cv = require('../opencv');
import { CameraError } from './camera-error';
import type { RawImage } from './frame';
import type { FrameBuffers } from './frame-buffers';

const EIGHT_BIT_TYPE: Record<number, number> = { 1: cv.CV_8UC1, 3: cv.CV_8UC3, 4: cv.CV_8UC4 };

/**
 * Turns a captured Mat into the RawImage every consumer expects: 8-bit, 3-channel BGR.
 * Grey and BGRx/BGRA captures are converted, 16-bit ones scaled down; the conversions run in
 * libuv's pool (the *Async calls) so a large frame does not stall the event loop.
 * `where` names the source in the error if the Mat is something else. With `buffers`, the pixels
 * are copied into a recycled buffer instead of a fresh one.
 */
export async function matToBgrImage(mat: cv.Mat, where: string, buffers?: FrameBuffers): Promise<RawImage> {
  let m = mat;
  if (m.depth === cv.CV_16U && EIGHT_BIT_TYPE[m.channels] !== undefined) {
    m = await m.convertToAsync(EIGHT_BIT_TYPE[m.channels], 1 / 256);
  }
  if (m.depth !== cv.CV_8U) {
    throw new CameraError('CAMERA_READ_FAILED', `${where} delivered a frame of OpenCV depth ${m.depth}, not 8-bit`);
  }
  if (m.channels === 1) m = await m.cvtColorAsync(cv.COLOR_GRAY2BGR);
  else if (m.channels === 4) m = await m.cvtColorAsync(cv.COLOR_BGRA2BGR);
  else if (m.channels !== 3) {
    throw new CameraError('CAMERA_READ_FAILED', `${where} delivered a frame with ${m.channels} channels, not 1, 3 or 4`);
  }
  const pixels = buffers ? await copyInto(m, buffers) : await m.getDataAsync();
  if (pixels.length !== m.rows * m.cols * 3) {
    throw new CameraError(
      'CAMERA_READ_FAILED',
      `${where} delivered ${pixels.length} bytes for a ${m.cols}x${m.rows} BGR frame`,
    );
  }
  return { kind: 'bgr', width: m.cols, height: m.rows, pixels };
}

/** Copies a BGR Mat into a buffer from `buffers`, through a Mat that wraps the buffer without copying. */
async function copyInto(m: cv.Mat, buffers: FrameBuffers): Promise<Buffer> {
  const pixels = buffers.take(m.rows * m.cols * 3);
  const into = new cv.Mat(m.rows, m.cols, cv.CV_8UC3, pixels);
  try {
    await m.copyToAsync(into);
  } finally {
    into.release();
  }
  return pixels;
}
