import { promises as fs } from 'node:fs';
import type { PlateReader } from '../../recognizer/plate-reader';
import type { PlateFormatRules } from '../../firmware/pipeline/plate-format';
import { scoreReadings } from './score-readings';
import { readCropLabels, type LabelledCrop } from './crop-labels';
import { CROP_PARTITION, inSplit, type Split } from './holdout';
import { quantile, round } from './stats';

export interface CropOutcome {
  image: string;
  label: string;
  best: string | null;
  top1: boolean;
  topN: boolean;
  ocrMs: number | null;
  error: string | null;
}

export interface OcrSummary {
  crops: number;
  split: Split;
  top1: number;
  topN: number;
  /** Plate OCR time per crop (warp, model, decode), one thread. */
  ocr_ms: { median: number; p95: number };
  errors: number;
}

async function readCrop(crop: LabelledCrop, reader: PlateReader, rules: PlateFormatRules): Promise<CropOutcome> {
  try {
    const bytes = await fs.readFile(crop.image);
    const result = await reader.readPlateImage({ kind: 'encoded', name: crop.image, bytes });
    const { best, top1, topN } = scoreReadings(result.candidates, rules, crop.plate);
    return { image: crop.image, label: crop.plate, best, top1, topN, ocrMs: result.timings.ocr, error: null };
  } catch (err) {
    return { image: crop.image, label: crop.plate, best: null, top1: false, topN: false, ocrMs: null, error: (err as Error).message };
  }
}

export function summarizeOcr(outcomes: CropOutcome[], split: Split): OcrSummary {
  const n = outcomes.length;
  const times = outcomes.flatMap((o) => (o.ocrMs === null ? [] : [o.ocrMs]));
  return {
    crops: n,
    split,
    top1: n ? round(outcomes.filter((o) => o.top1).length / n, 4) : 0,
    topN: n ? round(outcomes.filter((o) => o.topN).length / n, 4) : 0,
    ocr_ms: { median: round(quantile(times, 0.5), 2), p95: round(quantile(times, 0.95), 2) },
    errors: outcomes.filter((o) => o.error).length,
  };
}

/**
 * The plate OCR alone on labelled plate crops (`groundtruth.csv`), one at a time in this thread:
 * each crop is taken as one whole plate, no localization.
 */
export async function runOcrBench(
  dir: string,
  reader: PlateReader,
  rules: PlateFormatRules,
  split: Split,
  onCrop: (outcome: CropOutcome, done: number, total: number) => void = () => undefined,
): Promise<{ outcomes: CropOutcome[]; summary: OcrSummary }> {
  const crops = (await readCropLabels(dir)).filter((c) => inSplit(c.file, split, CROP_PARTITION));
  const outcomes: CropOutcome[] = [];
  for (const crop of crops) {
    outcomes.push(await readCrop(crop, reader, rules));
    onCrop(outcomes[outcomes.length - 1], outcomes.length, crops.length);
  }
  return { outcomes, summary: summarizeOcr(outcomes, split) };
}
