import type { Box } from '../../../../drivers/camera/geometry';

/** Statistics of a BGR region, computed straight from the bytes so tests trust no drawing code. */
export interface RegionStats {
  /** Mean of (B + G + R) / 3. */
  mean: number;
  /** Standard deviation of that grey value: how much is drawn there. */
  greyStd: number;
  /** Mean of max(B, G, R) - min(B, G, R): 0 for a grey image. */
  channelSpread: number;
  pixels: number;
}

export function regionStats(pixels: Buffer, width: number, box: Box): RegionStats {
  const x0 = Math.max(0, Math.floor(box.x));
  const y0 = Math.max(0, Math.floor(box.y));
  const x1 = Math.min(width, Math.ceil(box.x + box.width));
  const y1 = Math.min(pixels.length / 3 / width, Math.ceil(box.y + box.height));
  let n = 0;
  let sum = 0;
  let sumSq = 0;
  let spread = 0;
  for (let y = y0; y < y1; y += 1) {
    for (let x = x0; x < x1; x += 1) {
      const i = (y * width + x) * 3;
      const b = pixels[i] as number;
      const g = pixels[i + 1] as number;
      const r = pixels[i + 2] as number;
      const grey = (b + g + r) / 3;
      sum += grey;
      sumSq += grey * grey;
      spread += Math.max(b, g, r) - Math.min(b, g, r);
      n += 1;
    }
  }
  const mean = n > 0 ? sum / n : 0;
  return {
    mean,
    greyStd: n > 0 ? Math.sqrt(Math.max(0, sumSq / n - mean * mean)) : 0,
    channelSpread: n > 0 ? spread / n : 0,
    pixels: n,
  };
}

/** Shrinks a box towards its centre by `fraction` of its size on each side. */
export function inset(box: Box, fraction: number): Box {
  return {
    x: box.x + box.width * fraction,
    y: box.y + box.height * fraction,
    width: box.width * (1 - 2 * fraction),
    height: box.height * (1 - 2 * fraction),
  };
}
