import assert from 'node:assert/strict';
import type { Frame } from '../../drivers/camera/frame';
import { boxIoU, quadBounds, type Box } from '../../drivers/camera/geometry';
import { PlateReader } from '../../recognizer/plate-reader';
import { DEFAULT_MOTION_GATE_OPTIONS } from '../../recognizer/preprocess/motion-gate';
import type { RegionOfInterest } from '../../recognizer/preprocess/region-of-interest';
import { RecognizerError } from '../../recognizer/recognizer-error';
import { framesWithPlates } from '../support/synthetic-frames';

/** A band of the frame's full width around (or away from) a plate box, as fractions. */
function bandAround(box: Box, frame: { width: number; height: number }): RegionOfInterest {
  const y = Math.max(0, box.y - 2 * box.height) / frame.height;
  const bottom = Math.min(frame.height, box.y + 3 * box.height) / frame.height;
  return { x: 0, y, width: 1, height: bottom - y };
}

describe('PlateReader region of interest and motion gate (real OpenCV and onnxruntime)', () => {
  let frames: Frame[];
  let whole: PlateReader;

  before(async () => {
    // Frames with exactly one plate, and that plate read on the whole frame.
    whole = await PlateReader.load({ threads: 1 });
    const candidates = (await framesWithPlates(12)).filter((f) => f.truth!.length === 1);
    frames = [];
    for (const frame of candidates) {
      const result = await whole.read(frame.image);
      if (result.candidates.some((c) => c.text === frame.truth![0].text)) frames.push(frame);
      if (frames.length === 3) break;
    }
    assert.equal(frames.length, 3, 'three synthetic frames whose one plate reads on the whole frame');
  });

  it('reads a plate inside the region, with its quad in frame pixels', async () => {
    for (const frame of frames) {
      const truth = frame.truth![0];
      const image = frame.image;
      assert.equal(image.kind, 'bgr');
      const size = { width: image.kind === 'bgr' ? image.width : 0, height: image.kind === 'bgr' ? image.height : 0 };
      const reader = await PlateReader.load({ threads: 1, roi: bandAround(truth.box, size) });
      const result = await reader.read(image);
      assert.equal(result.width, size.width, 'sizes are the whole frame\'s');
      assert.equal(result.height, size.height);
      const hit = result.candidates.find((c) => c.text === truth.text);
      assert.ok(hit, `${truth.text} read inside its band; got ${result.candidates.map((c) => c.text).join(', ') || 'nothing'}`);
      assert.ok(boxIoU(quadBounds(hit.quad), truth.box) > 0.3, `the quad of ${truth.text} lies on its plate in frame pixels`);
    }
  });

  it('does not read a plate outside the region', async () => {
    for (const frame of frames) {
      const truth = frame.truth![0];
      const image = frame.image;
      const height = image.kind === 'bgr' ? image.height : 0;
      // The part of the frame above the plate, or below it when the plate sits high.
      const above = truth.box.y / height;
      const below = (truth.box.y + truth.box.height) / height;
      const roi: RegionOfInterest = above >= 0.2 ? { x: 0, y: 0, width: 1, height: above } : { x: 0, y: below, width: 1, height: 1 - below };
      const reader = await PlateReader.load({ threads: 1, roi });
      const result = await reader.read(image);
      assert.ok(!result.candidates.some((c) => c.text === truth.text), `${truth.text} lies outside ${JSON.stringify(roi)}`);
    }
  });

  it('passes a live frame unread when nothing moved, and reads it when asked without the gate', async () => {
    const reader = await PlateReader.load({ threads: 1, motionGate: { ...DEFAULT_MOTION_GATE_OPTIONS, heartbeatMs: 60_000 } });
    const [first, second] = frames;
    const truth = first.truth![0].text;

    const read = await reader.read(first.image, { gate: true });
    assert.equal(read.still, undefined);
    assert.ok(read.candidates.some((c) => c.text === truth));

    const again = await reader.read(first.image, { gate: true });
    assert.equal(again.still, true, 'the same frame again: nothing moved');
    assert.deepEqual(again.candidates, []);
    assert.equal(again.timings.localize, 0);
    assert.equal(again.timings.ocr, 0);

    const stillImage = await reader.read(first.image);
    assert.equal(stillImage.still, undefined, 'a still image (no gate) is always read');
    assert.ok(stillImage.candidates.some((c) => c.text === truth));

    const next = await reader.read(second.image, { gate: true });
    assert.equal(next.still, undefined, 'another scene moment is read');
    assert.ok(next.candidates.some((c) => c.text === second.truth![0].text));
  });

  it('gates on the region of interest only: motion outside it does not open the gate', async () => {
    const [first] = frames;
    assert.ok(first.image.kind === 'bgr');
    const { width, height } = first.image;
    const truth = first.truth![0];
    const roi = bandAround(truth.box, { width, height });
    const reader = await PlateReader.load({ threads: 1, roi, motionGate: { ...DEFAULT_MOTION_GATE_OPTIONS, heartbeatMs: 60_000 } });
    assert.ok((await reader.read(first.image, { gate: true })).candidates.some((c) => c.text === truth.text));
    // A bright block moves into the rows outside the band: nothing moved inside it.
    const pixels = Buffer.from(first.image.pixels);
    const outside = roi.y * height > height / 2 ? { from: 0, to: Math.floor(roi.y * height) } : { from: Math.ceil((roi.y + roi.height) * height), to: height };
    assert.ok(outside.to - outside.from >= 40, `rows ${outside.from}-${outside.to} outside the band`);
    for (let y = outside.from; y < outside.to; y++) pixels.fill(250, (y * width) * 3, (y * width + width / 2) * 3);
    const changedOutside = await reader.read({ ...first.image, pixels }, { gate: true });
    assert.equal(changedOutside.still, true);
    // The same block inside the band opens it.
    const inside = Buffer.from(first.image.pixels);
    const top = Math.ceil(roi.y * height);
    for (let y = top; y < top + 40; y++) inside.fill(250, (y * width) * 3, (y * width + width / 2) * 3);
    const changedInside = await reader.read({ ...first.image, pixels: inside }, { gate: true });
    assert.equal(changedInside.still, undefined);
  });

  it('reads every frame without a gate configured, gate asked or not', async () => {
    const [first] = frames;
    await whole.read(first.image, { gate: true });
    const again = await whole.read(first.image, { gate: true });
    assert.equal(again.still, undefined);
    assert.ok(again.candidates.length > 0);
  });

  it('refuses a region outside the frame at load, and a frame too small for the region', async () => {
    await assert.rejects(PlateReader.load({ threads: 1, roi: { x: 0.5, y: 0, width: 0.6, height: 1 } }), /region of interest x \+ width must be at most 1, got 0.5 \+ 0.6/);
    const reader = await PlateReader.load({ threads: 1, roi: { x: 0, y: 0, width: 0.1, height: 0.1 } });
    const tiny = { kind: 'bgr' as const, width: 160, height: 120, pixels: Buffer.alloc(160 * 120 * 3, 90) };
    await assert.rejects(reader.read(tiny), (err: unknown) => {
      assert.ok(err instanceof RecognizerError);
      assert.equal(err.code, 'IMAGE_INVALID');
      assert.match(err.message, /is 16x12 px in a 160x120 frame; at least 32 px a side is needed/);
      return true;
    });
  });
});
