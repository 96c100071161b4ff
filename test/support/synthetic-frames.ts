import type { Mat, Rect } from '@u4/opencv4nodejs';
import cv = require('../../drivers/opencv');
import type { Frame, PlateTruth } from '../../drivers/camera/frame';
import { SyntheticTrafficSource, type SyntheticTrafficOptions } from '../../drivers/camera/synthetic/synthetic-source';

/**
 * Frames of a seeded synthetic scene that show at least one plate wholly in view, every `stride`
 * scene frames, so tests get varied plates without reading every frame.
 */
export async function framesWithPlates(count: number, options: Partial<SyntheticTrafficOptions> = {}, stride = 5): Promise<Frame[]> {
  const source = new SyntheticTrafficSource({ seed: 7, realtime: false, ...options });
  await source.open();
  const frames: Frame[] = [];
  try {
    for (let i = 0; frames.length < count && i < count * stride * 20; i++) {
      const frame = await source.read();
      if (!frame) break;
      if (i % stride === 0 && (frame.truth?.length ?? 0) > 0) frames.push(frame);
    }
  } finally {
    await source.close();
  }
  return frames;
}

/** A plate of a synthetic frame that lies wholly inside it, with the frame's pixels. */
export interface PlateInView {
  /** The frame's BGR pixels (shared by the frame's plates). */
  mat: Mat;
  truth: PlateTruth;
  /** The plate's box rounded to whole pixels, for cutting its crop out of `mat`. */
  rect: Rect;
}

/** The plates of `frames` (BGR ones) that lie wholly inside their frame: a crop of each can be cut. */
export function platesInView(frames: Frame[]): PlateInView[] {
  const plates: PlateInView[] = [];
  for (const frame of frames) {
    if (frame.image.kind !== 'bgr') continue;
    const mat = new cv.Mat(frame.image.pixels, frame.image.height, frame.image.width, cv.CV_8UC3);
    for (const truth of frame.truth ?? []) {
      const b = truth.box;
      if (b.x < 0 || b.y < 0 || b.x + b.width > mat.cols || b.y + b.height > mat.rows) continue;
      plates.push({ mat, truth, rect: new cv.Rect(Math.round(b.x), Math.round(b.y), Math.round(b.width), Math.round(b.height)) });
    }
  }
  return plates;
}
