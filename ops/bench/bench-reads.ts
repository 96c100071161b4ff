import { randomBytes, randomUUID } from 'node:crypto';
import type { Read } from '../../firmware/pipeline/read';

/**
 * Reads for benchmarks: random crops (16 distinct, incompressible like JPEG, so no layer gets to
 * compress them away) of `cropBytes`, plates varying with each read. `firstSeen(i)` places read i.
 */
export function benchReads(cropBytes: number, firstSeen: (i: number) => number): (count: number) => Read[] {
  const crops = Array.from({ length: 16 }, () => randomBytes(cropBytes));
  let seq = 0;
  return (count) =>
    Array.from({ length: count }, () => {
      const i = seq++;
      const seen = firstSeen(i);
      return {
        id: randomUUID(),
        plate: `B${(100000 + (i % 900000)).toString()}`,
        confidence: 0.9,
        alternatives: [{ plate: `8${(100000 + (i % 900000)).toString()}`, confidence: 0.2 }],
        crop: crops[i % crops.length],
        quad: [{ x: 10, y: 20 }, { x: 110, y: 20 }, { x: 110, y: 50 }, { x: 10, y: 50 }],
        firstSeen: seen,
        lastSeen: seen + 800,
        frameCount: 5,
        sourceId: 'bench',
        format: 'us-standard',
      };
    });
}
