import type { Mat } from '@u4/opencv4nodejs';
import type { Quad } from '../../drivers/camera/geometry';
import type { DecodedChar } from './ctc-decode';

/** Reads the text lines at `quads` of an image: one decoded character list per quad. */
export interface LineReader {
  readLines(image: Mat, quads: Quad[]): Promise<DecodedChar[][]>;
}
