/**
 * Characters a plate reader mistakes for one another. Two plates of the same length that differ
 * only by such pairs have the same canonical form (each character replaced by its class's first
 * member), which is what the fuzzy index keys on.
 */

/** The classes of characters OCR confuses on plates; a pair is confusable when both are in one class. */
export const CONFUSION_CLASSES: readonly string[] = ['O0DQ', 'I1LT', 'B8', 'S5', 'Z2', 'G6'];

/** Char code -> its class representative's char code (itself when in no class); ASCII only. */
const CANONICAL = new Uint16Array(128);
for (let c = 0; c < 128; c += 1) CANONICAL[c] = c;
for (const members of CONFUSION_CLASSES) {
  for (const ch of members) CANONICAL[ch.charCodeAt(0)] = members.charCodeAt(0);
}

/** The char code of `code`'s class representative (the code itself when in no class). */
export function canonicalCode(code: number): number {
  return code < 128 ? CANONICAL[code] : code;
}

/** True for two different characters of one confusion class. */
export function areConfusable(a: string, b: string): boolean {
  return a !== b && canonicalCode(a.charCodeAt(0)) === canonicalCode(b.charCodeAt(0));
}
