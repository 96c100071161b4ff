import type { Random } from './random';

/**
 * Plate numbers in the serial formats US states issue. A pattern has one symbol per character:
 * `L` a letter, `D` a digit. `groups` says how the plate shows them (e.g. [3, 4] for `ABC 1234`)
 * and `separators` which gap the plate may print between groups; the truth text never has one.
 */
export interface PlateFormat {
  name: string;
  pattern: string;
  groups: readonly number[];
  separators: readonly string[];
  /** Header lines a plate of this format may carry. */
  regions: readonly string[];
  /** Relative frequency among generated plates. */
  weight: number;
}

/** Most states leave out I, O and Q so they are not mistaken for 1 and 0. */
export const PLATE_LETTERS = 'ABCDEFGHJKLMNPRSTUVWXYZ';
export const PLATE_DIGITS = '0123456789';

export const PLATE_FORMATS: readonly PlateFormat[] = [
  { name: 'california', pattern: 'DLLLDDD', groups: [7], separators: [''], regions: ['CALIFORNIA'], weight: 3 },
  {
    name: 'three-letters-four-digits',
    pattern: 'LLLDDDD',
    groups: [3, 4],
    separators: ['-', ' '],
    regions: ['NEW YORK', 'PENNSYLVANIA', 'GEORGIA', 'TEXAS', 'OHIO', 'MICHIGAN', 'VIRGINIA', 'ARIZONA'],
    weight: 5,
  },
  { name: 'florida', pattern: 'LLLLDD', groups: [3, 3], separators: [' ', '-'], regions: ['FLORIDA'], weight: 2 },
  { name: 'new-jersey', pattern: 'LDDLLL', groups: [3, 3], separators: [' ', '-'], regions: ['NEW JERSEY'], weight: 1 },
  { name: 'legacy-digits-first', pattern: 'DDDLLL', groups: [3, 3], separators: [' ', '-'], regions: ['MINNESOTA', 'OREGON', 'IOWA'], weight: 2 },
  { name: 'legacy-letters-first', pattern: 'LLLDDD', groups: [3, 3], separators: [' ', '-', ''], regions: ['WASHINGTON', 'COLORADO', 'NEVADA', 'UTAH'], weight: 2 },
  { name: 'two-letters-five-digits', pattern: 'LLDDDDD', groups: [2, 5], separators: [' ', '-'], regions: ['ILLINOIS', 'CONNECTICUT'], weight: 1 },
  { name: 'massachusetts', pattern: 'DLLLDD', groups: [6], separators: [''], regions: ['MASSACHUSETTS'], weight: 1 },
  { name: 'maryland', pattern: 'DLLDDDD', groups: [7], separators: [''], regions: ['MARYLAND'], weight: 1 },
  { name: 'five-character', pattern: 'LLDDD', groups: [2, 3], separators: [' ', '-'], regions: ['VERMONT', 'DELAWARE', 'RHODE ISLAND'], weight: 1 },
];

export interface PlateText {
  /** What a reader should report: A-Z and 0-9 only. */
  text: string;
  /** What the plate shows, separator included. */
  display: string;
  format: PlateFormat;
  region: string;
}

/** The regular expression a text of this format matches (truth text, no separator). */
export function formatRegExp(format: PlateFormat): RegExp {
  const body = [...format.pattern]
    .map((symbol) => (symbol === 'L' ? `[${PLATE_LETTERS}]` : '[0-9]'))
    .join('');
  return new RegExp(`^${body}$`);
}

/** The formats a truth text fits (several can: `ABC123` is legacy letters-first only). */
export function matchingFormats(text: string, formats: readonly PlateFormat[] = PLATE_FORMATS): PlateFormat[] {
  return formats.filter((format) => formatRegExp(format).test(text));
}

/** The text as the plate prints it: groups joined by the separator. */
export function displayText(format: PlateFormat, text: string, separator: string): string {
  const parts: string[] = [];
  let at = 0;
  for (const size of format.groups) {
    parts.push(text.slice(at, at + size));
    at += size;
  }
  return parts.join(separator);
}

export function randomPlateText(rng: Random, formats: readonly PlateFormat[] = PLATE_FORMATS): PlateText {
  const format = rng.weighted(formats, (f) => f.weight);
  let text = '';
  for (const symbol of format.pattern) {
    // Serials that start with a digit never start with 0 (California's 1ABC234 runs from 1).
    const alphabet = symbol === 'L' ? PLATE_LETTERS : text === '' ? PLATE_DIGITS.slice(1) : PLATE_DIGITS;
    text += alphabet[rng.int(0, alphabet.length - 1)];
  }
  const separator = rng.pick(format.separators);
  return { text, display: displayText(format, text, separator), format, region: rng.pick(format.regions) };
}
