import type { Mat } from '@u4/opencv4nodejs';
import cv = require('../../drivers/opencv');
import type { Quad } from '../../drivers/camera/geometry';
import type { LoadedModel } from '../onnx-session';
import { ort } from '../onnx-session';
import { rectifyQuad } from '../localize/rectify';
import { ctcGreedyDecode, type DecodedChar } from './ctc-decode';
import { ctcLabels } from './ctc-labels';
import type { LineReader } from './line-reader';

export const PLATE_OCR_HEIGHT = 32;
export const PLATE_OCR_WIDTH = 128;

/**
 * The plate OCR model trained for this project (recognizer/training): a plate's character line,
 * warped to 128x32 grey, to CTC probabilities over blank + 0-9A-Z.
 */
export class PlateOcr implements LineReader {
  private readonly labels: string[];

  constructor(private readonly loaded: LoadedModel) {
    this.labels = ctcLabels(loaded);
  }

  /**
   * Warps each quad straight to the model's input, stretched, then to grey: exactly the crop the
   * model was trained on (recognizer/training warp_line). Packs the batch.
   */
  private prepare(image: Mat, quads: Quad[]): Float32Array {
    const plane = PLATE_OCR_HEIGHT * PLATE_OCR_WIDTH;
    const input = new Float32Array(quads.length * plane);
    quads.forEach((quad, n) => {
      // Frames are always decoded to BGR (recognizer/image-decode).
      const data = rectifyQuad(image, quad, PLATE_OCR_WIDTH, PLATE_OCR_HEIGHT).cvtColor(cv.COLOR_BGR2GRAY).getData();
      const base = n * plane;
      for (let i = 0; i < plane; i++) input[base + i] = data[i] / 127.5 - 1;
    });
    return input;
  }

  async readLines(image: Mat, quads: Quad[]): Promise<DecodedChar[][]> {
    if (quads.length === 0) return [];
    const session = this.loaded.session;
    const tensor = new ort.Tensor('float32', this.prepare(image, quads), [quads.length, 1, PLATE_OCR_HEIGHT, PLATE_OCR_WIDTH]);
    const output = (await session.run({ [session.inputNames[0]]: tensor }))[session.outputNames[0]];
    const [, steps, classes] = output.dims;
    const probs = output.data as Float32Array;
    return quads.map((_, n) => ctcGreedyDecode(probs, n * steps * classes, steps, classes, this.labels));
  }
}
