import assert from 'node:assert/strict';
import { fullJitterBackoff } from '../../../drivers/camera/backoff';

describe('fullJitterBackoff', () => {
  it('doubles the ceiling per attempt from the initial delay', () => {
    const top = (attempt: number): number => fullJitterBackoff(attempt, 500, 30_000, () => 1);
    assert.deepEqual([0, 1, 2, 3, 4, 5].map(top), [500, 1000, 2000, 4000, 8000, 16000]);
  });

  it('never exceeds the cap, even for huge attempt counts', () => {
    assert.equal(fullJitterBackoff(6, 500, 30_000, () => 1), 30_000);
    assert.equal(fullJitterBackoff(10_000, 500, 30_000, () => 1), 30_000);
  });

  it('scales the ceiling by the random fraction (full jitter)', () => {
    assert.equal(fullJitterBackoff(2, 500, 30_000, () => 0), 0);
    assert.equal(fullJitterBackoff(2, 500, 30_000, () => 0.25), 500);
    assert.equal(fullJitterBackoff(10, 500, 30_000, () => 0.5), 15_000);
  });

  it('stays in [0, ceiling] with Math.random', () => {
    for (let attempt = 0; attempt < 20; attempt++) {
      const d = fullJitterBackoff(attempt, 100, 5000);
      assert.ok(d >= 0 && d <= Math.min(5000, 100 * 2 ** attempt), `attempt ${attempt} gave ${d}`);
    }
  });

  it('clamps a misbehaving random source into [0, 1]', () => {
    assert.equal(fullJitterBackoff(0, 500, 30_000, () => 7), 500);
    assert.equal(fullJitterBackoff(0, 500, 30_000, () => -3), 0);
    assert.equal(fullJitterBackoff(0, 500, 30_000, () => NaN), 0);
  });

  it('rejects bad arguments with a message naming them', () => {
    assert.throws(() => fullJitterBackoff(-1, 500, 30_000), /attempt/);
    assert.throws(() => fullJitterBackoff(1.5, 500, 30_000), /attempt/);
    assert.throws(() => fullJitterBackoff(0, 0, 30_000), /initialMs/);
    assert.throws(() => fullJitterBackoff(0, 500, 100), /maxMs/);
  });
});
