import type { Quad } from '../../drivers/camera/geometry';
import type { PlateCandidate } from '../../recognizer/candidate';
import type { FormattedReading, PlateFormatRules } from './plate-format';

/** A recognizer candidate after the plate-format rules: what the tracker votes and `read` prints. */
export interface FormattedCandidate {
  text: string;
  confidence: number;
  /** Confidence times how plate-like the text is. */
  rank: number;
  format: string | null;
  /** The other readings of the same plate: the recognizer's text when an alternative won, and the rest. */
  alternatives: { text: string; confidence: number }[];
  charConfidences: number[];
  quad: Quad;
  crop: Buffer;
}

/**
 * Picks, among a candidate's reading and the recognizer's alternatives for it, the one that ranks
 * best under the format rules. An alternative's confidence already carries the recognizer's own
 * doubt about the characters it changes, so a format only wins over a sure reading when the
 * recognizer found the other character nearly as likely (an O or a 0 on a plate font).
 */
export function formatCandidate(c: PlateCandidate, rules: PlateFormatRules): FormattedCandidate | null {
  const readings = [{ text: c.text, confidence: c.confidence }, ...c.alternatives];
  let best: FormattedReading | null = null;
  for (const r of readings) {
    const formatted = rules.apply(r.text, r.confidence);
    if (formatted && (!best || formatted.rank > best.rank)) best = formatted;
  }
  if (!best) return null;
  const chosen = best;
  return {
    text: chosen.text,
    confidence: chosen.confidence,
    rank: chosen.rank,
    format: chosen.format,
    alternatives: readings.filter((r) => r.text !== chosen.text),
    charConfidences: chosen.text === c.text ? c.charConfidences : [],
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
