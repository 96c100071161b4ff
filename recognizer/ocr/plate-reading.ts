import type { DecodedChar } from './ctc-decode';

export interface PlateReading {
  text: string;
  confidence: number;
  charConfidences: number[];
  alternatives: { text: string; confidence: number }[];
}

const PLATE_CHAR = /^[A-Z0-9]$/;
/** Alternatives kept per reading (the Read type allows 5). */
export const MAX_ALTERNATIVES = 5;

function plateChar(char: string | null): string | null {
  if (char === null) return null;
  const upper = char.toUpperCase();
  return PLATE_CHAR.test(upper) ? upper : null;
}

function geometricMean(probs: number[]): number {
  if (probs.length === 0) return 0;
  return Math.exp(probs.reduce((sum, p) => sum + Math.log(Math.max(p, 1e-6)), 0) / probs.length);
}

/**
 * Turns decoded characters into plate text: upper case, A-Z and 0-9 only (spaces, dashes,
 * punctuation and other scripts dropped). Alternatives swap in the runner-up class at the least
 * certain positions, or drop a character the model nearly read as blank.
 */
export function toPlateReading(decoded: DecodedChar[]): PlateReading {
  const kept = decoded
    .map((d) => ({ char: plateChar(d.char), prob: d.prob, second: plateChar(d.second.char), secondProb: d.second.prob, secondIsBlank: d.second.char === null }))
    .filter((d): d is typeof d & { char: string } => d.char !== null);
  const text = kept.map((k) => k.char).join('');
  const charConfidences = kept.map((k) => k.prob);
  const confidence = geometricMean(charConfidences);

  // An alternative replaces one character's probability with its runner-up's (the blank's for
  // a dropped character), so it never scores above the reading it came from.
  const logSum = charConfidences.reduce((sum, p) => sum + Math.log(Math.max(p, 1e-6)), 0);
  const alternatives = new Map<string, number>();
  kept.forEach((k, i) => {
    const alt = k.second && k.second !== k.char ? text.slice(0, i) + k.second + text.slice(i + 1) : k.secondIsBlank ? text.slice(0, i) + text.slice(i + 1) : null;
    if (alt === null || alt === text || alt.length === 0) return;
    const conf = Math.exp((logSum - Math.log(Math.max(k.prob, 1e-6)) + Math.log(Math.max(k.secondProb, 1e-6))) / kept.length);
    if ((alternatives.get(alt) ?? 0) < conf) alternatives.set(alt, conf);
  });
  return {
    text,
    confidence,
    charConfidences,
    alternatives: [...alternatives.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, MAX_ALTERNATIVES)
      .map(([alt, conf]) => ({ text: alt, confidence: conf })),
  };
}
