import type { Mat } from '@u4/opencv4nodejs';
import cv = require('../../drivers/opencv');
import type { Quad } from '../../drivers/camera/geometry';
import type { LoadedModel } from '../onnx-session';
import { ort } from '../onnx-session';
import { rectifyQuad } from '../localize/rectify';
import { ctcGreedyDecode, type DecodedChar } from './ctc-decode';
import { ctcLabels } from './ctc-labels';
import { ctcView, type CtcView } from './ctc-vote';
import type { LineReader } from './line-reader';

export const PLATE_OCR_HEIGHT = 32;
export const PLATE_OCR_WIDTH = 128;

/**
 * Each quad warped straight to the plate OCR's input, stretched, then to grey: exactly the crop
 * the models were trained on (recognizer/training warp_line), packed as one batch. Every plate
 * OCR model takes the same input, so several can read one prepared batch.
 */
export function platePixels(image: Mat, quads: Quad[]): Float32Array {
  const plane = PLATE_OCR_HEIGHT * PLATE_OCR_WIDTH;
  const input = new Float32Array(quads.length * plane);
  quads.forEach((quad, n) => {
    // Frames are always decoded to BGR (recognizer/image-decode).
    const warped = rectifyQuad(image, quad, PLATE_OCR_WIDTH, PLATE_OCR_HEIGHT);
    const grey = warped.cvtColor(cv.COLOR_BGR2GRAY);
    // getData copies the pixels out, so both Mats can go now (rectifyQuad says why it matters).
    const data = grey.getData();
    warped.release();
    grey.release();
    const base = n * plane;
    for (let i = 0; i < plane; i++) input[base + i] = data[i] / 127.5 - 1;
  });
  return input;
}

/**
 * A plate OCR model trained for this project (recognizer/training): a plate or its character
 * line, warped to 128x32 grey, to CTC probabilities over blank + 0-9A-Z.
 */
export class PlateOcr implements LineReader {
  private readonly labels: string[];

  constructor(private readonly loaded: LoadedModel) {
    this.labels = ctcLabels(loaded);
  }

  /** Class labels of the model's output: blank at index 0, then its charset. */
  get classLabels(): readonly string[] {
    return this.labels;
  }

  /** The model's CTC output for `count` quads already prepared by platePixels, one view each. */
  async runPrepared(input: Float32Array, count: number): Promise<CtcView[]> {
    const { probs, steps, classes } = await this.run(input, count);
    return Array.from({ length: count }, (_, n) => ctcView(probs, n * steps * classes, steps, classes, this.labels));
  }

  /** Reads `count` quads already prepared by platePixels. */
  async readPrepared(input: Float32Array, count: number): Promise<DecodedChar[][]> {
    const { probs, steps, classes } = await this.run(input, count);
    return Array.from({ length: count }, (_, n) => ctcGreedyDecode(probs, n * steps * classes, steps, classes, this.labels));
  }

  private async run(input: Float32Array, count: number): Promise<{ probs: Float32Array; steps: number; classes: number }> {
    if (count === 0) return { probs: new Float32Array(0), steps: 0, classes: 0 };
    const session = this.loaded.session;
    const tensor = new ort.Tensor('float32', input, [count, 1, PLATE_OCR_HEIGHT, PLATE_OCR_WIDTH]);
    const output = (await session.run({ [session.inputNames[0]]: tensor }))[session.outputNames[0]];
    const [, steps, classes] = output.dims;
    return { probs: output.data as Float32Array, steps, classes };
  }

  async readLines(image: Mat, quads: Quad[]): Promise<DecodedChar[][]> {
    return quads.length === 0 ? [] : this.readPrepared(platePixels(image, quads), quads.length);
  }
}
