import type { Box, Point, Quad } from '../../drivers/camera/geometry';
import type { FrameRecognition } from '../candidate';
import { RecognizerError } from '../recognizer-error';

/**
 * The part of the frame where plates are looked for (the lanes), as fractions of the frame's
 * width and height: x and y its top-left corner, 0..1. The whole frame is { 0, 0, 1, 1 }.
 */
export interface RegionOfInterest {
  x: number;
  y: number;
  width: number;
  height: number;
}

export const WHOLE_FRAME: RegionOfInterest = { x: 0, y: 0, width: 1, height: 1 };

/** Smaller than this many pixels a side, a region holds no readable plate. */
export const MIN_ROI_SIDE_PX = 32;

export function isWholeFrame(roi: RegionOfInterest): boolean {
  return roi.x <= 0 && roi.y <= 0 && roi.x + roi.width >= 1 && roi.y + roi.height >= 1;
}

/** Checks a region's fractions; the message names the bad one. */
export function validateRoi(roi: RegionOfInterest): void {
  for (const key of ['x', 'y', 'width', 'height'] as const) {
    if (!Number.isFinite(roi[key]) || roi[key] < 0 || roi[key] > 1) throw new RangeError(`region of interest ${key} must be a fraction in 0..1, got ${roi[key]}`);
  }
  if (roi.width <= 0 || roi.height <= 0) throw new RangeError(`region of interest must have a width and height above 0, got ${roi.width} x ${roi.height}`);
  if (roi.x + roi.width > 1 + 1e-9) throw new RangeError(`region of interest x + width must be at most 1, got ${roi.x} + ${roi.width}`);
  if (roi.y + roi.height > 1 + 1e-9) throw new RangeError(`region of interest y + height must be at most 1, got ${roi.y} + ${roi.height}`);
}

/**
 * The region in a frame's whole pixels, inside the frame. A frame in which the region would be
 * smaller than MIN_ROI_SIDE_PX a side is refused (IMAGE_INVALID), naming both sizes.
 */
export function roiPixels(roi: RegionOfInterest, frameWidth: number, frameHeight: number): Box {
  const x = Math.min(frameWidth - 1, Math.max(0, Math.floor(roi.x * frameWidth)));
  const y = Math.min(frameHeight - 1, Math.max(0, Math.floor(roi.y * frameHeight)));
  const width = Math.min(frameWidth - x, Math.ceil((roi.x + roi.width) * frameWidth) - x);
  const height = Math.min(frameHeight - y, Math.ceil((roi.y + roi.height) * frameHeight) - y);
  if (width < MIN_ROI_SIDE_PX || height < MIN_ROI_SIDE_PX) {
    throw new RecognizerError(
      'IMAGE_INVALID',
      `region of interest ${JSON.stringify(roi)} is ${width}x${height} px in a ${frameWidth}x${frameHeight} frame; at least ${MIN_ROI_SIDE_PX} px a side is needed`,
    );
  }
  return { x, y, width, height };
}

/** A recognition of the region as one of the whole frame: quads moved by the region's offset. */
export function inFrame(result: FrameRecognition, region: Box, frameWidth: number, frameHeight: number): FrameRecognition {
  const shift = ({ x, y }: Point): Point => ({ x: x + region.x, y: y + region.y });
  return {
    ...result,
    width: frameWidth,
    height: frameHeight,
    candidates: result.candidates.map((c) => ({ ...c, quad: c.quad.map(shift) as Quad })),
  };
}
