import type { Quad } from '../../drivers/camera/geometry';
import type { PlateCandidate } from '../../recognizer/candidate';
import type { PlateFormatRules } from './plate-format';

/** A recognizer candidate after the plate-format rules: what the tracker votes and `read` prints. */
export interface FormattedCandidate {
  text: string;
  confidence: number;
  /** Confidence times how plate-like the text is. */
  rank: number;
  format: string | null;
  /** Other readings: the recognizer's raw text when the rules corrected it, then its alternatives. */
  alternatives: { text: string; confidence: number }[];
  charConfidences: number[];
  quad: Quad;
  crop: Buffer;
}

export function formatCandidate(c: PlateCandidate, rules: PlateFormatRules): FormattedCandidate | null {
  const formatted = rules.apply(c.text, c.confidence, c.charConfidences);
  if (!formatted) return null;
  const raw = formatted.text !== c.text ? [{ text: c.text, confidence: c.confidence }] : [];
  return {
    text: formatted.text,
    confidence: formatted.confidence,
    rank: formatted.rank,
    format: formatted.format,
    alternatives: [...raw, ...c.alternatives.filter((a) => a.text !== formatted.text)],
    charConfidences: c.charConfidences,
    quad: c.quad,
    crop: c.crop,
  };
}

/** A still image's candidates, formatted, most plate-like first (no tracking across frames). */
export function rankCandidates(candidates: PlateCandidate[], rules: PlateFormatRules): FormattedCandidate[] {
  return candidates
    .map((c) => formatCandidate(c, rules))
    .filter((c): c is FormattedCandidate => c !== null)
    .sort((a, b) => b.rank - a.rank);
}
