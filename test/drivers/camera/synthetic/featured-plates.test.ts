import assert from 'node:assert/strict';
import type { PlateTruth } from '../../../../drivers/camera/frame';
import { DEMO_FEATURED_PLATES, featuredPlateText } from '../../../../drivers/camera/synthetic/featured-plates';
import { displayText, formatRegExp, matchingFormats } from '../../../../drivers/camera/synthetic/plate-text';
import { Random } from '../../../../drivers/camera/synthetic/random';
import { DEFAULT_SYNTHETIC_OPTIONS, SyntheticTrafficSource } from '../../../../drivers/camera/synthetic/synthetic-source';
import { DEFAULT_SCENE_OPTIONS, TrafficScene, type TrafficSceneOptions } from '../../../../drivers/camera/synthetic/traffic-scene';

const FEATURED = [...DEMO_FEATURED_PLATES];

function scene(overrides: Partial<TrafficSceneOptions> = {}): TrafficScene {
  return new TrafficScene({ ...DEFAULT_SCENE_OPTIONS, width: 1920, height: 1080, seed: 7, vehiclesPerMinute: 60, ...overrides });
}

/** Everything about the vehicles but their plates, to compare scenes with and without featured plates. */
function withoutPlates(s: TrafficScene, until: number): string {
  return JSON.stringify(s.vehiclesEnteredBy(until).map(({ plate: _plate, ...rest }) => rest));
}

describe('featured plates (synthetic camera)', () => {
  it('demo plates are three distinct plates, each fitting a plate format', () => {
    assert.equal(new Set(DEMO_FEATURED_PLATES).size, 3);
    for (const plate of DEMO_FEATURED_PLATES) assert.ok(matchingFormats(plate).length > 0, `${plate} fits no format`);
  });

  it('draws a featured plate in a format it fits, the truth text unchanged', () => {
    const rng = new Random(3);
    for (const text of [...FEATURED, 'ABC1234', 'AB123']) {
      const plate = featuredPlateText(text, rng);
      assert.equal(plate.text, text);
      assert.match(text, formatRegExp(plate.format));
      assert.ok(plate.format.regions.includes(plate.region));
      assert.ok(plate.format.separators.some((sep) => displayText(plate.format, text, sep) === plate.display), plate.display);
    }
    assert.throws(() => featuredPlateText('HELLO', rng), /featured plate "HELLO" must fit one of the synthetic scene's plate formats/);
  });

  it('with share 1 every vehicle carries a featured plate, each of them often; with share 0 none does', () => {
    const all = scene({ featuredPlates: FEATURED, featuredShare: 1 }).vehiclesEnteredBy(600);
    assert.ok(all.length > 400, `${all.length} vehicles`);
    assert.ok(all.every((v) => FEATURED.includes(v.plate.text)));
    for (const plate of FEATURED) assert.ok(all.filter((v) => v.plate.text === plate).length > all.length / 6, `${plate} is shown often`);

    const none = scene({ featuredPlates: FEATURED, featuredShare: 0 });
    assert.ok(none.vehiclesEnteredBy(600).every((v) => !FEATURED.includes(v.plate.text)));
    // Featuring nothing is exactly the scene without the option.
    assert.equal(JSON.stringify(none.vehiclesEnteredBy(600)), JSON.stringify(scene().vehiclesEnteredBy(600)));
  });

  it('features about the share asked for, seeded, and leaves the rest of the scene as it was', () => {
    const featured = scene({ featuredPlates: FEATURED, featuredShare: 0.1 });
    const vehicles = featured.vehiclesEnteredBy(900);
    const shown = vehicles.filter((v) => FEATURED.includes(v.plate.text)).length;
    assert.ok(shown > 0.05 * vehicles.length && shown < 0.15 * vehicles.length, `${shown} of ${vehicles.length}`);
    const again = scene({ featuredPlates: FEATURED, featuredShare: 0.1 }).vehiclesEnteredBy(900);
    assert.deepEqual(again.map((v) => v.plate.text), vehicles.map((v) => v.plate.text), 'the same seed features the same vehicles');
    // Featured plates draw from their own stream: timing, lighting and poses do not move.
    assert.equal(withoutPlates(featured, 900), withoutPlates(scene(), 900));
    const plain = scene().vehiclesEnteredBy(900);
    vehicles.forEach((v, i) => {
      if (!FEATURED.includes(v.plate.text)) assert.deepEqual(v.plate, plain[i].plate, `vehicle ${v.id} keeps its random plate`);
    });
  });

  it('refuses a featured plate no format fits, and a share outside 0..1, naming the option, the plate and the formats', () => {
    const formats = /DLLLDDD \(california\), LLLDDDD \(three-letters-four-digits\), .*; L is a letter other than I, O or Q, D a digit/;
    for (const build of [(o: object) => scene(o), (o: object) => new SyntheticTrafficSource(o)]) {
      assert.throws(
        () => build({ featuredPlates: ['8DEM123', '8DOM123'], featuredShare: 0.5 }),
        (e: unknown) => e instanceof RangeError && /option featuredPlates: "8DOM123" must fit one of the synthetic scene's plate formats: /.test(e.message) && formats.test(e.message),
      );
      assert.throws(() => build({ featuredShare: 1.5 }), (e: unknown) => e instanceof RangeError && /featuredShare/.test(e.message));
    }
    assert.throws(() => new SyntheticTrafficSource({ featuredPlates: 'ABC1234' as unknown as string[] }), /option featuredPlates must be a list of plates/);
  });

  it('leaves benchmarks that build the source directly unchanged: nothing featured by default', () => {
    assert.deepEqual([DEFAULT_SYNTHETIC_OPTIONS.featuredShare, DEFAULT_SYNTHETIC_OPTIONS.featuredPlates], [0, []]);
  });

  describe('in the frames (real OpenCV)', () => {
    const sources: SyntheticTrafficSource[] = [];
    afterEach(async () => {
      for (const s of sources.splice(0)) await s.close();
    });

    async function truthOf(featuredShare: number): Promise<PlateTruth[]> {
      const source = new SyntheticTrafficSource({
        width: 640, height: 360, fps: 5, realtime: false, seed: 12, vehiclesPerMinute: 60, durationSeconds: 30, featuredPlates: FEATURED, featuredShare,
      });
      sources.push(source);
      await source.open();
      const truth: PlateTruth[] = [];
      for (let frame = await source.read(); frame; frame = await source.read()) truth.push(...(frame.truth ?? []));
      return truth;
    }

    it('shows only featured plates with share 1, and none with share 0 (ground truth)', async () => {
      const featured = await truthOf(1);
      assert.ok(new Set(featured.map((t) => t.vehicleId)).size >= 10, 'many vehicles shown');
      assert.deepEqual([...new Set(featured.map((t) => t.text))].sort(), [...FEATURED].sort());
      const plain = await truthOf(0);
      assert.ok(plain.length > 0);
      assert.ok(plain.every((t) => !FEATURED.includes(t.text)), 'no featured plate with share 0');
    });
  });
});
