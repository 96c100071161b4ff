import type { PlateCandidate } from '../../recognizer/candidate';
import type { PlateFormatRules } from '../../firmware/pipeline/plate-format';
import { rankCandidates } from '../../firmware/pipeline/format-candidates';

/** An image's candidates against its label, as a user would see them after the format rules. */
export interface ScoredReadings {
  /** The best candidate's text, or null when nothing was read. */
  best: string | null;
  /** Every reading offered: candidates and their alternatives, best first, once each. */
  readings: string[];
  top1: boolean;
  topN: boolean;
}

export function scoreReadings(candidates: PlateCandidate[], rules: PlateFormatRules, label: string): ScoredReadings {
  const ranked = rankCandidates(candidates, rules);
  const readings = [...new Set(ranked.flatMap((c) => [c.text, ...c.alternatives.map((a) => a.text)]))];
  const best = ranked[0]?.text ?? null;
  return { best, readings, top1: best === label, topN: readings.includes(label) };
}
