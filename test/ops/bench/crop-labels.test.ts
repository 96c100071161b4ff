import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { readCropLabels } from '../../../ops/bench/crop-labels';
import { bucketOf, CROP_PARTITION, inSplit, PHOTO_PARTITION, splitOf, type Partition, type Split } from '../../../ops/bench/holdout';
import { summarizeOcr, type CropOutcome } from '../../../ops/bench/ocr-bench';
import { useTempDir } from '../../support/temp-dir';

const TRAINING_DIR = path.resolve(__dirname, '../../../../recognizer/training');

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
    assert.equal(splitOf('ak399.png', CROP_PARTITION), 'heldout');
    assert.equal(splitOf('ak1165.png', CROP_PARTITION), 'train');
    const names = Array.from({ length: 2000 }, (_, i) => `plate${i}.png`);
    const cases: [Partition, Record<Exclude<Split, 'all'>, [number, number]>][] = [
      [CROP_PARTITION, { heldout: [340, 460], selection: [150, 250], train: [1300, 1500] }],
      [PHOTO_PARTITION, { heldout: [920, 1080], selection: [0, 0], train: [920, 1080] }],
    ];
    for (const [partition, expected] of cases) {
      const parts = (['heldout', 'selection', 'train'] as const).map((s) => names.filter((n) => inSplit(n, s, partition)));
      (['heldout', 'selection', 'train'] as const).forEach((s, i) => {
        const [low, high] = expected[s];
        assert.ok(parts[i].length >= low && parts[i].length <= high, `${parts[i].length} of 2000 in ${s}`);
      });
      // Every name in exactly one part.
      assert.equal(new Set(parts.flat()).size, 2000);
      assert.equal(parts.flat().length, 2000);
      assert.ok(names.every((n) => inSplit(n, 'all', partition)));
    }
    // A crop held out stays held out among the photos' larger held-out part (same buckets), and the
    // crops' selection part lies inside the photos' held-out half: the two never share a bucket with training.
    const cropHeld = names.filter((n) => splitOf(n, CROP_PARTITION) === 'heldout');
    assert.ok(cropHeld.every((n) => splitOf(n, PHOTO_PARTITION) === 'heldout'));
    assert.ok(names.filter((n) => splitOf(n, CROP_PARTITION) === 'selection').every((n) => bucketOf(n) >= 20 && bucketOf(n) < 30));
  });

  it('is the split the training scripts use (recognizer/training/holdout.py)', function () {
    // Python cannot import the TypeScript rule, so holdout.py repeats it: both must put every
    // name in the same part, or training would read crops the benchmarks hold out.
    const names = [...Array.from({ length: 500 }, (_, i) => `plate${i}.png`), 'ak399.png', 'ak1165.png', '12c6cb72-3ea3-49e7-b381-e0cdfc5e8960.jpg', 'é-plaque.png'];
    const script = [
      'import json, sys',
      `sys.path.insert(0, ${JSON.stringify(TRAINING_DIR)})`,
      'import holdout',
      'names = json.load(sys.stdin)',
      'print(json.dumps({"crop": list(holdout.CROP_PARTITION), "photo": list(holdout.PHOTO_PARTITION),',
      '  "splits": [[holdout.split_of(n, holdout.CROP_PARTITION), holdout.split_of(n, holdout.PHOTO_PARTITION)] for n in names]}))',
    ].join('\n');
    const run = spawnSync('python3', ['-c', script], { input: JSON.stringify(names), encoding: 'utf8' });
    if ((run.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') this.skip();
    assert.equal(run.status, 0, run.stderr);
    const python = JSON.parse(run.stdout) as { crop: number[]; photo: number[]; splits: string[][] };
    assert.deepEqual(python.crop, [CROP_PARTITION.heldOutPercent, CROP_PARTITION.selectionPercent]);
    assert.deepEqual(python.photo, [PHOTO_PARTITION.heldOutPercent, PHOTO_PARTITION.selectionPercent]);
    assert.deepEqual(python.splits, names.map((n) => [splitOf(n, CROP_PARTITION), splitOf(n, PHOTO_PARTITION)]));
    // Not a vacuous match: the names fall in every part.
    assert.deepEqual(new Set(python.splits.map(([crop]) => crop)), new Set(['heldout', 'selection', 'train']));
  });

  it('summarizes OCR outcomes: exact, among readings, time', () => {
    const outcome = (top1: boolean, topN: boolean, ocrMs: number | null, error: string | null = null): CropOutcome => ({ image: 'x.png', label: 'A1', best: null, top1, topN, ocrMs, error });
    const s = summarizeOcr([outcome(true, true, 1), outcome(false, true, 2), outcome(false, false, 3), outcome(false, false, null, 'IMAGE_CORRUPT')], 'heldout');
    assert.deepEqual(s, { crops: 4, split: 'heldout', top1: 0.25, topN: 0.5, ocr_ms: { median: 2, p95: 3 }, errors: 1 });
  });
});
