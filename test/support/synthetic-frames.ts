import type { Frame } from '../../drivers/camera/frame';
import { SyntheticTrafficSource, type SyntheticTrafficOptions } from '../../drivers/camera/synthetic/synthetic-source';

/**
 * Frames of a seeded synthetic scene that show at least one plate wholly in view, every `stride`
 * scene frames, so tests get varied plates without reading every frame.
 */
export async function framesWithPlates(count: number, options: Partial<SyntheticTrafficOptions> = {}, stride = 5): Promise<Frame[]> {
  const source = new SyntheticTrafficSource({ seed: 7, realtime: false, ...options });
  await source.open();
  const frames: Frame[] = [];
  try {
    for (let i = 0; frames.length < count && i < count * stride * 20; i++) {
      const frame = await source.read();
      if (!frame) break;
      if (i % stride === 0 && (frame.truth?.length ?? 0) > 0) frames.push(frame);
    }
  } finally {
    await source.close();
  }
  return frames;
}
