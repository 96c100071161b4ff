import assert from 'node:assert/strict';
import type { Box } from '../../../../drivers/camera/geometry';
import { TrafficRenderer } from '../../../../drivers/camera/synthetic/traffic-renderer';
import {
  DEFAULT_SCENE_OPTIONS,
  TrafficScene,
  type TrafficSceneOptions,
  type VehiclePose,
} from '../../../../drivers/camera/synthetic/traffic-scene';
import { inset, regionStats } from './pixels';

const W = 960;
const H = 540;

async function setup(overrides: Partial<TrafficSceneOptions> = {}): Promise<{ scene: TrafficScene; renderer: TrafficRenderer }> {
  const scene = new TrafficScene({ ...DEFAULT_SCENE_OPTIONS, width: W, height: H, seed: 21, ...overrides });
  const renderer = new TrafficRenderer({ width: W, height: H, seed: 21, road: scene.roadLayout() });
  await renderer.prepare();
  return { scene, renderer };
}

/** First frame index (25 fps) from which `wanted` plates are wholly in view. */
function frameWithPlates(scene: TrafficScene, wanted: number): { index: number; poses: VehiclePose[] } {
  for (let index = 0; index < 25 * 300; index += 1) {
    const poses = scene.posesAt(index / 25);
    if (poses.filter((p) => p.plateInFrame).length >= wanted) return { index, poses };
  }
  throw new Error(`no frame with ${wanted} plates in 300 s`);
}

function extentOf(p: VehiclePose): Box {
  const pad = 0.12 * p.unit + 1;
  const x0 = Math.min(p.bodyBox.x, p.plateBox.x) - pad;
  const y0 = Math.min(p.bodyBox.y, p.plateBox.y) - pad;
  const x1 = Math.max(p.bodyBox.x + p.bodyBox.width, p.plateBox.x + p.plateBox.width) + pad;
  const y1 = Math.max(p.bodyBox.y + p.bodyBox.height, p.plateBox.y + p.plateBox.height) + pad;
  return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
}

describe('TrafficRenderer (real OpenCV)', () => {
  let renderers: TrafficRenderer[] = [];
  const track = <T extends { renderer: TrafficRenderer }>(made: T): T => {
    renderers.push(made.renderer);
    return made;
  };

  afterEach(() => {
    for (const r of renderers) r.dispose();
    renderers = [];
  });

  it('renders the same bytes for the same seed, frame and poses', async () => {
    const a = track(await setup());
    const b = track(await setup());
    const { index, poses } = frameWithPlates(a.scene, 2);
    const one = await a.renderer.render(index, poses, a.scene.lookAt(index / 25));
    const two = await b.renderer.render(index, b.scene.posesAt(index / 25), b.scene.lookAt(index / 25));
    assert.equal(one.length, W * H * 3);
    assert.ok(one.equals(two));
  });

  it('draws plates that stand out from the road they cover', async () => {
    const { scene, renderer } = track(await setup());
    let checked = 0;
    for (const wanted of [1, 2]) {
      const { index, poses } = frameWithPlates(scene, wanted);
      const look = scene.lookAt(index / 25);
      const frame = await renderer.render(index, poses, look);
      const road = await renderer.render(index, [], look);
      for (const p of poses.filter((x) => x.plateInFrame)) {
        const plate = regionStats(frame, W, inset(p.plateBox, 0.2));
        const bare = regionStats(road, W, inset(p.plateBox, 0.2));
        assert.ok(plate.greyStd > 25 && plate.greyStd > 2.5 * bare.greyStd, `plate std ${plate.greyStd} vs road ${bare.greyStd}`);
        checked += 1;
      }
    }
    assert.ok(checked >= 3);
  });

  it('paints vehicles only inside their own rectangles, leaving the rest of the frame alone', async () => {
    const { scene, renderer } = track(await setup({ vehiclesPerMinute: 60 }));
    const { index, poses } = frameWithPlates(scene, 2);
    const look = scene.lookAt(index / 25);
    const frame = await renderer.render(index, poses, look);
    const road = await renderer.render(index, [], look);
    const extents = poses.map(extentOf);
    let changed = 0;
    for (let y = 0; y < H; y += 1) {
      for (let x = 0; x < W; x += 1) {
        const i = (y * W + x) * 3;
        if (frame[i] === road[i] && frame[i + 1] === road[i + 1] && frame[i + 2] === road[i + 2]) continue;
        changed += 1;
        assert.ok(
          extents.some((e) => x >= e.x && x < e.x + e.width && y >= e.y && y < e.y + e.height),
          `pixel ${x},${y} changed outside every vehicle`,
        );
      }
    }
    assert.ok(changed > 10_000, 'the vehicles were drawn');
  });

  it('renders day in colour and night in grey, dark, with bright plates', async () => {
    const day = track(await setup({ nightFraction: 0 }));
    const night = track(await setup({ nightFraction: 1 }));
    const d = frameWithPlates(day.scene, 1);
    const n = frameWithPlates(night.scene, 1);
    const whole = { x: 0, y: 0, width: W, height: H };
    const dayFrame = await day.renderer.render(d.index, d.poses, day.scene.lookAt(d.index / 25));
    const nightFrame = await night.renderer.render(n.index, n.poses, night.scene.lookAt(n.index / 25));
    const dayStats = regionStats(dayFrame, W, whole);
    const nightStats = regionStats(nightFrame, W, whole);
    assert.ok(dayStats.channelSpread > 10, `day channel spread ${dayStats.channelSpread}`);
    assert.equal(nightStats.channelSpread, 0, 'the IR look is grey');
    assert.ok(nightStats.mean < 0.6 * dayStats.mean, `night mean ${nightStats.mean} vs day ${dayStats.mean}`);
    for (const p of n.poses.filter((x) => x.plateInFrame)) {
      assert.ok(regionStats(nightFrame, W, p.plateBox).mean > 2.5 * nightStats.mean, 'the plate glows under IR');
    }
  });

  it('changes the noise from frame to frame', async () => {
    const { scene, renderer } = track(await setup());
    const look = scene.lookAt(0);
    const a = await renderer.render(0, [], look);
    const b = await renderer.render(1, [], look);
    assert.ok(!a.equals(b));
    const whole = { x: 0, y: 0, width: W, height: H };
    assert.ok(Math.abs(regionStats(a, W, whole).mean - regionStats(b, W, whole).mean) < 1);
  });

  it('refuses to render before prepare()', async () => {
    const scene = new TrafficScene({ ...DEFAULT_SCENE_OPTIONS, width: W, height: H, seed: 1 });
    const renderer = new TrafficRenderer({ width: W, height: H, seed: 1, road: scene.roadLayout() });
    await assert.rejects(renderer.render(0, [], scene.lookAt(0)), /before prepare/);
  });
});
