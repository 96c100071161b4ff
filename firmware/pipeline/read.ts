import type { Quad } from '../../drivers/camera/geometry';

export interface ReadAlternative {
  plate: string;
  confidence: number;
}

/** One vehicle's plate, voted across the frames it was seen in. The unit the store keeps. */
export interface Read {
  /** Random UUID, unique on this device. */
  id: string;
  /** Voted plate text, A-Z and 0-9. */
  plate: string;
  /** 0..1; reads are "data that may or may not be accurate" (POLICY P9). */
  confidence: number;
  /** Up to 5 other readings, best first. */
  alternatives: ReadAlternative[];
  /** Best plate crop, JPEG. */
  crop: Buffer;
  /** Where the best crop was found, frame pixels. */
  quad: Quad;
  /** Wall-clock ms since the epoch. */
  firstSeen: number;
  lastSeen: number;
  /** Frames whose candidates were voted into this read. */
  frameCount: number;
  sourceId: string;
  /** Name of the plate-format rule the text matched, or null when none did. */
  format: string | null;
}
