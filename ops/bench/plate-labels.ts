import { promises as fs } from 'node:fs';
import * as path from 'node:path';

/** A labelled image: the OpenALPR benchmark's `NAME.jpg<TAB>x<TAB>y<TAB>w<TAB>h<TAB>PLATE` line. */
export interface LabelledImage {
  image: string;
  plate: string;
  box: { x: number; y: number; width: number; height: number };
}

/** How the benchmark compares plates: upper case, spaces and dashes removed. */
export function normalizePlate(text: string): string {
  return text.toUpperCase().replace(/[\s-]/g, '');
}

export class LabelError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LabelError';
  }
}

export function parseLabelLine(line: string, file: string): Omit<LabelledImage, 'image'> & { name: string } {
  const fields = line.trim().split('\t');
  if (fields.length < 6) throw new LabelError(`${file}: expected NAME, x, y, w, h, PLATE separated by tabs, got ${fields.length} field(s)`);
  const [name, x, y, w, h, ...plateParts] = fields;
  const numbers = [x, y, w, h].map(Number);
  if (numbers.some((n) => !Number.isFinite(n))) throw new LabelError(`${file}: box "${x} ${y} ${w} ${h}" is not four numbers`);
  const plate = normalizePlate(plateParts.join(''));
  if (!/^[A-Z0-9]+$/.test(plate)) throw new LabelError(`${file}: plate "${plateParts.join(' ')}" is not letters and digits`);
  return { name, plate, box: { x: numbers[0], y: numbers[1], width: numbers[2], height: numbers[3] } };
}

/** Every image in `dir` with a `.txt` label beside it, in name order; unlabelled images are listed apart. */
export async function readLabelledFolder(dir: string): Promise<{ images: LabelledImage[]; unlabelled: string[] }> {
  const entries = await fs.readdir(dir);
  const images: LabelledImage[] = [];
  const unlabelled: string[] = [];
  const imageFiles = entries.filter((e) => /\.(jpe?g|png|bmp)$/i.test(e)).sort();
  for (const file of imageFiles) {
    const labelFile = path.join(dir, file.replace(/\.[^.]+$/, '.txt'));
    let text: string;
    try {
      text = await fs.readFile(labelFile, 'utf8');
    } catch {
      unlabelled.push(file);
      continue;
    }
    const line = text.split('\n').find((l) => l.trim() !== '');
    if (!line) throw new LabelError(`${labelFile}: empty label file`);
    const { plate, box } = parseLabelLine(line, labelFile);
    images.push({ image: path.join(dir, file), plate, box });
  }
  return { images, unlabelled };
}
