import assert from 'node:assert/strict';
import * as sinon from 'sinon';
import { CameraError } from '../../../../drivers/camera/camera-error';
import type { Frame, RawImage } from '../../../../drivers/camera/frame';
import { quadBounds } from '../../../../drivers/camera/geometry';
import { matchingFormats } from '../../../../drivers/camera/synthetic/plate-text';
import {
  SyntheticTrafficSource,
  type SyntheticTrafficOptions,
} from '../../../../drivers/camera/synthetic/synthetic-source';
import { untilReal } from '../real-wait';
import { recordingLogger } from '../recording-logger';
import { assertInside, isConvex } from './geometry-checks';
import { inset, regionStats } from './pixels';

function raw(frame: Frame | null): RawImage {
  assert.ok(frame, 'expected a frame');
  assert.equal(frame.image.kind, 'bgr');
  return frame.image as RawImage;
}

function isClosedError(pattern: RegExp) {
  return (err: unknown): boolean =>
    err instanceof CameraError && err.code === 'SOURCE_CLOSED' && pattern.test(err.message);
}

describe('SyntheticTrafficSource (real OpenCV)', () => {
  let sources: SyntheticTrafficSource[] = [];

  async function opened(options: Partial<SyntheticTrafficOptions>): Promise<SyntheticTrafficSource> {
    const source = new SyntheticTrafficSource({ realtime: false, ...options });
    sources.push(source);
    await source.open();
    return source;
  }

  async function readFrames(source: SyntheticTrafficSource, count: number): Promise<Frame[]> {
    const frames: Frame[] = [];
    for (let i = 0; i < count; i += 1) {
      const frame = await source.read();
      assert.ok(frame, `frame ${i}`);
      frames.push(frame);
    }
    return frames;
  }

  afterEach(async () => {
    sinon.restore();
    for (const s of sources) await s.close();
    sources = [];
  });

  it('is a non-live source named synthetic giving 1920x1080 BGR frames by default', async () => {
    const source = await opened({ seed: 1 });
    assert.equal(source.id, 'synthetic');
    assert.equal(source.live, false);
    assert.match(source.description, /1920x1080 @ 25 fps, seed 1/);
    assert.deepEqual({ ...source.options }, {
      width: 1920,
      height: 1080,
      fps: 25,
      realtime: false,
      seed: 1,
      vehiclesPerMinute: 30,
      nightFraction: 0.3,
      durationSeconds: null,
      featuredPlates: [],
      featuredShare: 0,
    });
    const [first, second] = await readFrames(source, 2);
    const image = raw(first as Frame);
    assert.deepEqual([image.width, image.height, image.pixels.length], [1920, 1080, 1920 * 1080 * 3]);
    assert.equal(first?.sourceId, 'synthetic');
    assert.deepEqual([first?.seq, second?.seq], [0, 1]);
    assert.ok(Array.isArray(first?.truth));
    assert.ok(image.pixels !== raw(second as Frame).pixels, 'each frame owns its pixels');
  });

  it('repeats frames and truth exactly for the same seed, and differs for another', async () => {
    const options = { width: 640, height: 360, vehiclesPerMinute: 60 };
    const [a, b, c] = [await opened({ ...options, seed: 3 }), await opened({ ...options, seed: 3 }), await opened({ ...options, seed: 4 })];
    let plates = 0;
    let differentPixels = 0;
    let differentTruth = 0;
    for (let i = 0; i < 75; i += 1) {
      const [fa, fb, fc] = [await a.read(), await b.read(), await c.read()];
      assert.ok(raw(fa).pixels.equals(raw(fb).pixels), `frame ${i} differs`);
      assert.deepEqual(fa?.truth, fb?.truth);
      plates += fa?.truth?.length ?? 0;
      if (!raw(fa).pixels.equals(raw(fc).pixels)) differentPixels += 1;
      if (JSON.stringify(fa?.truth) !== JSON.stringify(fc?.truth)) differentTruth += 1;
    }
    assert.ok(plates > 0, 'the stretch compared shows plates');
    assert.equal(differentPixels, 75);
    assert.ok(differentTruth > 0);
  });

  it('writes later frames into buffers handed back, with the same bytes as fresh ones', async () => {
    const options = { width: 640, height: 360, vehiclesPerMinute: 60, seed: 8 };
    const [recycling, fresh] = [await opened(options), await opened(options)];
    let reused = 0;
    let previous: Buffer | null = null;
    for (let i = 0; i < 30; i += 1) {
      const [fr, ff] = [raw(await recycling.read()), raw(await fresh.read())];
      assert.ok(fr.pixels.equals(ff.pixels), `frame ${i} differs from the one drawn into a new buffer`);
      if (previous !== null && fr.pixels.buffer === previous.buffer) reused += 1;
      previous = fr.pixels;
      recycling.recycle(fr);
    }
    assert.equal(reused, 29, 'every frame after the first reuses the buffer handed back');
    recycling.recycle({ kind: 'bgr', width: 320, height: 240, pixels: Buffer.alloc(320 * 240 * 3) });
    const next = raw(await recycling.read());
    assert.equal(next.pixels.length, 640 * 360 * 3, 'a buffer of another size is never used');
  });

  it('lists every plate in view with a box inside the frame and a convex quad over real plate pixels', async () => {
    const options = { width: 1920, height: 1080, seed: 5, nightFraction: 0, vehiclesPerMinute: 60 };
    // The same seed without traffic draws the same road and noise: what each plate covers.
    const [source, empty] = [await opened(options), await opened({ ...options, vehiclesPerMinute: 0 })];
    let plates = 0;
    for (let i = 0; i < 125; i += 1) {
      const [frame, bareFrame] = [await source.read(), await empty.read()];
      for (const plate of frame?.truth ?? []) {
        plates += 1;
        assertInside(plate.box, 1920, 1080, `plate ${plate.text} in frame ${i}`);
        assert.equal(plate.quad.length, 4);
        assert.ok(isConvex(plate.quad), `quad of ${plate.text} in frame ${i}`);
        assert.deepEqual(plate.box, quadBounds(plate.quad));
        assert.ok(matchingFormats(plate.text).length > 0, `${plate.text} fits no plate format`);
        assert.ok(plate.box.width >= 125 && plate.box.width <= 340, `plate ${plate.box.width} px wide`);
        const drawn = regionStats(raw(frame).pixels, 1920, inset(plate.box, 0.2));
        const bare = regionStats(raw(bareFrame).pixels, 1920, inset(plate.box, 0.2));
        assert.ok(drawn.greyStd > 25 && drawn.greyStd > 2.5 * bare.greyStd, `${plate.text}: std ${drawn.greyStd} vs road ${bare.greyStd}`);
      }
    }
    assert.ok(plates >= 40, `${plates} plates seen`);
  });

  it('shows each vehicle over many consecutive frames, its box moving steadily', async () => {
    const source = await opened({ width: 640, height: 360, seed: 6, vehiclesPerMinute: 60 });
    const tracks = new Map<number, { seq: number; y: number; width: number }[]>();
    for (let i = 0; i < 250; i += 1) {
      const frame = await source.read();
      assert.ok(frame);
      for (const plate of frame.truth ?? []) {
        tracks.set(plate.vehicleId, [...(tracks.get(plate.vehicleId) ?? []), { seq: frame.seq, y: plate.box.y, width: plate.box.width }]);
      }
    }
    const long = [...tracks.values()].filter((t) => t.length >= 10);
    assert.ok(long.length >= 3, `${long.length} vehicles seen for 10+ frames`);
    for (const track of long) {
      const dy = Math.sign((track[1]?.y ?? 0) - (track[0]?.y ?? 0));
      for (let i = 1; i < track.length; i += 1) {
        const [a, b] = [track[i - 1], track[i]] as [(typeof track)[number], (typeof track)[number]];
        assert.equal(b.seq, a.seq + 1, 'no gap while the plate is in view');
        assert.equal(Math.sign(b.y - a.y), dy, 'keeps its direction');
        assert.ok(Math.abs(b.y - a.y) < 30, `moves ${b.y - a.y} px in one 640x360 frame`);
        assert.equal(Math.sign(b.width - a.width), dy, 'grows when coming closer, shrinks going away');
      }
    }
  });

  it('gives day frames in colour and night frames in grey with bright plates', async () => {
    const firstWithPlate = async (nightFraction: number): Promise<Frame> => {
      const source = await opened({ width: 640, height: 360, seed: 7, nightFraction });
      for (;;) {
        const frame = await source.read();
        if ((frame?.truth?.length ?? 0) > 0) return frame as Frame;
      }
    };
    const day = await firstWithPlate(0);
    const night = await firstWithPlate(1);
    const whole = { x: 0, y: 0, width: 640, height: 360 };
    const d = regionStats(raw(day).pixels, 640, whole);
    const n = regionStats(raw(night).pixels, 640, whole);
    assert.ok(d.channelSpread > 10, `day channel spread ${d.channelSpread}`);
    assert.equal(n.channelSpread, 0);
    assert.ok(n.mean < 0.6 * d.mean, `night ${n.mean} vs day ${d.mean}`);
    for (const plate of night.truth ?? []) assert.ok(regionStats(raw(night).pixels, 640, plate.box).mean > 2.5 * n.mean);
  });

  it('refuses bad options with a RangeError naming the option and what it may be', () => {
    const cases: [Partial<SyntheticTrafficOptions> | Record<string, unknown>, RegExp][] = [
      [{ width: 319 }, /option width must be an integer from 320 to 7680, got 319/],
      [{ width: 640.5 }, /option width must be an integer/],
      [{ height: 100 }, /option height must be an integer from 240 to 4320, got 100/],
      [{ fps: 0 }, /option fps must be a number > 0 and <= 120, got 0/],
      [{ fps: 121 }, /option fps must be/],
      [{ fps: Number.NaN }, /option fps must be/],
      [{ nightFraction: -0.1 }, /option nightFraction must be a number from 0 to 1/],
      [{ nightFraction: 1.5 }, /option nightFraction/],
      [{ vehiclesPerMinute: 601 }, /option vehiclesPerMinute must be a number from 0 to 600/],
      [{ durationSeconds: 0 }, /option durationSeconds must be a number > 0, or null/],
      [{ seed: 1.5 }, /option seed must be an integer, or null/],
      [{ realtime: 'yes' }, /option realtime must be true or false/],
      [{ colour: 'red' }, /unknown option "colour"/],
    ];
    for (const [bad, pattern] of cases) {
      assert.throws(
        () => new SyntheticTrafficSource(bad as Partial<SyntheticTrafficOptions>),
        (e: unknown) => e instanceof RangeError && pattern.test(e.message),
        JSON.stringify(bad),
      );
    }
    // The edges of each range are allowed; undefined means the default.
    const edge = new SyntheticTrafficSource({ width: 320, height: 240, fps: 120, nightFraction: 1, vehiclesPerMinute: 0, seed: -5, durationSeconds: undefined });
    assert.deepEqual([edge.options.fps, edge.options.durationSeconds], [120, null]);
  });

  it('ends after durationSeconds and counts the vehicles that crossed', async () => {
    const source = await opened({ width: 640, height: 360, fps: 10, seed: 8, vehiclesPerMinute: 60, durationSeconds: 20 });
    const shown = new Map<number, number>();
    let frames = 0;
    for (let frame = await source.read(); frame; frame = await source.read()) {
      frames += 1;
      for (const plate of frame.truth ?? []) shown.set(plate.vehicleId, (shown.get(plate.vehicleId) ?? 0) + 1);
    }
    assert.equal(frames, 200);
    assert.equal(await source.read(), null, 'stays ended');
    assert.equal(source.sceneTime, 19.9);
    const all = source.vehicles();
    const done = source.vehiclesCompleted();
    assert.ok(done.length >= 10, `${done.length} vehicles crossed`);
    assert.deepEqual(done, all.filter((v) => v.exitTime <= 19.9));
    assert.equal(source.completedCount, done.length);
    assert.ok(all.length > done.length || all.every((v) => v.exitTime <= 19.9));
    for (const v of done) {
      assert.ok(v.enterTime < v.exitTime && v.enterTime >= 0);
      assert.ok(matchingFormats(v.text).some((f) => f.name === v.format));
      assert.equal(v.plateFrames, shown.get(v.id), `vehicle ${v.id} plate frames`);
      assert.ok(v.plateFrames >= 5, `vehicle ${v.id} plate seen in ${v.plateFrames} frames`);
    }
  });

  it('hands out frames at once, with no timers, when realtime is false', async () => {
    const source = await opened({ width: 320, height: 240, seed: 9 });
    const clock = sinon.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'performance', 'Date'] });
    for (let i = 0; i < 3; i += 1) {
      assert.equal((await source.read())?.seq, i);
      assert.equal(clock.countTimers(), 0);
    }
  });

  it('paces realtime frames at fps with a timer, never early', async () => {
    const source = await opened({ width: 320, height: 240, seed: 10, fps: 10, realtime: true });
    const clock = sinon.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'performance', 'Date'] });
    assert.equal((await source.read())?.seq, 0, 'the first frame is due at once');
    const got: { second?: Frame | null } = {};
    const pending = source.read().then((f) => (got.second = f));
    await untilReal(() => clock.countTimers() > 0, 'the pacing timer');
    assert.equal(clock.countTimers(), 1);
    await clock.tickAsync(99);
    assert.ok(!('second' in got), 'not before 100 ms');
    assert.equal(clock.countTimers(), 1);
    await clock.tickAsync(1);
    await untilReal(() => 'second' in got, 'the second frame');
    await pending;
    assert.equal(got.second?.seq, 1);
  });

  it('refuses reads before open and after close, and close cuts a paced wait short', async () => {
    const early = new SyntheticTrafficSource({ width: 320, height: 240, seed: 11 });
    sources.push(early);
    await assert.rejects(early.read(), isClosedError(/before open/));

    const source = await opened({ width: 320, height: 240, seed: 11, fps: 1, realtime: true });
    await source.read();
    const waiting = source.read();
    await source.close();
    await assert.rejects(waiting, isClosedError(/is closed/));
    await assert.rejects(source.read(), isClosedError(/is closed/));
    await assert.rejects(source.open(), isClosedError(/is closed/));
  });

  it('closes cleanly while a frame is being rendered', async () => {
    const source = await opened({ width: 640, height: 360, seed: 12 });
    const reading = source.read().then(
      (frame) => frame,
      (err: unknown) => err,
    );
    await source.close();
    const outcome = await reading;
    assert.ok(
      (outcome !== null && !(outcome instanceof Error)) || isClosedError(/is closed/)(outcome),
      `a read caught by close gives its frame or SOURCE_CLOSED, got ${String(outcome)}`,
    );
    await assert.rejects(source.read(), isClosedError(/is closed/));
  });

  it('picks and logs a seed when none is given, so the run can be repeated', async () => {
    const { log, entries } = recordingLogger();
    const source = new SyntheticTrafficSource({ width: 320, height: 240, realtime: false }, log);
    sources.push(source);
    await source.open();
    assert.ok(Number.isInteger(source.options.seed));
    assert.ok(source.description.includes(`seed ${source.options.seed}`));
    const opening = entries.find((e) => e.msg === 'synthetic source opened');
    assert.equal(opening?.fields.seed, source.options.seed);
    const again = await opened({ width: 320, height: 240, seed: source.options.seed });
    assert.ok(raw(await source.read()).pixels.equals(raw(await again.read()).pixels));
  });
});
