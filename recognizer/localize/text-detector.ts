import type { Mat } from '@u4/opencv4nodejs';
import cv = require('../../drivers/opencv');
import type { Quad } from '../../drivers/camera/geometry';
import type { LoadedModel } from '../onnx-session';
import { ort } from '../onnx-session';
import { orderQuad, quadSize, rotatedRectCorners, scaleQuad } from './quad-math';

/** A text line found by the detector, in the coordinates of the image given to `detect`. */
export interface TextBox {
  quad: Quad;
  /** Mean text probability inside the box, 0..1. */
  score: number;
  width: number;
  height: number;
}

export interface DetectorOptions {
  /** The image is scaled so its long side is at most this (multiple of 32). */
  longSide: number;
  /** Probability above which a pixel counts as text (PaddleOCR's DB threshold). */
  pixelThreshold: number;
  /** Boxes whose mean probability is below this are dropped. */
  boxThreshold: number;
  /** How far a box is grown, as DB's unclip ratio: area * ratio / perimeter on each side. */
  unclipRatio: number;
  /** Boxes shorter than this (detector pixels) are noise. */
  minSide: number;
}

export const DEFAULT_DETECTOR_OPTIONS: DetectorOptions = {
  longSide: 960,
  pixelThreshold: 0.3,
  boxThreshold: 0.6,
  unclipRatio: 1.5,
  minSide: 3,
};

// PaddleOCR's detector normalization (ImageNet mean/std applied to the BGR channels as they come).
const MEAN = [0.485, 0.456, 0.406];
const STD = [0.229, 0.224, 0.225];
const LUT = MEAN.map((m, c) => Float32Array.from({ length: 256 }, (_, v) => (v / 255 - m) / STD[c]));

function inputSize(width: number, height: number, longSide: number): { w: number; h: number } {
  const ratio = Math.min(1, longSide / Math.max(width, height));
  const round32 = (v: number) => Math.max(32, Math.round((v * ratio) / 32) * 32);
  return { w: round32(width), h: round32(height) };
}

/** HWC BGR bytes to the planar float tensor the model wants. */
function toPlanar(bgr: Buffer, w: number, h: number): Float32Array {
  const plane = w * h;
  const out = new Float32Array(3 * plane);
  for (let i = 0, p = 0; p < plane; p++, i += 3) {
    out[p] = LUT[0][bgr[i]];
    out[plane + p] = LUT[1][bgr[i + 1]];
    out[2 * plane + p] = LUT[2][bgr[i + 2]];
  }
  return out;
}

/** Mean probability inside a quad, by scanning its bounding box with a point-in-quad test. */
function meanInside(prob: Float32Array, w: number, h: number, quad: Quad): number {
  const xs = quad.map((p) => p.x);
  const ys = quad.map((p) => p.y);
  const x0 = Math.max(0, Math.floor(Math.min(...xs)));
  const x1 = Math.min(w - 1, Math.ceil(Math.max(...xs)));
  const y0 = Math.max(0, Math.floor(Math.min(...ys)));
  const y1 = Math.min(h - 1, Math.ceil(Math.max(...ys)));
  let sum = 0;
  let n = 0;
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      if (insideConvex(quad, x, y)) {
        sum += prob[y * w + x];
        n++;
      }
    }
  }
  return n > 0 ? sum / n : 0;
}

function insideConvex(quad: Quad, x: number, y: number): boolean {
  let sign = 0;
  for (let i = 0; i < 4; i++) {
    const a = quad[i];
    const b = quad[(i + 1) % 4];
    const cross = (b.x - a.x) * (y - a.y) - (b.y - a.y) * (x - a.x);
    if (cross !== 0) {
      const s = Math.sign(cross);
      if (sign !== 0 && s !== sign) return false;
      sign = s;
    }
  }
  return true;
}

export interface DetectorInput {
  tensor: ort.Tensor;
  w: number;
  h: number;
  /** Factors from detector pixels back to image pixels. */
  sx: number;
  sy: number;
}

/** PaddleOCR PP-OCR DB text detector: probability map, then contours to rotated boxes. */
export class TextDetector {
  constructor(
    private readonly loaded: LoadedModel,
    private readonly options: DetectorOptions = DEFAULT_DETECTOR_OPTIONS,
  ) {}

  /** Scales and normalizes the image into the detector's input tensor. */
  prepare(image: Mat): DetectorInput {
    const { w, h } = inputSize(image.cols, image.rows, this.options.longSide);
    const resized = image.resize(h, w, 0, 0, cv.INTER_AREA);
    const tensor = new ort.Tensor('float32', toPlanar(resized.getData(), w, h), [1, 3, h, w]);
    resized.release();
    return { tensor, w, h, sx: image.cols / w, sy: image.rows / h };
  }

  /** Runs the model and turns its probability map into boxes in the original image's pixels. */
  async locate(input: DetectorInput): Promise<TextBox[]> {
    const session = this.loaded.session;
    const output = await session.run({ [session.inputNames[0]]: input.tensor });
    const prob = output[session.outputNames[0]].data as Float32Array;
    return this.boxesFromMap(prob, input.w, input.h, input.sx, input.sy);
  }

  async detect(image: Mat): Promise<TextBox[]> {
    return this.locate(this.prepare(image));
  }

  private boxesFromMap(prob: Float32Array, w: number, h: number, sx: number, sy: number): TextBox[] {
    const { pixelThreshold, boxThreshold, unclipRatio, minSide } = this.options;
    const bitmap = Buffer.alloc(w * h);
    for (let i = 0; i < prob.length; i++) bitmap[i] = prob[i] > pixelThreshold ? 255 : 0;
    const map = new cv.Mat(bitmap, h, w, cv.CV_8UC1);
    const contours = map.findContours(cv.RETR_LIST, cv.CHAIN_APPROX_SIMPLE);
    map.release();
    const boxes: TextBox[] = [];
    for (const contour of contours) {
      if (contour.numPoints < 4) continue;
      const rect = contour.minAreaRect();
      if (Math.min(rect.size.width, rect.size.height) < minSide) continue;
      const tight = orderQuad(rotatedRectCorners(rect.center.x, rect.center.y, rect.size.width, rect.size.height, rect.angle));
      const score = meanInside(prob, w, h, tight);
      if (score < boxThreshold) continue;
      const { width: rw, height: rh } = rect.size;
      const grow = (rw * rh * unclipRatio) / (2 * (rw + rh));
      const grown = rotatedRectCorners(rect.center.x, rect.center.y, rw + 2 * grow, rh + 2 * grow, rect.angle);
      const quad = scaleQuad(orderQuad(grown), sx, sy);
      const size = quadSize(quad);
      boxes.push({ quad, score, width: size.width, height: size.height });
    }
    return boxes;
  }
}
