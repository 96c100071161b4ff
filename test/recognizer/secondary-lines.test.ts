import assert from 'node:assert/strict';
import type { Quad } from '../../drivers/camera/geometry';
import type { TextBox } from '../../recognizer/localize/text-detector';
import { dropSecondaryLines } from '../../recognizer/plate-reader';

function line(x: number, y: number, width: number, height: number): TextBox {
  const quad: Quad = [{ x, y }, { x: x + width, y }, { x: x + width, y: y + height }, { x, y: y + height }];
  return { quad, score: 0.9, width, height };
}

describe('dropSecondaryLines', () => {
  it('drops the state name above and the slogan below a plate\'s characters', () => {
    const registration = line(100, 120, 200, 50);
    const state = line(130, 95, 140, 18);
    const slogan = line(120, 175, 160, 14);
    assert.deepEqual(dropSecondaryLines([state, registration, slogan]), [registration]);
  });

  it('keeps lines of two plates side by side, and text far from any plate', () => {
    const left = line(100, 500, 200, 50);
    const right = line(900, 500, 200, 50);
    const sign = line(120, 100, 150, 20);
    assert.deepEqual(dropSecondaryLines([left, right, sign]), [left, right, sign]);
  });

  it('keeps lines of similar height stacked together (two-line text, not small print)', () => {
    const top = line(100, 100, 200, 40);
    const bottom = line(100, 145, 200, 36);
    assert.equal(dropSecondaryLines([top, bottom]).length, 2);
  });
});
