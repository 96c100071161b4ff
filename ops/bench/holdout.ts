import { createHash } from 'node:crypto';

/**
 * The fixed parts of the labelled sets that training never sees. A file is held out when the
 * first four bytes of the sha256 of its name, big-endian, mod 100, are below the set's percent.
 * recognizer/training (extract-real-lines.js, train.py, train_finder.py) uses the same rule.
 */
export const CROP_HOLDOUT_PERCENT = 20;
/** Half the full-frame photos: the figures reported on them need a fair number. */
export const PHOTO_HOLDOUT_PERCENT = 50;

export type Split = 'all' | 'heldout' | 'train';
export const SPLITS: readonly Split[] = ['all', 'heldout', 'train'];

export function isHeldOut(fileName: string, percent: number): boolean {
  return createHash('sha256').update(fileName).digest().readUInt32BE(0) % 100 < percent;
}

export function inSplit(fileName: string, split: Split, percent: number): boolean {
  return split === 'all' || isHeldOut(fileName, percent) === (split === 'heldout');
}
