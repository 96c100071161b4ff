import assert from 'node:assert/strict';
import type { Mat } from '@u4/opencv4nodejs';
import cv = require('../../drivers/opencv');
import { DEFAULT_MOTION_GATE_OPTIONS, MotionGate } from '../../recognizer/preprocess/motion-gate';

const FRAME_MS = 40;

/** Deterministic N(0, 1) draws (mulberry32 and Box-Muller): the same noise on every run. */
function gaussian(seed: number): () => number {
  let a = seed >>> 0;
  const uniform = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(uniform() + 1e-12)) * Math.cos(2 * Math.PI * uniform());
}

/** Unit-sigma noise, drawn once; each frame reads it from another place (`noiseFrom`). */
const NOISE = Float32Array.from({ length: 1 << 20 }, gaussian(7));
let noiseFrom = 0;

/**
 * A 1920x1080 road: flat grey (`offset` levels brighter), lane marks, whatever `draw` adds, and
 * sensor noise of the given sigma, fresh each frame.
 */
function roadFrame(noiseSigma: number, draw?: (mat: Mat) => void, offset = 0): Mat {
  const pixels = Buffer.alloc(1080 * 1920 * 3);
  for (let i = 0; i < pixels.length; i += 3) {
    pixels[i] = 90 + offset;
    pixels[i + 1] = 95 + offset;
    pixels[i + 2] = 100 + offset;
  }
  const frame = new cv.Mat(pixels, 1080, 1920, cv.CV_8UC3);
  for (let x = 100; x < 1920; x += 300) frame.drawRectangle(new cv.Rect(x, 700, 120, 12), new cv.Vec3(230, 230, 230), cv.FILLED);
  draw?.(frame);
  if (noiseSigma === 0) return frame;
  const noisy = frame.getData();
  // A step that is no multiple of the frame's length: consecutive frames get different noise.
  noiseFrom = (noiseFrom + 104_729) % NOISE.length;
  for (let i = 0; i < noisy.length; i++) noisy[i] = Math.max(0, Math.min(255, Math.round(noisy[i] + noiseSigma * NOISE[(noiseFrom + i) % NOISE.length])));
  return new cv.Mat(noisy, 1080, 1920, cv.CV_8UC3);
}

/** A dark car body with a white plate, its left edge at x. */
function car(x: number): (mat: Mat) => void {
  return (mat) => {
    mat.drawRectangle(new cv.Rect(x, 500, 420, 260), new cv.Vec3(40, 30, 120), cv.FILLED);
    mat.drawRectangle(new cv.Rect(x + 150, 680, 120, 60), new cv.Vec3(235, 235, 235), cv.FILLED);
  };
}

/** Which of the frames (0-based) the gate reads, frames FRAME_MS apart. */
function readFrames(gate: MotionGate, frames: Mat[]): number[] {
  return frames.flatMap((frame, i) => (gate.shouldRead(frame, i * FRAME_MS) ? [i] : []));
}

describe('MotionGate (real OpenCV)', () => {
  it('reads the first frame, then only heartbeats of a still, noisy road', () => {
    const gate = new MotionGate({ ...DEFAULT_MOTION_GATE_OPTIONS, heartbeatMs: 500 });
    const frames = Array.from({ length: 30 }, () => roadFrame(8));
    // 500 ms at 40 ms a frame: every 13th frame (520 ms) is due.
    assert.deepEqual(readFrames(gate, frames), [0, 13, 26]);
  });

  it('reads every frame while a car drives through', () => {
    const gate = new MotionGate({ ...DEFAULT_MOTION_GATE_OPTIONS, heartbeatMs: 60_000 });
    const still = roadFrame(6);
    assert.equal(gate.shouldRead(still, 0), true);
    const moving = Array.from({ length: 12 }, (_, i) => roadFrame(6, car(300 + 30 * i)));
    const read = moving.flatMap((frame, i) => (gate.shouldRead(frame, (i + 1) * FRAME_MS) ? [i] : []));
    assert.deepEqual(read, moving.map((_, i) => i));
  });

  it('stops reading a car that has stopped, until the heartbeat', () => {
    const gate = new MotionGate({ ...DEFAULT_MOTION_GATE_OPTIONS, heartbeatMs: 400 });
    const parked = Array.from({ length: 15 }, () => roadFrame(6, car(700)));
    // Frame 0 is new to the gate; 400 ms later (frame 10) the heartbeat reads it again.
    assert.deepEqual(readFrames(gate, parked), [0, 10]);
  });

  it('adds up a change too slow to see between two frames, against the last frame read', () => {
    const gate = new MotionGate({ ...DEFAULT_MOTION_GATE_OPTIONS, heartbeatMs: 60_000 });
    // A car creeping in at 2 px a frame: each frame differs from the one before in 2-px slivers only.
    const frames = Array.from({ length: 40 }, (_, i) => roadFrame(0, car(200 + 2 * i)));
    const read = readFrames(gate, frames);
    assert.equal(read[0], 0);
    assert.ok(read.length > 2, `the creeping car is read again as it moves (frames ${read.join(', ')})`);
    assert.ok(read.length < frames.length / 2, `but not every frame (frames ${read.join(', ')})`);
  });

  it('does not open for a slow change of light, until it adds up past the level threshold', () => {
    const gate = new MotionGate({ ...DEFAULT_MOTION_GATE_OPTIONS, levelThreshold: 12, heartbeatMs: 60_000 });
    // One level brighter every frame: 13 frames to pass 12 levels against the frame read.
    const frames = Array.from({ length: 20 }, (_, i) => roadFrame(0, undefined, i));
    assert.deepEqual(readFrames(gate, frames), [0, 13]);
  });

  it('reads a frame of another size (the camera changed mode) at once', () => {
    const gate = new MotionGate({ ...DEFAULT_MOTION_GATE_OPTIONS, heartbeatMs: 60_000 });
    assert.equal(gate.shouldRead(roadFrame(0), 0), true);
    assert.equal(gate.shouldRead(roadFrame(0), 40), false);
    assert.equal(gate.shouldRead(new cv.Mat(Buffer.alloc(720 * 1280 * 3, 95), 720, 1280, cv.CV_8UC3), 80), true);
  });

  it('refuses options it cannot work with, naming them', () => {
    assert.throws(() => new MotionGate({ ...DEFAULT_MOTION_GATE_OPTIONS, sampleWidth: 8 }), /sampleWidth must be an integer of at least 16, got 8/);
    assert.throws(() => new MotionGate({ ...DEFAULT_MOTION_GATE_OPTIONS, levelThreshold: 255 }), /levelThreshold must be in 0..254, got 255/);
    assert.throws(() => new MotionGate({ ...DEFAULT_MOTION_GATE_OPTIONS, minChangedShare: 1.5 }), /minChangedShare must be in 0..1, got 1.5/);
    assert.throws(() => new MotionGate({ ...DEFAULT_MOTION_GATE_OPTIONS, heartbeatMs: Number.NaN }), /heartbeatMs must be at least 0, got NaN/);
  });
});
