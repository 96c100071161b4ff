import type { FrameImage } from '../drivers/camera/frame';
import type { Quad } from '../drivers/camera/geometry';

/** One reading of one plate-like region in one frame. */
export interface PlateCandidate {
  /** Plate characters, upper case, A-Z and 0-9 only. */
  text: string;
  /** Confidence of the whole reading, 0..1. */
  confidence: number;
  /** One confidence per character of `text`. */
  charConfidences: number[];
  /** Other readings of the same region, best first (never including `text`). */
  alternatives: { text: string; confidence: number }[];
  /** Where the plate is, in frame pixels. */
  quad: Quad;
  /** The plate region as JPEG, the frame's own pixels (not resampled), for evidence and review. */
  crop: Buffer;
}

/** Time spent in each stage of recognizing one frame, ms. */
export interface StageTimings {
  decode: number;
  preprocess: number;
  localize: number;
  ocr: number;
  total: number;
}

/** What the recognizer returns for one frame. */
export interface FrameRecognition {
  width: number;
  height: number;
  /** Best first. */
  candidates: PlateCandidate[];
  timings: StageTimings;
  /**
   * True when the motion gate let the frame pass unread: nothing moved in the region of interest
   * since the last frame read (recognizer/preprocess/motion-gate). Absent for frames read.
   */
  still?: true;
  /**
   * The frame's image, handed back (transferred, not copied) when the caller asked for it and
   * there are candidates, so a hotlist hit can carry the full frame as evidence; absent otherwise.
   */
  image?: FrameImage;
}
