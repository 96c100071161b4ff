import assert from 'node:assert/strict';
import { inFrame, isWholeFrame, roiPixels, validateRoi, WHOLE_FRAME } from '../../recognizer/preprocess/region-of-interest';
import type { FrameRecognition } from '../../recognizer/candidate';

describe('region of interest', () => {
  it('covers whole pixels: the edges rounded outwards, inside the frame', () => {
    assert.deepEqual(roiPixels({ x: 0.1, y: 0.25, width: 0.8, height: 0.5 }, 1920, 1080), { x: 192, y: 270, width: 1536, height: 540 });
    assert.deepEqual(roiPixels({ x: 0.3333, y: 0, width: 0.3334, height: 1 }, 1280, 720), { x: 426, y: 0, width: 428, height: 720 });
    assert.deepEqual(roiPixels(WHOLE_FRAME, 640, 480), { x: 0, y: 0, width: 640, height: 480 });
  });

  it('knows the whole frame', () => {
    assert.equal(isWholeFrame(WHOLE_FRAME), true);
    assert.equal(isWholeFrame({ x: 0, y: 0.01, width: 1, height: 0.99 }), false);
  });

  it('names the bad fraction', () => {
    assert.throws(() => validateRoi({ x: -0.1, y: 0, width: 1, height: 1 }), /region of interest x must be a fraction in 0..1, got -0.1/);
    assert.throws(() => validateRoi({ x: 0, y: 0, width: 0, height: 1 }), /must have a width and height above 0, got 0 x 1/);
    assert.throws(() => validateRoi({ x: 0, y: 0.7, width: 1, height: 0.5 }), /y \+ height must be at most 1, got 0.7 \+ 0.5/);
    assert.throws(() => validateRoi({ x: 0, y: 0, width: Number.NaN, height: 1 }), /width must be a fraction in 0..1, got NaN/);
  });

  it('moves candidates found in the region to frame pixels, and gives the frame\'s size', () => {
    const result: FrameRecognition = {
      width: 1536,
      height: 540,
      timings: { decode: 1, preprocess: 2, localize: 3, ocr: 4, total: 10 },
      candidates: [
        {
          text: 'ABC123', confidence: 0.9, charConfidences: [1, 1, 1, 1, 1, 1], alternatives: [], crop: Buffer.alloc(1),
          quad: [{ x: 10, y: 20 }, { x: 110, y: 20 }, { x: 110, y: 70 }, { x: 10, y: 70 }],
        },
      ],
    };
    const moved = inFrame(result, { x: 192, y: 270, width: 1536, height: 540 }, 1920, 1080);
    assert.equal(moved.width, 1920);
    assert.equal(moved.height, 1080);
    assert.deepEqual(moved.candidates[0].quad, [{ x: 202, y: 290 }, { x: 302, y: 290 }, { x: 302, y: 340 }, { x: 202, y: 340 }]);
    assert.equal(moved.candidates[0].text, 'ABC123');
    assert.deepEqual(moved.timings, result.timings);
  });
});
