import assert from 'node:assert/strict';
import { Backoff } from '../../../firmware/uplink/backoff';

describe('uplink Backoff (full jitter, capped)', function () {
  it('draws each delay uniformly below a ceiling that doubles from initialMs up to maxMs', () => {
    const ceilings = (random: () => number, n: number) => {
      const backoff = new Backoff({ initialMs: 100, maxMs: 1000 }, random);
      return Array.from({ length: n }, () => backoff.next());
    };
    assert.deepEqual(ceilings(() => 1, 7), [100, 200, 400, 800, 1000, 1000, 1000], 'random 1: the ceilings, capped');
    assert.deepEqual(ceilings(() => 0.25, 5), [25, 50, 100, 200, 250], 'full jitter: a fraction of the ceiling, not ceiling/2 + jitter');
    assert.deepEqual(ceilings(() => 0, 4), [0, 0, 0, 0], 'the delay may be zero');
  });

  it('reset() starts again from initialMs', () => {
    const backoff = new Backoff({ initialMs: 10, maxMs: 10_000 }, () => 1);
    for (let i = 0; i < 5; i++) backoff.next();
    assert.equal(backoff.attempts, 5);
    backoff.reset();
    assert.equal(backoff.next(), 10);
  });

  it('stays within [0, cap] for any attempt count and a real random source', () => {
    const backoff = new Backoff({ initialMs: 1000, maxMs: 60_000 });
    for (let i = 0; i < 2000; i++) {
      const delay = backoff.next();
      assert.ok(delay >= 0 && delay <= 60_000, `attempt ${i}: ${delay}`);
    }
  });

  it('refuses settings that make no sense', () => {
    assert.throws(() => new Backoff({ initialMs: 0, maxMs: 10 }), /initialMs/);
    assert.throws(() => new Backoff({ initialMs: 100, maxMs: 10 }), /maxMs/);
  });
});
