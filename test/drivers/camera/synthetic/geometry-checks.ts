import assert from 'node:assert/strict';
import type { Box, Quad } from '../../../../drivers/camera/geometry';

/** True when the four corners turn the same way at every corner (a convex, non-degenerate quad). */
export function isConvex(quad: Quad): boolean {
  let sign = 0;
  for (let i = 0; i < 4; i += 1) {
    const a = quad[i] as Quad[number];
    const b = quad[(i + 1) % 4] as Quad[number];
    const c = quad[(i + 2) % 4] as Quad[number];
    const cross = (b.x - a.x) * (c.y - b.y) - (b.y - a.y) * (c.x - b.x);
    if (Math.abs(cross) < 1e-9) return false;
    const s = Math.sign(cross);
    if (sign !== 0 && s !== sign) return false;
    sign = s;
  }
  return true;
}

export function assertInside(box: Box, width: number, height: number, what: string): void {
  assert.ok(
    box.x >= 0 && box.y >= 0 && box.x + box.width <= width && box.y + box.height <= height,
    `${what} ${JSON.stringify(box)} is not inside ${width}x${height}`,
  );
}

export function overlaps(a: Box, b: Box): boolean {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}
