/**
 * The full frame as JPEG, for an alert's evidence (POLICY P8: the officer confirms the plate
 * against the captured image). Only frames that produced a hit are encoded, off the event loop
 * (OpenCV's async encoder runs in libuv's thread pool). A frame that already is a JPEG file (a
 * replay) is kept byte for byte: re-encoding evidence would only lose detail.
 */
import cv = require('../drivers/opencv');
import type { FrameImage } from '../drivers/camera/frame';
import { decodeEncoded, wrapRaw } from './image-decode';

/** Evidence quality: plate characters stay legible in the full frame; a 1080p frame is about 300-500 kB. */
export const FRAME_JPEG_QUALITY = 85;

export interface FrameJpeg {
  jpeg: Buffer;
  width: number;
  height: number;
}

/** @throws RecognizerError naming the image when it cannot be decoded or wrapped. */
export async function encodeFrameJpeg(image: FrameImage, quality = FRAME_JPEG_QUALITY): Promise<FrameJpeg> {
  if (image.kind === 'encoded') {
    const size = jpegSize(image.bytes);
    if (size !== null) return { jpeg: image.bytes, ...size };
    const mat = decodeEncoded(image.name, image.bytes);
    try {
      return { jpeg: await cv.imencodeAsync('.jpg', mat, [cv.IMWRITE_JPEG_QUALITY, quality]), width: mat.cols, height: mat.rows };
    } finally {
      mat.release();
    }
  }
  const mat = wrapRaw(image.width, image.height, image.pixels);
  try {
    return { jpeg: await cv.imencodeAsync('.jpg', mat, [cv.IMWRITE_JPEG_QUALITY, quality]), width: image.width, height: image.height };
  } finally {
    mat.release();
  }
}

/**
 * Width and height from a JPEG's start-of-frame marker, or null when the bytes are not a
 * complete baseline/progressive JPEG (then the image is decoded and encoded instead).
 */
export function jpegSize(bytes: Buffer): { width: number; height: number } | null {
  if (bytes.length < 4 || bytes[0] !== 0xff || bytes[1] !== 0xd8) return null;
  if (bytes.subarray(Math.max(0, bytes.length - 4096)).lastIndexOf(Buffer.from([0xff, 0xd9])) < 0) return null;
  let at = 2;
  while (at + 9 < bytes.length) {
    if (bytes[at] !== 0xff) return null;
    const marker = bytes[at + 1];
    if (marker === 0xff) {
      at += 1;
      continue;
    }
    const length = bytes.readUInt16BE(at + 2);
    // SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC).
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      const height = bytes.readUInt16BE(at + 5);
      const width = bytes.readUInt16BE(at + 7);
      return width > 0 && height > 0 ? { width, height } : null;
    }
    if (marker === 0xda || length < 2) return null;
    at += 2 + length;
  }
  return null;
}
