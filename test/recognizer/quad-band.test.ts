import assert from 'node:assert/strict';
import { quadBand } from '../../recognizer/localize/quad-math';

describe('quadBand', () => {
  it('cuts a horizontal band of an upright rectangle', () => {
    const band = quadBand([{ x: 10, y: 0 }, { x: 110, y: 0 }, { x: 110, y: 50 }, { x: 10, y: 50 }], 0.2, 0.8);
    assert.deepEqual(band, [{ x: 10, y: 10 }, { x: 110, y: 10 }, { x: 110, y: 40 }, { x: 10, y: 40 }]);
  });

  it('follows the sides of a tilted quad', () => {
    const band = quadBand([{ x: 0, y: 0 }, { x: 100, y: 20 }, { x: 90, y: 70 }, { x: -10, y: 50 }], 0.5, 1);
    assert.deepEqual(band, [{ x: -5, y: 25 }, { x: 95, y: 45 }, { x: 90, y: 70 }, { x: -10, y: 50 }]);
  });
});
