/** Deterministic reads for store tests: the same index always gives the same read, in any process. */
import { createHash } from 'node:crypto';
import type { Read } from '../../../firmware/pipeline/read';

/** `size` bytes derived from `seed`, covering every byte value, so a crop round trip is a real check. */
export function fixtureBytes(seed: string, size: number): Buffer {
  const out = Buffer.alloc(size);
  let block = createHash('sha256').update(seed).digest();
  for (let off = 0; off < size; off += block.length) {
    block.copy(out, off);
    block = createHash('sha256').update(block).digest();
  }
  return out;
}

export interface FixtureReadOptions {
  firstSeen?: number;
  cropBytes?: number;
}

export function fixtureRead(i: number, opts: FixtureReadOptions = {}): Read {
  const firstSeen = opts.firstSeen ?? 1_700_000_000_000 + i * 1000;
  return {
    id: `00000000-0000-4000-8000-${i.toString().padStart(12, '0')}`,
    plate: `ABC${(1000 + i).toString()}`,
    confidence: 0.5 + ((i * 7) % 50) / 100,
    alternatives: [
      { plate: `A8C${(1000 + i).toString()}`, confidence: 0.31 },
      { plate: `ABC${(1000 + i).toString().slice(1)}`, confidence: 0.125 },
    ],
    crop: fixtureBytes(`crop ${i}`, opts.cropBytes ?? 1500 + i),
    quad: [
      { x: 10.5 + i, y: 20.25 },
      { x: 110.5 + i, y: 21 },
      { x: 111 + i, y: 52.75 },
      { x: 9.5 + i, y: 51 },
    ],
    firstSeen,
    lastSeen: firstSeen + 640 + i,
    frameCount: 3 + (i % 9),
    sourceId: i % 2 === 0 ? 'synthetic-1' : 'usb:/dev/video0',
    format: i % 3 === 0 ? null : 'us-standard',
  };
}
