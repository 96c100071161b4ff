import assert from 'node:assert/strict';
import { mixSeed, Random } from '../../../../drivers/camera/synthetic/random';

const draw = (rng: Random, n: number): number[] => Array.from({ length: n }, () => rng.uint32());

describe('Random', () => {
  it('repeats the same sequence for the same seed and differs for another', () => {
    assert.deepEqual(draw(new Random(42), 50), draw(new Random(42), 50));
    assert.notDeepEqual(draw(new Random(42), 50), draw(new Random(43), 50));
  });

  it('gives independent named streams from one seed', () => {
    assert.deepEqual(draw(Random.stream(9, 'scene'), 20), draw(Random.stream(9, 'scene'), 20));
    assert.notDeepEqual(draw(Random.stream(9, 'scene'), 20), draw(Random.stream(9, 'noise'), 20));
  });

  it('accepts negative and large safe-integer seeds and refuses others', () => {
    assert.notEqual(mixSeed(-1), mixSeed(1));
    assert.notEqual(mixSeed(2 ** 40), mixSeed(0));
    assert.throws(() => new Random(1.5), /seed must be a safe integer/);
    assert.throws(() => new Random(Number.NaN), /seed must be a safe integer/);
  });

  it('keeps float, range and int within their bounds and reaches both int ends', () => {
    const rng = new Random(1);
    const ints = new Set<number>();
    for (let i = 0; i < 2000; i += 1) {
      const f = rng.float();
      assert.ok(f >= 0 && f < 1);
      const r = rng.range(-3, 5);
      assert.ok(r >= -3 && r < 5);
      const n = rng.int(2, 6);
      assert.ok(Number.isInteger(n) && n >= 2 && n <= 6);
      ints.add(n);
    }
    assert.deepEqual([...ints].sort(), [2, 3, 4, 5, 6]);
    assert.throws(() => rng.int(5, 2), RangeError);
  });

  it('picks every item of a list and weights picks', () => {
    const rng = new Random(3);
    const seen = new Set<string>();
    for (let i = 0; i < 200; i += 1) seen.add(rng.pick(['a', 'b', 'c']));
    assert.deepEqual([...seen].sort(), ['a', 'b', 'c']);
    let heavy = 0;
    for (let i = 0; i < 1000; i += 1) if (rng.weighted(['light', 'heavy'], (x) => (x === 'heavy' ? 9 : 1)) === 'heavy') heavy += 1;
    assert.ok(heavy > 820 && heavy < 960, `heavy picked ${heavy} of 1000 at weight 0.9`);
    assert.throws(() => rng.pick([]), RangeError);
  });

  it('draws normal and exponential values with the asked mean and spread', () => {
    const rng = new Random(5);
    const n = 20_000;
    const normals = Array.from({ length: n }, () => rng.normal(10, 2));
    const mean = normals.reduce((a, b) => a + b, 0) / n;
    const sd = Math.sqrt(normals.reduce((a, b) => a + (b - mean) ** 2, 0) / n);
    assert.ok(Math.abs(mean - 10) < 0.1, `mean ${mean}`);
    assert.ok(Math.abs(sd - 2) < 0.1, `sd ${sd}`);
    const waits = Array.from({ length: n }, () => rng.exponential(3));
    assert.ok(waits.every((w) => w >= 0));
    assert.ok(Math.abs(waits.reduce((a, b) => a + b, 0) / n - 3) < 0.15);
  });
});
