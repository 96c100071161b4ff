import cv = require('../drivers/opencv');
import type { Mat } from '@u4/opencv4nodejs';
import type { FrameImage } from '../drivers/camera/frame';
import { RecognizerError } from './recognizer-error';

type Format = 'jpeg' | 'png' | 'bmp' | 'webp' | 'tiff';

function sniffFormat(bytes: Buffer): Format | null {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  if (bytes.length >= 8 && bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'png';
  if (bytes.length >= 2 && bytes[0] === 0x42 && bytes[1] === 0x4d) return 'bmp';
  if (bytes.length >= 12 && bytes.toString('latin1', 0, 4) === 'RIFF' && bytes.toString('latin1', 8, 12) === 'WEBP') return 'webp';
  const tiffMagic = bytes.subarray(0, 4).toString('hex');
  if (tiffMagic === '49492a00' || tiffMagic === '4d4d002a') return 'tiff';
  return null;
}

/**
 * libjpeg and libpng decode a truncated file into a half-grey image with only a warning on
 * stderr, so truncation is checked here: the end marker must be present near the end.
 */
function isTruncated(format: Format, bytes: Buffer): boolean {
  const tail = bytes.subarray(Math.max(0, bytes.length - 4096));
  if (format === 'jpeg') return tail.lastIndexOf(Buffer.from([0xff, 0xd9])) < 0;
  if (format === 'png') return tail.lastIndexOf(Buffer.from('IEND', 'latin1')) < 0;
  return false;
}

/** Decodes an encoded image to a 3-channel BGR Mat, or throws an error naming the image. */
export function decodeEncoded(name: string, bytes: Buffer): Mat {
  if (bytes.length === 0) throw new RecognizerError('IMAGE_CORRUPT', `image ${name}: file is empty`);
  const format = sniffFormat(bytes);
  if (!format) {
    throw new RecognizerError(
      'IMAGE_UNSUPPORTED',
      `image ${name}: not a JPEG, PNG, BMP, WebP or TIFF file (first bytes ${bytes.subarray(0, 8).toString('hex')})`,
    );
  }
  if (isTruncated(format, bytes)) {
    throw new RecognizerError('IMAGE_CORRUPT', `image ${name}: ${format.toUpperCase()} data is truncated (no end marker; ${bytes.length} bytes)`);
  }
  let mat: Mat;
  try {
    mat = cv.imdecode(bytes, cv.IMREAD_COLOR);
  } catch (err) {
    throw new RecognizerError('IMAGE_CORRUPT', `image ${name}: ${format.toUpperCase()} cannot be decoded (${(err as Error).message})`);
  }
  if (mat.empty || mat.rows === 0 || mat.cols === 0) {
    throw new RecognizerError('IMAGE_CORRUPT', `image ${name}: ${format.toUpperCase()} data is corrupt and cannot be decoded`);
  }
  return mat;
}

/**
 * Wraps raw BGR pixels in a Mat after checking the buffer holds what the size says. The Mat
 * shares the buffer's memory, no copy: a 1080p frame copied is 6 MB of fresh pages per frame,
 * which cost 20 ms a frame where page faults are dear (a VM) and memory bandwidth on a Pi. The
 * caller keeps the buffer alive and unchanged until it has released the Mat.
 */
export function wrapRaw(width: number, height: number, pixels: Buffer, name = 'frame'): Mat {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new RecognizerError('IMAGE_INVALID', `${name}: invalid size ${width}x${height}`);
  }
  if (pixels.length !== width * height * 3) {
    throw new RecognizerError(
      'IMAGE_INVALID',
      `${name}: ${pixels.length} bytes of pixels for ${width}x${height} BGR (expected ${width * height * 3})`,
    );
  }
  return new cv.Mat(height, width, cv.CV_8UC3, pixels);
}

export function decodeFrameImage(image: FrameImage, name?: string): Mat {
  return image.kind === 'encoded'
    ? decodeEncoded(image.name, image.bytes)
    : wrapRaw(image.width, image.height, image.pixels, name);
}
