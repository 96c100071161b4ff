/**
 * The hotlist matcher's figures: match time per read against a large set of lists, and fuzzy
 * false positives on random plate pairs. Everything is drawn from a seeded generator, so runs
 * with one seed are comparable. (The alert-latency half lives beside it.)
 *
 * Entries: US-format plates over three lists, 1% partial plates with wildcards, 5% expired.
 * Reads: the voted plate and four alternatives (single-character variants, as the recognizer
 * gives); 10% are a listed plate, 5% a listed plate with one confusable misread, 5% with one
 * character missing or extra, the rest unlisted plates.
 * False positives: 10,000 pairs (A, B) where B is A with 2 to 4 positions replaced by a random
 * different character (A-Z 0-9); all Bs form one list, each A is matched alone (no alternatives),
 * and a pair counts when A matches its B as fuzzy.
 */
import { Random } from '../../drivers/camera/synthetic/random';
import type { HotlistEntry } from '../../firmware/hotlist/hotlist-entry';
import { CONFUSION_CLASSES } from '../../firmware/hotlist/confusables';
import { HotlistMatcher, type MatchRule, type PlateReadCandidates } from '../../firmware/hotlist/hotlist-matcher';
import { US_PLATE_FORMATS } from '../../firmware/pipeline/us-plate-formats';
import { quantile, round } from './stats';

export interface MatchBenchOptions {
  /** Entries across all lists. */
  entries: number;
  /** Reads matched (after a warm-up of min(1,000, reads)). */
  reads: number;
  seed: number;
  /** Random pairs for the false-positive count. */
  pairs?: number;
}

export interface MatchBenchResult {
  entries: number;
  reads: number;
  /** Texts per read: the voted plate and its alternatives. */
  texts_per_read: number;
  build_ms: number;
  /** Memory the matcher's indexes hold (heap and typed arrays), MB; null unless node runs with --expose-gc. */
  index_mb: number | null;
  match_median_ms: number;
  match_p99_ms: number;
  match_max_ms: number;
  /** Reads with at least one hit, by the best rule of their first match. */
  hits: Record<MatchRule, number>;
  fuzzy_pairs: number;
  /** Pairs differing in 2+ random characters that matched as fuzzy, with the default cap of one confusable substitution. */
  fuzzy_false_positives: number;
  /** The same pairs with two confusable substitutions allowed: what raising the cap would cost. */
  fuzzy_false_positives_cap2: number;
}

const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const DIGITS = '0123456789';
const ALPHABET = [...LETTERS, ...DIGITS];
const LETTER_LIST = [...LETTERS];
const DIGIT_LIST = [...DIGITS];
const LISTS = ['CA-SVS', 'COUNTY-BOLO', 'AGENCY'];

/** `count` entries over three lists: US-format plates, 1% partial plates, 5% expired at `now`. */
export function benchEntries(rng: Random, count: number, now: number): HotlistEntry[] {
  const entries: HotlistEntry[] = [];
  for (let i = 0; i < count; i += 1) {
    const full = randomPlate(rng);
    const plate = rng.chance(0.01) ? partialOf(rng, full) : full;
    entries.push(entry(plate, rng.pick(LISTS), now, rng.chance(0.05) ? now - 1000 : null));
  }
  return entries;
}

export function runMatchBench(options: MatchBenchOptions): MatchBenchResult {
  const rng = Random.stream(options.seed, 'hotlist-match');
  const now = Date.UTC(2025, 0, 1);
  const entries = benchEntries(rng, options.entries, now);

  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const memory = (): number => process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
  const before = memory();
  const built = process.hrtime.bigint();
  const matcher = new HotlistMatcher(entries, () => now);
  const buildMs = Number(process.hrtime.bigint() - built) / 1e6;
  gc?.();
  gc?.(); // the builders' spare arrays go on the second collection
  const indexMb = gc ? (memory() - before) / 1e6 : null;

  const fullPlates = entries.filter((e) => !/[?*]/.test(e.plate)).map((e) => e.plate);
  const reads: PlateReadCandidates[] = [];
  const warmUp = Math.min(1000, options.reads);
  for (let i = 0; i < options.reads + warmUp; i += 1) {
    const roll = rng.float();
    let plate: string;
    if (roll < 0.1) plate = rng.pick(fullPlates);
    else if (roll < 0.15) plate = confusableMisread(rng, rng.pick(fullPlates));
    else if (roll < 0.2) plate = rng.chance(0.5) ? deleteOne(rng, rng.pick(fullPlates)) : insertOne(rng, rng.pick(fullPlates));
    else plate = randomPlate(rng);
    const alternatives = Array.from({ length: 4 }, (_, k) => ({ plate: substituteOne(rng, plate), confidence: 0.4 - k * 0.08 }));
    reads.push({ plate, alternatives });
  }

  const times: number[] = [];
  const hits: Record<MatchRule, number> = { exact: 0, alternative: 0, wildcard: 0, fuzzy: 0 };
  reads.forEach((read, i) => {
    const start = process.hrtime.bigint();
    const matches = matcher.match(read);
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    if (i < warmUp) return;
    times.push(ms);
    if (matches.length > 0) hits[matches[0].rule] += 1;
  });

  const pairs = options.pairs ?? 10_000;
  const falsePositives = countFuzzyFalsePositives(Random.stream(options.seed, 'hotlist-pairs'), pairs, now);

  return {
    entries: options.entries,
    reads: options.reads,
    texts_per_read: 5,
    build_ms: round(buildMs, 1),
    index_mb: indexMb === null ? null : round(indexMb, 1),
    match_median_ms: round(quantile(times, 0.5), 4),
    match_p99_ms: round(quantile(times, 0.99), 4),
    match_max_ms: round(Math.max(...times), 3),
    hits,
    fuzzy_pairs: pairs,
    fuzzy_false_positives: falsePositives.cap1,
    fuzzy_false_positives_cap2: falsePositives.cap2,
  };
}

/** Pairs (A, B), B = A with 2 to 4 positions replaced by a random different character. */
export function randomDifferingPairs(rng: Random, count: number): { read: string; listed: string; differing: number }[] {
  const pairs: { read: string; listed: string; differing: number }[] = [];
  for (let i = 0; i < count; i += 1) {
    const read = randomPlate(rng);
    const chars = [...read];
    const differing = rng.int(2, Math.min(4, chars.length));
    const positions = new Set<number>();
    while (positions.size < differing) positions.add(rng.int(0, chars.length - 1));
    for (const at of positions) {
      let c = chars[at];
      while (c === chars[at]) c = rng.pick(ALPHABET);
      chars[at] = c;
    }
    pairs.push({ read, listed: chars.join(''), differing });
  }
  return pairs;
}

function countFuzzyFalsePositives(rng: Random, count: number, now: number): { cap1: number; cap2: number } {
  const pairs = randomDifferingPairs(rng, count);
  const entries = pairs.map((pair) => entry(pair.listed, 'PAIRS', now, null));
  const result = { cap1: 0, cap2: 0 };
  for (const [key, cap] of [['cap1', 1], ['cap2', 2]] as const) {
    const matcher = new HotlistMatcher(entries, () => now, { maxConfusable: cap });
    pairs.forEach((pair, i) => {
      const hit = matcher.match({ plate: pair.read, alternatives: [] }).find((m) => m.entry === entries[i]);
      if (hit?.rule === 'fuzzy') result[key] += 1;
    });
  }
  return result;
}

function entry(plate: string, list: string, now: number, expiresAt: number | null): HotlistEntry {
  return {
    plate,
    state: null,
    list,
    reason: 'stolen vehicle',
    caseNumber: 'BENCH-1',
    enteredBy: 'bench',
    synopsis: '',
    enteredAt: now - 86_400_000,
    expiresAt,
  };
}

function randomPlate(rng: Random): string {
  const { shape } = rng.pick(US_PLATE_FORMATS);
  let plate = '';
  for (const c of shape) plate += c === '@' ? rng.pick(LETTER_LIST) : c === '#' ? rng.pick(DIGIT_LIST) : c;
  return plate;
}

/** A partial plate: one or two '?', or the tail replaced by '*'. */
function partialOf(rng: Random, plate: string): string {
  const chars = [...plate];
  if (rng.chance(0.5)) return `${plate.slice(0, rng.int(3, plate.length - 1))}*`;
  for (let k = rng.int(1, 2); k > 0; k -= 1) chars[rng.int(0, chars.length - 1)] = '?';
  return chars.join('');
}

function confusableMisread(rng: Random, plate: string): string {
  const at = [...plate].findIndex((c) => CONFUSION_CLASSES.some((members) => members.includes(c)));
  if (at < 0) return substituteOne(rng, plate);
  const members = CONFUSION_CLASSES.find((m) => m.includes(plate[at])) ?? plate[at];
  const other = [...members].filter((c) => c !== plate[at]);
  return plate.slice(0, at) + rng.pick(other) + plate.slice(at + 1);
}

function substituteOne(rng: Random, plate: string): string {
  const at = rng.int(0, plate.length - 1);
  return plate.slice(0, at) + rng.pick(ALPHABET) + plate.slice(at + 1);
}

function deleteOne(rng: Random, plate: string): string {
  const at = rng.int(0, plate.length - 1);
  return plate.slice(0, at) + plate.slice(at + 1);
}

function insertOne(rng: Random, plate: string): string {
  const at = rng.int(0, plate.length);
  return plate.slice(0, at) + rng.pick(ALPHABET) + plate.slice(at);
}
