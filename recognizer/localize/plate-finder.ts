import type { Mat } from '@u4/opencv4nodejs';
import cv = require('../../drivers/opencv');
import type { Quad } from '../../drivers/camera/geometry';
import type { LoadedModel } from '../onnx-session';
import { ort } from '../onnx-session';
import { orderQuad, quadSize, rotatedRectCorners, scaleQuad } from './quad-math';

/** A plate found in a frame, in the frame's pixels. */
export interface FoundPlate {
  quad: Quad;
  /** Mean plate probability over the region, 0..1. */
  score: number;
  width: number;
  height: number;
}

export interface PlateFinderOptions {
  /** The frame is shrunk so its long side is at most this (multiple of 32). */
  longSide: number;
  /** Probability above which a cell counts as plate. */
  cellThreshold: number;
  /** Regions whose mean probability is below this are dropped. */
  regionThreshold: number;
  /** Regions smaller than this many cells are noise. */
  minCells: number;
}

export const DEFAULT_PLATE_FINDER_OPTIONS: PlateFinderOptions = {
  longSide: 640,
  cellThreshold: 0.4,
  regionThreshold: 0.5,
  minCells: 2,
};

/** The model's output is one cell per 4x4 input pixels. */
const STRIDE = 4;
// Trained on BGR scaled to -1..1 (recognizer/training/train_finder.py to_input).
const TO_INPUT = Float32Array.from({ length: 256 }, (_, v) => v / 127.5 - 1);

function inputSize(width: number, height: number, longSide: number): { w: number; h: number } {
  const ratio = Math.min(1, longSide / Math.max(width, height));
  const round32 = (v: number) => Math.max(32, Math.round((v * ratio) / 32) * 32);
  return { w: round32(width), h: round32(height) };
}

interface FinderScratch {
  bgr: Buffer;
  data: Float32Array;
  /** Between prepare() and the end of locate()'s model run. */
  inUse: boolean;
}

/** A frame shrunk and packed for the finder; `scratch` is the finder's until locate() has run. */
export interface FinderInput {
  tensor: ort.Tensor;
  w: number;
  h: number;
  sx: number;
  sy: number;
  scratch: FinderScratch;
}

/**
 * The plate finder trained for this project (recognizer/training/train_finder.py): a small
 * fully convolutional network marks plate cells at stride 4 on the shrunk frame; each connected
 * region becomes a rotated rectangle around the plate, scaled back to frame pixels.
 */
export class PlateFinder {
  private scratch: FinderScratch | null = null;

  constructor(
    private readonly loaded: LoadedModel,
    private readonly options: PlateFinderOptions = DEFAULT_PLATE_FINDER_OPTIONS,
  ) {}

  /** Shrinks the frame and packs it as the model's planar input. */
  prepare(image: Mat): FinderInput {
    const { w, h } = inputSize(image.cols, image.rows, this.options.longSide);
    const plane = w * h;
    const scratch = this.takeScratch(plane);
    const resized = image.resize(h, w, 0, 0, cv.INTER_AREA);
    const into = new cv.Mat(h, w, cv.CV_8UC3, scratch.bgr);
    resized.copyTo(into);
    into.release();
    resized.release();
    const { bgr, data } = scratch;
    for (let p = 0, i = 0; p < plane; p++, i += 3) {
      data[p] = TO_INPUT[bgr[i]];
      data[plane + p] = TO_INPUT[bgr[i + 1]];
      data[2 * plane + p] = TO_INPUT[bgr[i + 2]];
    }
    return { tensor: new ort.Tensor('float32', data, [1, 3, h, w]), w, h, sx: image.cols / w, sy: image.rows / h, scratch };
  }

  async locate(input: FinderInput): Promise<FoundPlate[]> {
    const session = this.loaded.session;
    let output: ort.Tensor;
    try {
      output = (await session.run({ [session.inputNames[0]]: input.tensor }))[session.outputNames[0]];
    } finally {
      input.scratch.inUse = false;
    }
    const [, , mh, mw] = output.dims;
    return this.regions(output.data as Float32Array, mw, mh, input.sx * STRIDE, input.sy * STRIDE);
  }

  /**
   * The shrunk frame's bytes and the model input, reused frame after frame: fresh ones are
   * 3.4 MB of new pages per frame. A second frame prepared while the first is still being
   * located (not how a worker reads) gets arrays of its own.
   */
  private takeScratch(plane: number): FinderScratch {
    const kept = this.scratch;
    if (kept && !kept.inUse && kept.bgr.length === 3 * plane) {
      kept.inUse = true;
      return kept;
    }
    const fresh = { bgr: Buffer.allocUnsafeSlow(3 * plane), data: new Float32Array(3 * plane), inUse: true };
    if (!kept?.inUse) this.scratch = fresh;
    return fresh;
  }

  async find(image: Mat): Promise<FoundPlate[]> {
    return this.locate(this.prepare(image));
  }

  /** Connected plate cells to rotated rectangles in frame pixels, most probable first. */
  private regions(prob: Float32Array, w: number, h: number, sx: number, sy: number): FoundPlate[] {
    const { cellThreshold, regionThreshold, minCells } = this.options;
    const bitmap = Buffer.alloc(w * h);
    for (let i = 0; i < prob.length; i++) bitmap[i] = prob[i] > cellThreshold ? 255 : 0;
    const cells = new cv.Mat(bitmap, h, w, cv.CV_8UC1);
    const contours = cells.findContours(cv.RETR_EXTERNAL, cv.CHAIN_APPROX_NONE);
    cells.release();
    const found: FoundPlate[] = [];
    for (const contour of contours) {
      const box = contour.boundingRect();
      let sum = 0;
      let n = 0;
      for (let y = box.y; y < box.y + box.height; y++) {
        for (let x = box.x; x < box.x + box.width; x++) {
          const i = y * w + x;
          if (bitmap[i] !== 0) {
            sum += prob[i];
            n++;
          }
        }
      }
      const score = n > 0 ? sum / n : 0;
      if (n < minCells || score < regionThreshold) continue;
      // Contour points are cell indices; a cell covers [x, x + 1), so the region is one cell
      // wider than the span of the points. (The map's blur already makes regions a little larger
      // than their plates; the plate OCR is trained on such loose views.)
      const rect = contour.minAreaRect();
      const corners = rotatedRectCorners(rect.center.x + 0.5, rect.center.y + 0.5, rect.size.width + 1, rect.size.height + 1, rect.angle);
      const quad = scaleQuad(orderQuad(corners), sx, sy);
      const size = quadSize(quad);
      found.push({ quad, score, width: size.width, height: size.height });
    }
    return found.sort((a, b) => b.score * Math.sqrt(b.width * b.height) - a.score * Math.sqrt(a.width * a.height));
  }
}
