import type { Mat } from '@u4/opencv4nodejs';
import type { Quad } from '../../drivers/camera/geometry';
import type { LoadedModel } from '../onnx-session';
import { ort } from '../onnx-session';
import { quadSize } from '../localize/quad-math';
import { rectifyQuad } from '../localize/rectify';
import { ctcGreedyDecode, type DecodedChar } from './ctc-decode';
import { ctcLabels } from './ctc-labels';
import type { LineReader } from './line-reader';

export const REC_HEIGHT = 48;
/** PP-OCR's recognizer was trained on lines padded to 320 px; padding to it reads better. */
export const REC_WIDTH = 320;

/** PP-OCR's general CTC text-line recognizer over crops cut from a frame. */
export class TextRecognizer implements LineReader {
  private readonly labels: string[];

  constructor(private readonly loaded: LoadedModel) {
    this.labels = ctcLabels(loaded, [' ']);
  }

  /** Cuts each quad out of the image, rectified to REC_HEIGHT rows. */
  cropLines(image: Mat, quads: Quad[]): Mat[] {
    return quads.map((quad) => {
      const { width, height } = quadSize(quad);
      const w = Math.max(8, Math.min(REC_WIDTH, Math.round((REC_HEIGHT * width) / Math.max(height, 1))));
      return rectifyQuad(image, quad, w, REC_HEIGHT);
    });
  }

  /** Reads a batch of line crops (BGR, REC_HEIGHT rows, at most REC_WIDTH columns). */
  async read(lines: Mat[]): Promise<DecodedChar[][]> {
    if (lines.length === 0) return [];
    const plane = REC_HEIGHT * REC_WIDTH;
    // Zero after normalization is mid-grey: the padding PP-OCR was trained with.
    const input = new Float32Array(lines.length * 3 * plane);
    lines.forEach((line, n) => {
      const data = line.getData();
      const cols = line.cols;
      const base = n * 3 * plane;
      for (let y = 0; y < REC_HEIGHT; y++) {
        for (let x = 0; x < cols; x++) {
          const i = (y * cols + x) * 3;
          const p = y * REC_WIDTH + x;
          input[base + p] = data[i] / 127.5 - 1;
          input[base + plane + p] = data[i + 1] / 127.5 - 1;
          input[base + 2 * plane + p] = data[i + 2] / 127.5 - 1;
        }
      }
    });
    const session = this.loaded.session;
    const tensor = new ort.Tensor('float32', input, [lines.length, 3, REC_HEIGHT, REC_WIDTH]);
    const output = (await session.run({ [session.inputNames[0]]: tensor }))[session.outputNames[0]];
    const [, steps, classes] = output.dims;
    const probs = output.data as Float32Array;
    return lines.map((_, n) => ctcGreedyDecode(probs, n * steps * classes, steps, classes, this.labels));
  }

  async readLines(image: Mat, quads: Quad[]): Promise<DecodedChar[][]> {
    const lines = this.cropLines(image, quads);
    try {
      return await this.read(lines);
    } finally {
      // Released at once rather than left to the collector (see rectifyQuad).
      for (const line of lines) line.release();
    }
  }
}
