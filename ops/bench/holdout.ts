import { createHash } from 'node:crypto';

/**
 * The fixed parts of the labelled sets. Each file falls in a bucket, 0-99: the first four bytes
 * of the sha256 of its name, big-endian, mod 100. The lowest buckets are held out (never read by
 * training, nor by the choice of a checkpoint); the next ones, where a set has them, are the
 * selection part (never trained on: training picks its checkpoint there, and recognizer
 * decisions are measured there); the rest is trained on.
 * recognizer/training (holdout.py, extract-real-lines.js) uses the same rule; a test runs
 * holdout.py against this file.
 */
export interface Partition {
  heldOutPercent: number;
  selectionPercent: number;
}

/** The plate crops: a fifth held out, a tenth for checkpoint selection. */
export const CROP_PARTITION: Partition = { heldOutPercent: 20, selectionPercent: 10 };
/** Half the full-frame photos held out (the figures reported on them need a fair number); too few for a selection part. */
export const PHOTO_PARTITION: Partition = { heldOutPercent: 50, selectionPercent: 0 };

export type Split = 'all' | 'heldout' | 'selection' | 'train';
export const SPLITS: readonly Split[] = ['all', 'heldout', 'selection', 'train'];

export function bucketOf(fileName: string): number {
  return createHash('sha256').update(fileName).digest().readUInt32BE(0) % 100;
}

export function splitOf(fileName: string, partition: Partition): Exclude<Split, 'all'> {
  const bucket = bucketOf(fileName);
  if (bucket < partition.heldOutPercent) return 'heldout';
  if (bucket < partition.heldOutPercent + partition.selectionPercent) return 'selection';
  return 'train';
}

export function inSplit(fileName: string, split: Split, partition: Partition): boolean {
  return split === 'all' || splitOf(fileName, partition) === split;
}
