import assert from 'node:assert/strict';
import {
  DEFAULT_SCENE_OPTIONS,
  TrafficScene,
  type TrafficSceneOptions,
  type VehiclePose,
} from '../../../../drivers/camera/synthetic/traffic-scene';
import { assertInside, isConvex, overlaps } from './geometry-checks';

function scene(overrides: Partial<TrafficSceneOptions> = {}): TrafficScene {
  return new TrafficScene({ ...DEFAULT_SCENE_OPTIONS, width: 1920, height: 1080, seed: 1, ...overrides });
}

/** Every pose at `fps` from 0 to `seconds`, with the frame time. */
function sample(s: TrafficScene, seconds: number, fps = 25): { t: number; poses: VehiclePose[] }[] {
  const out: { t: number; poses: VehiclePose[] }[] = [];
  for (let i = 0; i < seconds * fps; i += 1) out.push({ t: i / fps, poses: s.posesAt(i / fps) });
  return out;
}

describe('TrafficScene', () => {
  it('builds the same traffic from the same seed and other traffic from another', () => {
    const a = JSON.stringify(scene({ seed: 5 }).vehiclesEnteredBy(120));
    assert.equal(a, JSON.stringify(scene({ seed: 5 }).vehiclesEnteredBy(120)));
    assert.notEqual(a, JSON.stringify(scene({ seed: 6 }).vehiclesEnteredBy(120)));
  });

  it('refuses bad options, naming them', () => {
    const cases: [Partial<TrafficSceneOptions>, RegExp][] = [
      [{ width: 0 }, /width/],
      [{ height: 10.5 }, /height/],
      [{ vehiclesPerMinute: -1 }, /vehiclesPerMinute must be a number in 0\.\.600/],
      [{ vehiclesPerMinute: 601 }, /vehiclesPerMinute/],
      [{ nightFraction: 1.2 }, /nightFraction must be a number in 0\.\.1/],
      [{ nightFraction: Number.NaN }, /nightFraction/],
      [{ crossingSeconds: [3, 1] }, /crossingSeconds/],
      [{ crossingSeconds: [0.1, 1] }, /crossingSeconds/],
      [{ maxOnScreen: 0 }, /maxOnScreen must be an integer in 1\.\.8/],
      [{ directions: [] }, /directions/],
    ];
    for (const [bad, pattern] of cases) assert.throws(() => scene(bad), (e: unknown) => e instanceof RangeError && pattern.test(e.message));
  });

  it('shows 1080p plates about 150-320 px wide with characters at least 20 px high', () => {
    const widths: number[] = [];
    for (const { poses } of sample(scene({ seed: 2 }), 240)) {
      for (const p of poses.filter((x) => x.plateInFrame)) {
        widths.push(p.plateBox.width);
        // Characters take 46% of the plate height; the quad's shorter side is the plate height.
        const [tl, , br, bl] = p.plateQuad;
        const side = Math.min(Math.hypot(bl.x - tl.x, bl.y - tl.y), Math.hypot(br.x - bl.x, br.y - bl.y) / 2);
        assert.ok(side * 0.46 >= 20, `characters ${(side * 0.46).toFixed(1)} px high`);
      }
    }
    assert.ok(widths.length > 1000);
    assert.ok(Math.min(...widths) >= 125 && Math.max(...widths) <= 340, `widths ${Math.min(...widths)}..${Math.max(...widths)}`);
    assert.ok(Math.min(...widths) < 170 && Math.max(...widths) > 290, 'the whole range of sizes is used');
  });

  it('scales plates with the frame', () => {
    const widths = sample(scene({ seed: 2, width: 640, height: 360 }), 120)
      .flatMap(({ poses }) => poses.filter((p) => p.plateInFrame).map((p) => p.plateBox.width));
    assert.ok(widths.length > 500);
    assert.ok(Math.min(...widths) >= 125 / 3 && Math.max(...widths) <= 340 / 3, `widths ${Math.min(...widths)}..${Math.max(...widths)}`);
  });

  it('keeps plate quads convex, and no vehicle covers another one\'s plate', () => {
    for (const seed of [3, 4]) {
      for (const { t, poses } of sample(scene({ seed, vehiclesPerMinute: 60 }), 180)) {
        assert.ok(poses.length <= DEFAULT_SCENE_OPTIONS.maxOnScreen, `${poses.length} vehicles at ${t}s`);
        poses.forEach((p, i) => {
          assert.ok(isConvex(p.plateQuad), `vehicle ${p.vehicle.id} at ${t}s has a non-convex quad`);
          if (p.plateInFrame) assertInside(p.plateBox, 1920, 1080, `plate of vehicle ${p.vehicle.id}`);
          // Poses come farthest first, so every later one is drawn over this one.
          for (const nearer of poses.slice(i + 1)) {
            assert.ok(nearer.bumper.y >= p.bumper.y);
            assert.ok(!overlaps(p.plateBox, nearer.bodyBox), `vehicle ${nearer.vehicle.id} covers the plate of ${p.vehicle.id} at ${t}s`);
          }
        });
      }
    }
  });

  it('moves each plate steadily across consecutive frames, growing as it comes closer', () => {
    const s = scene({ seed: 6 });
    const tracks = new Map<number, VehiclePose[]>();
    for (const { poses } of sample(s, 120)) {
      for (const p of poses.filter((x) => x.plateInFrame)) tracks.set(p.vehicle.id, [...(tracks.get(p.vehicle.id) ?? []), p]);
    }
    assert.ok(tracks.size > 30);
    const directions = new Set<string>();
    for (const track of tracks.values()) {
      if (track.length < 2) continue;
      const v = (track[0] as VehiclePose).vehicle;
      directions.add(v.direction);
      // One pose per frame for as long as the plate is in view.
      const shown = (v.plateVisibleUntil ?? 0) - (v.plateVisibleFrom ?? 0);
      if ((v.plateVisibleUntil ?? 0) < 119) assert.ok(track.length >= Math.floor(shown * 25) - 1, `vehicle ${v.id}: ${track.length} frames`);
      for (let i = 1; i < track.length; i += 1) {
        const [a, b] = [track[i - 1] as VehiclePose, track[i] as VehiclePose];
        const dy = b.plateBox.y - a.plateBox.y;
        if (v.direction === 'approaching') assert.ok(dy > 0 && b.plateBox.width > a.plateBox.width, `vehicle ${v.id} frame ${i}`);
        else assert.ok(dy < 0 && b.plateBox.width < a.plateBox.width, `vehicle ${v.id} frame ${i}`);
        assert.ok(Math.abs(dy) < 80, `vehicle ${v.id} jumps ${dy} px in a frame`);
      }
    }
    assert.deepEqual([...directions].sort(), ['approaching', 'receding']);
    const lengths = [...tracks.values()].map((t) => t.length).sort((x, y) => x - y);
    assert.ok((lengths[lengths.length >> 1] as number) >= 12, `median plate track ${lengths[lengths.length >> 1]} frames`);
  });

  it('records when each vehicle enters, leaves, and shows its whole plate', () => {
    const s = scene({ seed: 7 });
    const frame = { x: 0, y: 0, width: 1920, height: 1080 };
    for (const v of s.vehiclesEnteredBy(120)) {
      const d = v.exitTime - v.enterTime;
      assert.ok(d >= 1.5 && d <= 3, `crossing of ${d}s`);
      assert.ok(!overlaps(s.pose(v, v.enterTime - 0.01).bodyBox, frame), 'not in view before it enters');
      assert.ok(overlaps(s.pose(v, v.enterTime + 0.05).bodyBox, frame), 'in view once it entered');
      assert.ok(!overlaps(s.pose(v, v.exitTime + 0.01).bodyBox, frame), 'gone after it left');
      assert.ok(v.plateVisibleFrom !== null && v.plateVisibleUntil !== null);
      assert.ok(s.pose(v, v.plateVisibleFrom).plateInFrame && s.pose(v, v.plateVisibleUntil).plateInFrame);
      assert.ok(!s.pose(v, v.plateVisibleFrom - 0.02).plateInFrame && !s.pose(v, v.plateVisibleUntil + 0.02).plateInFrame);
    }
  });

  it('runs at about vehiclesPerMinute, in entry order', () => {
    for (const rate of [10, 30]) {
      const vehicles = scene({ seed: 8, vehiclesPerMinute: rate }).vehiclesEnteredBy(600);
      assert.ok(vehicles.length > rate * 10 * 0.8 && vehicles.length < rate * 10 * 1.2, `${vehicles.length} vehicles in 10 min at ${rate}/min`);
      vehicles.forEach((v, i) => {
        assert.equal(v.id, i + 1);
        if (i > 0) assert.ok(v.enterTime >= (vehicles[i - 1] as (typeof vehicles)[number]).enterTime);
      });
    }
    assert.deepEqual(scene({ vehiclesPerMinute: 0 }).posesAt(30), []);
  });

  it('gives every frame one lighting, both looks in runs, at about the night fraction', () => {
    const s = scene({ seed: 9, nightFraction: 0.5 });
    for (const { t, poses } of sample(s, 300, 5)) {
      const { lighting } = s.lookAt(t);
      for (const p of poses) assert.equal(p.vehicle.lighting, lighting, `mixed lighting at ${t}s`);
    }
    const vehicles = s.vehiclesEnteredBy(300);
    const looks = vehicles.map((v) => v.lighting[0]).join('');
    assert.match(looks, /d/);
    assert.match(looks, /n/);
    const long = scene({ seed: 10, nightFraction: 0.3 }).vehiclesEnteredBy(2000);
    const share = long.filter((v) => v.lighting === 'night').length / long.length;
    assert.ok(share > 0.2 && share < 0.4, `night share ${share} for 0.3`);
    assert.ok(scene({ nightFraction: 0 }).vehiclesEnteredBy(200).every((v) => v.lighting === 'day'));
    assert.ok(scene({ nightFraction: 1 }).vehiclesEnteredBy(200).every((v) => v.lighting === 'night'));
    const noisy = s.vehiclesEnteredBy(300);
    for (const v of noisy) assert.ok(v.lighting === 'day' ? v.noiseSigma < 4 : v.noiseSigma >= 4);
  });
});
