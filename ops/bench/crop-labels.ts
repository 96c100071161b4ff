import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { LabelError, normalizePlate } from './plate-labels';

/** A labelled plate crop: a `groundtruth.csv` row `file,state,PLATE`. */
export interface LabelledCrop {
  image: string;
  file: string;
  state: string;
  plate: string;
}

/** Reads DIR/groundtruth.csv; a bad row is an error naming its line. */
export async function readCropLabels(dir: string): Promise<LabelledCrop[]> {
  const csv = path.join(dir, 'groundtruth.csv');
  let text: string;
  try {
    text = await fs.readFile(csv, 'utf8');
  } catch (err) {
    throw new LabelError(`${csv}: cannot read the crop labels (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  const crops: LabelledCrop[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '') return;
    const fields = line.split(',');
    if (fields.length !== 3) throw new LabelError(`${csv}:${i + 1}: expected file,state,PLATE, got ${fields.length} field(s)`);
    const [file, state, label] = fields.map((f) => f.trim());
    const plate = normalizePlate(label);
    if (!/^[^/\\]+\.(png|jpe?g|bmp)$/i.test(file)) throw new LabelError(`${csv}:${i + 1}: "${file}" is not an image file name`);
    if (!/^[A-Z0-9]+$/.test(plate)) throw new LabelError(`${csv}:${i + 1}: plate "${label}" is not letters and digits`);
    crops.push({ image: path.join(dir, file), file, state, plate });
  });
  return crops;
}
