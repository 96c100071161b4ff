import assert from 'node:assert/strict';
import cv = require('../../drivers/opencv');
import { boxIoU, quadBounds } from '../../drivers/camera/geometry';
import { loadModel } from '../../recognizer/onnx-session';
import { PlateFinder } from '../../recognizer/localize/plate-finder';
import { framesWithPlates } from '../support/synthetic-frames';

describe('PlateFinder (real onnxruntime, the committed model)', () => {
  let finder: PlateFinder;

  before(async () => {
    finder = new PlateFinder(await loadModel('plateFinder', { threads: 1 }));
  });

  it('finds the plates of synthetic traffic frames, each quad on its plate', async () => {
    const frames = await framesWithPlates(8);
    let plates = 0;
    let found = 0;
    for (const frame of frames) {
      if (frame.image.kind !== 'bgr') continue;
      const mat = new cv.Mat(frame.image.pixels, frame.image.height, frame.image.width, cv.CV_8UC3);
      const regions = await finder.find(mat);
      for (const truth of frame.truth ?? []) {
        plates++;
        if (regions.some((r) => boxIoU(quadBounds(r.quad), truth.box) > 0.4)) found++;
      }
      for (const r of regions) assert.ok(r.score >= 0.5 && r.score <= 1 && r.width > 0 && r.height > 0);
    }
    assert.ok(plates >= 8);
    assert.ok(found >= Math.ceil(plates * 0.8), `found ${found} of ${plates} plates`);
  });

  it('gives the same plates whether its input arrays are reused, and never shares them between frames in flight', async () => {
    const frames = (await framesWithPlates(3)).map((f) => {
      assert.equal(f.image.kind, 'bgr');
      return f.image.kind === 'bgr' ? new cv.Mat(f.image.pixels, f.image.height, f.image.width, cv.CV_8UC3) : new cv.Mat();
    });
    const one = async (mat: cv.Mat) => {
      const fresh = new PlateFinder(await loadModel('plateFinder', { threads: 1 }));
      return fresh.find(mat);
    };
    const expected = await Promise.all(frames.map(one));
    assert.ok(expected.some((r) => r.length > 0), 'the frames show plates');
    // One after the other: the second and third frames are packed into the first one's arrays.
    const inTurn = [];
    for (const mat of frames) inTurn.push(await finder.find(mat));
    assert.deepEqual(inTurn, expected);
    // Prepared before the first is located: each keeps its own input.
    const inputs = frames.map((mat) => finder.prepare(mat));
    assert.equal(new Set(inputs.map((i) => i.tensor.data)).size, inputs.length);
    assert.deepEqual(await Promise.all(inputs.map((i) => finder.locate(i))), expected);
  });

  it('finds nothing in a blank frame', async () => {
    assert.deepEqual(await finder.find(new cv.Mat(720, 1280, cv.CV_8UC3, [90, 90, 90])), []);
  });

  it('takes frames of any size, portrait included', async () => {
    for (const [rows, cols] of [[1632, 918], [100, 100], [480, 720]]) {
      const regions = await finder.find(new cv.Mat(rows, cols, cv.CV_8UC3, [30, 30, 30]));
      assert.ok(Array.isArray(regions));
    }
  });
});
