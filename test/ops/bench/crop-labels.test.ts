import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { readCropLabels } from '../../../ops/bench/crop-labels';
import { CROP_HOLDOUT_PERCENT, PHOTO_HOLDOUT_PERCENT, inSplit, isHeldOut } from '../../../ops/bench/holdout';
import { summarizeOcr, type CropOutcome } from '../../../ops/bench/ocr-bench';
import { useTempDir } from '../../support/temp-dir';

describe('plate crop labels and the held-out split', () => {
  const tmp = useTempDir();

  it('reads groundtruth.csv rows, plates normalized', async () => {
    writeFileSync(path.join(tmp(), 'groundtruth.csv'), 'ca1.png,ca,7abc 123\n\nny2.jpg,ny,HXY-4422\n');
    const crops = await readCropLabels(tmp());
    assert.deepEqual(
      crops.map((c) => [c.file, c.state, c.plate, c.image]),
      [
        ['ca1.png', 'ca', '7ABC123', path.join(tmp(), 'ca1.png')],
        ['ny2.jpg', 'ny', 'HXY4422', path.join(tmp(), 'ny2.jpg')],
      ],
    );
  });

  it('names the file and line of a bad row', async () => {
    const csv = path.join(tmp(), 'groundtruth.csv');
    writeFileSync(csv, 'ca1.png,ca,7ABC123\nca2.png,ca\n');
    await assert.rejects(readCropLabels(tmp()), new RegExp(`${csv.replace(/[.]/g, '\\.')}:2: expected file,state,PLATE, got 2`));
    writeFileSync(csv, 'ca1.png,ca,7ABC123\nca2.png,ca,7AB?123\n');
    await assert.rejects(readCropLabels(tmp()), /:2: plate "7AB\?123" is not letters and digits/);
    writeFileSync(csv, '../etc/passwd,ca,7ABC123\n');
    await assert.rejects(readCropLabels(tmp()), /:1: "\.\.\/etc\/passwd" is not an image file name/);
  });

  it('says which file is missing', async () => {
    await assert.rejects(readCropLabels(tmp()), /groundtruth\.csv: cannot read the crop labels \(ENOENT\)/);
  });

  it('holds out a fixed part of each set by a hash of the name', () => {
    // The same files the training split put aside (recognizer/training lines.csv).
    assert.equal(isHeldOut('ak399.png', CROP_HOLDOUT_PERCENT), true);
    assert.equal(isHeldOut('ak1165.png', CROP_HOLDOUT_PERCENT), false);
    const names = Array.from({ length: 2000 }, (_, i) => `plate${i}.png`);
    for (const [percent, low, high] of [[CROP_HOLDOUT_PERCENT, 340, 460], [PHOTO_HOLDOUT_PERCENT, 920, 1080]]) {
      const held = names.filter((n) => isHeldOut(n, percent)).length;
      assert.ok(held > low && held < high, `${held} of 2000 held out at ${percent}%`);
      const split = (s: 'heldout' | 'train') => names.filter((n) => inSplit(n, s, percent));
      assert.equal(split('heldout').length, held);
      assert.equal(split('heldout').length + split('train').length, 2000);
      assert.ok(!split('heldout').some((n) => split('train').includes(n)));
    }
    assert.ok(names.every((n) => inSplit(n, 'all', CROP_HOLDOUT_PERCENT)));
    // A crop held out at 20% stays held out at 50%: the larger part contains the smaller.
    assert.ok(names.filter((n) => isHeldOut(n, CROP_HOLDOUT_PERCENT)).every((n) => isHeldOut(n, PHOTO_HOLDOUT_PERCENT)));
  });

  it('summarizes OCR outcomes: exact, among readings, time', () => {
    const outcome = (top1: boolean, topN: boolean, ocrMs: number | null, error: string | null = null): CropOutcome => ({ image: 'x.png', label: 'A1', best: null, top1, topN, ocrMs, error });
    const s = summarizeOcr([outcome(true, true, 1), outcome(false, true, 2), outcome(false, false, 3), outcome(false, false, null, 'IMAGE_CORRUPT')], 'heldout');
    assert.deepEqual(s, { crops: 4, split: 'heldout', top1: 0.25, topN: 0.5, ocr_ms: { median: 2, p95: 3 }, errors: 1 });
  });
});
