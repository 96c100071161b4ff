import { promises as fs } from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { StageTimings } from '../../recognizer/candidate';
import type { RecognizerPool } from '../../recognizer/recognizer-pool';
import type { PlateFormatRules } from '../../firmware/pipeline/plate-format';
import { scoreReadings } from './score-readings';
import { readLabelledFolder, type LabelledImage } from './plate-labels';
import { quantile, round } from './stats';
import { inSplit, PHOTO_PARTITION, type Split } from './holdout';
import * as path from 'node:path';

export interface ImageOutcome {
  image: string;
  label: string;
  /** Best candidate's text, or null when nothing plate-like was read. */
  best: string | null;
  /** Every reading offered: candidates and their alternatives, best first. */
  readings: string[];
  top1: boolean;
  topN: boolean;
  /** Some candidate lies on the labelled plate (its centre inside the label box), read right or not. */
  found: boolean;
  latencyMs: number;
  timings: StageTimings | null;
  error: string | null;
}

export interface AccuracySummary {
  images: number;
  split: Split;
  top1: number;
  topN: number;
  latency_ms: { median: number; p95: number };
  /** Median time of each recognizer stage, ms. */
  stages_ms: { decode: number; preprocess: number; localize: number; ocr: number };
  errors: number;
}

export async function recognizeLabelled(
  item: LabelledImage,
  pool: RecognizerPool,
  rules: PlateFormatRules,
): Promise<ImageOutcome> {
  const start = performance.now();
  try {
    const bytes = await fs.readFile(item.image);
    const result = await pool.recognize({ kind: 'encoded', name: item.image, bytes });
    const latencyMs = performance.now() - start;
    const scored = scoreReadings(result.candidates, rules, item.plate);
    const b = item.box;
    const found = result.candidates.some((c) => {
      const cx = c.quad.reduce((sum, p) => sum + p.x, 0) / 4;
      const cy = c.quad.reduce((sum, p) => sum + p.y, 0) / 4;
      return cx >= b.x && cx <= b.x + b.width && cy >= b.y && cy <= b.y + b.height;
    });
    return { image: item.image, label: item.plate, ...scored, found, latencyMs, timings: result.timings, error: null };
  } catch (err) {
    const latencyMs = performance.now() - start;
    return { image: item.image, label: item.plate, best: null, readings: [], top1: false, topN: false, found: false, latencyMs, timings: null, error: (err as Error).message };
  }
}

export function summarize(outcomes: ImageOutcome[], split: Split = 'all'): AccuracySummary {
  const n = outcomes.length;
  const latencies = outcomes.map((o) => o.latencyMs);
  const stage = (key: keyof StageTimings) => round(quantile(outcomes.filter((o) => o.timings).map((o) => o.timings![key]), 0.5));
  return {
    images: n,
    split,
    top1: n ? round(outcomes.filter((o) => o.top1).length / n, 4) : 0,
    topN: n ? round(outcomes.filter((o) => o.topN).length / n, 4) : 0,
    latency_ms: { median: round(quantile(latencies, 0.5)), p95: round(quantile(latencies, 0.95)) },
    stages_ms: { decode: stage('decode'), preprocess: stage('preprocess'), localize: stage('localize'), ocr: stage('ocr') },
    errors: outcomes.filter((o) => o.error).length,
  };
}

/**
 * Recognizes every labelled image in `dir`, `concurrency` at a time (one per worker), and
 * reports each as it finishes.
 */
export async function runAccuracyBench(
  dir: string,
  pool: RecognizerPool,
  rules: PlateFormatRules,
  split: Split,
  onImage: (outcome: ImageOutcome, done: number, total: number) => void = () => undefined,
): Promise<{ outcomes: ImageOutcome[]; summary: AccuracySummary; unlabelled: string[] }> {
  const labelled = await readLabelledFolder(dir);
  const images = labelled.images.filter((i) => inSplit(path.basename(i.image), split, PHOTO_PARTITION));
  const { unlabelled } = labelled;
  const outcomes: ImageOutcome[] = new Array(images.length);
  let next = 0;
  let done = 0;
  const lane = async () => {
    while (next < images.length) {
      const index = next++;
      outcomes[index] = await recognizeLabelled(images[index], pool, rules);
      onImage(outcomes[index], ++done, images.length);
    }
  };
  await Promise.all(Array.from({ length: pool.size }, lane));
  return { outcomes, summary: summarize(outcomes, split), unlabelled };
}
