import assert from 'node:assert/strict';
import type { FrameImage } from '../../../drivers/camera/frame';
import type { Quad } from '../../../drivers/camera/geometry';
import type { PlateCandidate } from '../../../recognizer/candidate';
import { PlateFormatRules } from '../../../firmware/pipeline/plate-format';
import { PlateTracker, type FrameStamp, type TrackerOptions } from '../../../firmware/pipeline/tracker';

const OPTIONS: TrackerOptions = { windowMs: 1000, maxTrackMs: 10_000, minFrames: 2, confirmFrames: 3, maxAlternatives: 5 };
const rules = new PlateFormatRules({ region: 'us', mode: 'downrank', custom: [] });

function quadAt(x: number, y: number, w = 120, h = 40): Quad {
  return [{ x, y }, { x: x + w, y }, { x: x + w, y: y + h }, { x, y: y + h }];
}

function candidate(text: string, x: number, confidence = 0.9, y = 500): PlateCandidate {
  return {
    text,
    confidence,
    charConfidences: [...text].map(() => confidence),
    alternatives: [],
    quad: quadAt(x, y),
    crop: Buffer.from(`crop-${text}-${x}`),
  };
}

function frame(seq: number, sourceId = 'cam'): FrameStamp {
  return { sourceId, seq, capturedAt: 1_000_000 + seq * 100, capturedMono: seq * 100 };
}

describe('PlateTracker', () => {
  it('votes one vehicle\'s readings across frames into one read, with the others as alternatives', () => {
    const tracker = new PlateTracker({ ...OPTIONS, confirmFrames: 100 }, rules);
    const texts = ['7ABC123', '7ABC128', '7ABC123', '7ABC123', '1ABC123'];
    const reads = texts.flatMap((t, i) => tracker.observe(frame(i), [candidate(t, 100 + i * 30)]));
    assert.equal(reads.length, 0, 'nothing emitted while the vehicle is in view');
    const [done] = tracker.flush(1_000_000 + 4 * 100 + OPTIONS.windowMs);
    assert.ok(done);
    assert.equal(done.read.plate, '7ABC123');
    assert.equal(done.read.frameCount, 5);
    assert.deepEqual(done.read.alternatives.map((a) => a.plate).sort(), ['1ABC123', '7ABC128']);
    assert.equal(done.read.firstSeen, 1_000_000);
    assert.equal(done.read.lastSeen, 1_000_400);
    assert.equal(done.read.format, 'CA 1ABC234');
    assert.ok(done.read.confidence > 0 && done.read.confidence <= 0.9);
    assert.equal(tracker.activeTracks, 0);
  });

  it('keeps the crop of the most confident agreeing sighting', () => {
    const tracker = new PlateTracker({ ...OPTIONS, confirmFrames: 100 }, rules);
    tracker.observe(frame(0), [candidate('7ABC123', 100, 0.7)]);
    tracker.observe(frame(1), [candidate('7ABC123', 130, 0.95)]);
    tracker.observe(frame(2), [candidate('7ABC128', 160, 0.99)]);
    const [done] = tracker.flushAll();
    assert.equal(done.read.plate, '7ABC123');
    assert.equal(done.read.crop.toString(), 'crop-7ABC123-130');
    assert.deepEqual(done.read.quad, quadAt(130, 500));
  });

  it('hands back the full frame of the sighting the crop came from', () => {
    const tracker = new PlateTracker({ ...OPTIONS, confirmFrames: 100 }, rules);
    const image = (name: string): FrameImage => ({ kind: 'encoded', name, bytes: Buffer.from(name) });
    const frames = [image('f0'), image('f1'), image('f2'), image('f3')];
    tracker.observe(frame(0), [candidate('7ABC123', 100, 0.7)], frames[0]);
    tracker.observe(frame(1), [candidate('7ABC123', 130, 0.95)], frames[1]);
    tracker.observe(frame(2), [candidate('7ABC123', 160, 0.8)], frames[2]);
    tracker.observe(frame(3), [candidate('7ABC128', 190, 0.99)], frames[3]);
    const [done] = tracker.flushAll();
    assert.equal(done.read.crop.toString(), 'crop-7ABC123-130');
    assert.equal(done.frame, frames[1]);
  });

  it('reads without a frame when the recognizer handed none back', () => {
    const tracker = new PlateTracker({ ...OPTIONS, confirmFrames: 100 }, rules);
    tracker.observe(frame(0), [candidate('7ABC123', 100)]);
    tracker.observe(frame(1), [candidate('7ABC123', 130)]);
    assert.equal(tracker.flushAll()[0].frame, null);
  });

  it('emits a read as soon as enough frames agree, once per vehicle', () => {
    const tracker = new PlateTracker(OPTIONS, rules);
    assert.deepEqual(tracker.observe(frame(0), [candidate('8XYZ456', 100)]), []);
    assert.deepEqual(tracker.observe(frame(1), [candidate('8XYZ456', 140)]), []);
    const confirmed = tracker.observe(frame(2), [candidate('8XYZ456', 180)]);
    assert.equal(confirmed.length, 1);
    assert.equal(confirmed[0].read.plate, '8XYZ456');
    assert.deepEqual(confirmed[0].decidedBy, frame(2));
    assert.deepEqual(tracker.observe(frame(3), [candidate('8XYZ456', 220)]), [], 'the same vehicle is not read twice');
    assert.deepEqual(tracker.flushAll(), []);
  });

  it('confirms early on direct readings even when every reading offers several alternatives', () => {
    const tracker = new PlateTracker(OPTIONS, rules);
    const offering = (x: number) => ({
      ...candidate('8XYZ456', x, 0.9),
      alternatives: ['8XYZ45', 'BXYZ456', '8XY2456', '8XYZ4S6', '8XYZ466'].map((text) => ({ text, confidence: 0.85 })),
    });
    assert.deepEqual(tracker.observe(frame(0), [offering(100)]), []);
    assert.deepEqual(tracker.observe(frame(1), [offering(140)]), []);
    const confirmed = tracker.observe(frame(2), [offering(180)]);
    assert.deepEqual(confirmed.map((r) => r.read.plate), ['8XYZ456']);
  });

  it('does not confirm early while direct readings disagree', () => {
    const tracker = new PlateTracker(OPTIONS, rules);
    const texts = ['8XYZ456', '8XYZ458', '8XYZ459', '8XYZ456', '8XYZ458', '8XYZ459', '8XYZ456'];
    const early = texts.flatMap((t, i) => tracker.observe(frame(i), [candidate(t, 100 + i * 40)]));
    assert.deepEqual(early, [], 'the leader never holds 60% of the direct readings');
    assert.deepEqual(tracker.flushAll().map((r) => r.read.plate), ['8XYZ456']);
  });

  it('follows a fast plate that jumps far between the frames a busy recognizer took, by its text', () => {
    const tracker = new PlateTracker({ ...OPTIONS, confirmFrames: 100 }, rules);
    // 400 px per sighting: more than three plate widths, too far for position alone.
    for (let i = 0; i < 3; i++) tracker.observe(frame(i * 8), [candidate('6KLM321', 100 + i * 400)]);
    const reads = tracker.flushAll();
    assert.deepEqual(reads.map((r) => [r.read.plate, r.read.frameCount]), [['6KLM321', 3]]);
  });

  it('does not join different plates just because they are far apart in time and space', () => {
    const tracker = new PlateTracker({ ...OPTIONS, confirmFrames: 100 }, rules);
    tracker.observe(frame(0), [candidate('6KLM321', 100)]);
    tracker.observe(frame(1), [candidate('6KLM321', 120)]);
    tracker.observe(frame(2), [candidate('2WXY987', 700)]);
    tracker.observe(frame(3), [candidate('2WXY987', 720)]);
    assert.deepEqual(tracker.flushAll().map((r) => r.read.plate).sort(), ['2WXY987', '6KLM321']);
  });

  it('keeps two vehicles in the same frames apart by position', () => {
    const tracker = new PlateTracker({ ...OPTIONS, confirmFrames: 100 }, rules);
    for (let i = 0; i < 4; i++) {
      tracker.observe(frame(i), [candidate('7ABC123', 100 + i * 20, 0.9, 200), candidate('5DEF678', 1200 - i * 20, 0.9, 800)]);
    }
    const plates = tracker.flushAll().map((r) => r.read.plate).sort();
    assert.deepEqual(plates, ['5DEF678', '7ABC123']);
  });

  it('starts a new read for the next vehicle once the first has been gone for the window', () => {
    const tracker = new PlateTracker({ ...OPTIONS, confirmFrames: 100 }, rules);
    tracker.observe(frame(0), [candidate('7ABC123', 100)]);
    tracker.observe(frame(1), [candidate('7ABC123', 120)]);
    // 20 frames (2 s) later, a different car at the same spot.
    const ended = tracker.observe(frame(21), [candidate('4QRS789', 100)]);
    assert.deepEqual(ended.map((r) => r.read.plate), ['7ABC123']);
    tracker.observe(frame(22), [candidate('4QRS789', 120)]);
    assert.deepEqual(tracker.flushAll().map((r) => r.read.plate), ['4QRS789']);
  });

  it('drops tracks seen in fewer than minFrames frames as noise', () => {
    const tracker = new PlateTracker({ ...OPTIONS, minFrames: 2 }, rules);
    tracker.observe(frame(0), [candidate('7ABC123', 100)]);
    assert.deepEqual(tracker.flushAll(), []);
  });

  it('ends a track that stays in view longer than maxTrackMs', () => {
    const tracker = new PlateTracker({ ...OPTIONS, maxTrackMs: 500, confirmFrames: 100 }, rules);
    let ended: string[] = [];
    for (let i = 0; i < 8; i++) ended = ended.concat(tracker.observe(frame(i), [candidate('7ABC123', 100)]).map((r) => r.read.plate));
    assert.deepEqual(ended, ['7ABC123']);
  });

  it('votes for the alternative that fits a format when the recognizer found it nearly as likely', () => {
    const tracker = new PlateTracker({ ...OPTIONS, confirmFrames: 100 }, rules);
    const withZero = (x: number) => ({ ...candidate('MLOC2S', x), alternatives: [{ text: 'ML0C2S', confidence: 0.85 }] });
    tracker.observe(frame(0), [withZero(100)]);
    tracker.observe(frame(1), [withZero(130)]);
    const [done] = tracker.flushAll();
    assert.equal(done.read.plate, 'ML0C2S');
    assert.ok(done.read.alternatives.some((a) => a.plate === 'MLOC2S'));
  });

  it('never mixes sightings from different cameras', () => {
    const tracker = new PlateTracker({ ...OPTIONS, confirmFrames: 100 }, rules);
    tracker.observe(frame(0, 'a'), [candidate('7ABC123', 100)]);
    tracker.observe(frame(0, 'b'), [candidate('7ABC123', 100)]);
    tracker.observe(frame(1, 'a'), [candidate('7ABC123', 120)]);
    tracker.observe(frame(1, 'b'), [candidate('7ABC123', 120)]);
    const reads = tracker.flushAll();
    assert.deepEqual(reads.map((r) => r.read.sourceId).sort(), ['a', 'b']);
    assert.ok(reads.every((r) => r.read.frameCount === 2));
  });
});
