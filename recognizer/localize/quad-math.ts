import type { Point, Quad } from '../../drivers/camera/geometry';

/** Corners of a rotated rectangle (OpenCV's RotatedRect convention, angle in degrees). */
export function rotatedRectCorners(cx: number, cy: number, w: number, h: number, angleDeg: number): Point[] {
  const rad = (angleDeg * Math.PI) / 180;
  const b = Math.cos(rad) * 0.5;
  const a = Math.sin(rad) * 0.5;
  const p0 = { x: cx - a * h - b * w, y: cy + b * h - a * w };
  const p1 = { x: cx + a * h - b * w, y: cy - b * h - a * w };
  return [p0, p1, { x: 2 * cx - p0.x, y: 2 * cy - p0.y }, { x: 2 * cx - p1.x, y: 2 * cy - p1.y }];
}

/** The rectangle from (0, 0) to (`width`, `height`) as a quad: a whole image read as one region. */
export function rectQuad(width: number, height: number): Quad {
  return [
    { x: 0, y: 0 },
    { x: width, y: 0 },
    { x: width, y: height },
    { x: 0, y: height },
  ];
}

/** Orders four corners as top-left, top-right, bottom-right, bottom-left. */
export function orderQuad(points: Point[]): Quad {
  const byX = [...points].sort((p, q) => p.x - q.x);
  const [tl, bl] = byX.slice(0, 2).sort((p, q) => p.y - q.y);
  const [tr, br] = byX.slice(2, 4).sort((p, q) => p.y - q.y);
  return [tl, tr, br, bl];
}

export function distance(p: Point, q: Point): number {
  return Math.hypot(p.x - q.x, p.y - q.y);
}

/** Mean lengths of a quad's horizontal and vertical sides. */
export function quadSize(quad: Quad): { width: number; height: number } {
  const [tl, tr, br, bl] = quad;
  return {
    width: (distance(tl, tr) + distance(bl, br)) / 2,
    height: (distance(tl, bl) + distance(tr, br)) / 2,
  };
}

/**
 * Grows a quad about its centre: `dx` of its width on each side horizontally, `dy` of its height
 * vertically, along its own axes so a tilted plate stays tilted.
 */
export function expandQuad(quad: Quad, dx: number, dy: number): Quad {
  const [tl, tr, br, bl] = quad;
  const ux = { x: (tr.x - tl.x + br.x - bl.x) / 2, y: (tr.y - tl.y + br.y - bl.y) / 2 };
  const uy = { x: (bl.x - tl.x + br.x - tr.x) / 2, y: (bl.y - tl.y + br.y - tr.y) / 2 };
  const shift = (p: Point, sx: number, sy: number): Point => ({
    x: p.x + sx * dx * ux.x + sy * dy * uy.x,
    y: p.y + sx * dx * ux.y + sy * dy * uy.y,
  });
  return [shift(tl, -1, -1), shift(tr, 1, -1), shift(br, 1, 1), shift(bl, -1, 1)];
}

export function scaleQuad(quad: Quad, sx: number, sy: number): Quad {
  return quad.map((p) => ({ x: p.x * sx, y: p.y * sy })) as Quad;
}

export function clampQuad(quad: Quad, width: number, height: number): Quad {
  const clamp = (v: number, max: number) => Math.min(Math.max(v, 0), max);
  return quad.map((p) => ({ x: clamp(p.x, width - 1), y: clamp(p.y, height - 1) })) as Quad;
}

/**
 * The band of a quad between fractions `from` and `to` of its height (0 top, 1 bottom), along its
 * own sides: on a whole plate, the strip where the registration characters are.
 */
export function quadBand(quad: Quad, from: number, to: number): Quad {
  const [tl, tr, br, bl] = quad;
  const at = (a: Point, b: Point, t: number): Point => ({ x: a.x + (b.x - a.x) * t, y: a.y + (b.y - a.y) * t });
  return [at(tl, bl, from), at(tr, br, from), at(tr, br, to), at(tl, bl, to)];
}
