/**
 * An Alert: a read that hit a hotlist, with what the receiving officer needs to confirm it by eye
 * before acting (POLICY P8, P9): the plate crop and the full frame, each matching entry with its
 * list, case number and synopsis, the rule that fired and why, the read's confidence, and whether
 * the list was stale. One definition, imported by the pipeline, the store, the uplink and the CLI.
 */
import { z } from 'zod';
import type { Read } from '../pipeline/read';
import { ENTRY_LIMITS, type HotlistEntry } from './hotlist-entry';
import type { HotlistMatch, MatchDifference, MatchRule } from './hotlist-matcher';

/** Printed with every alert, on the device, in the upload and at central. */
export const CONFIRM_ADVISORY =
  'Confirm the plate characters visually against the captured image and through the state system before acting; ALPR reads may or may not be accurate.';

/** Most matches one alert carries (the best first); a read hitting more is rare and the rest add nothing to the decision. */
export const MAX_ALERT_MATCHES = 10;

/** One entry a read hit, as the alert carries it: the entry, the rule, and how fresh its list was. */
export interface AlertMatch {
  entry: HotlistEntry;
  rule: MatchRule;
  /** The read text (voted plate or alternative) that matched. */
  matchedText: string;
  differences: MatchDifference[];
  /** "exact", "fuzzy: read O where the list has 0 at 3", ... */
  why: string;
  /** When the entry's list was last refreshed, ms since 1970; null when the list was not found. */
  listRefreshedAt: number | null;
  /** When the list became stale (POLICY P6), or null while it was fresh at the alert. */
  listStaleSince: number | null;
}

/** The most bytes an alert's frame JPEG may have, in the store and on the wire: a 4K frame at evidence quality fits. */
export const MAX_FRAME_JPEG_BYTES = 8 * 1024 * 1024;

/** The JPEG full frame the plate was read in. */
export interface AlertFrame {
  jpeg: Buffer;
  width: number;
  height: number;
}

/** What makes a stored read an alert (kept sealed with the read, class 'hit'). */
export interface AlertDetails {
  /** When the hit was found, ms since 1970. */
  raisedAt: number;
  /** Best first: exact, alternative, wildcard, fuzzy. At least one. */
  matches: AlertMatch[];
  /** CONFIRM_ADVISORY, plus a "hotlist X stale since ..." line for each stale list. */
  advisory: string;
  /** The full frame; null only when the frame could not be kept (the reason is in frameMissing). */
  frame: AlertFrame | null;
  /** Why there is no frame, when there is none. */
  frameMissing: string | null;
}

/** A read that hit, with its details. The read's crop is the plate evidence, `details.frame` the scene. */
export interface Alert {
  read: Read;
  details: AlertDetails;
}

/** Freshness of one list at the time of the alert. */
export interface ListFreshness {
  refreshedAt: number;
  staleSince: number | null;
}

/** The advisory lines: the confirm reminder, then one line per stale list. */
export function advisoryText(matches: readonly AlertMatch[]): string {
  const lines = [CONFIRM_ADVISORY];
  const stale = new Map<string, number>();
  for (const m of matches) if (m.listStaleSince !== null) stale.set(m.entry.list, m.listStaleSince);
  for (const [list, since] of stale) lines.push(`hotlist ${list} stale since ${new Date(since).toISOString()}`);
  return lines.join('\n');
}

/** The alert details for matches found at `now`; `freshness` gives each list's state. */
export function alertDetails(
  matches: readonly HotlistMatch[],
  freshness: (list: string) => ListFreshness | null,
  frame: AlertFrame | null,
  frameMissing: string | null,
  now: number,
): AlertDetails {
  if (matches.length === 0) throw new RangeError('an alert needs at least one match');
  const alertMatches = matches.slice(0, MAX_ALERT_MATCHES).map((m): AlertMatch => {
    const list = freshness(m.entry.list);
    return {
      entry: m.entry,
      rule: m.rule,
      matchedText: m.matchedText,
      differences: m.differences,
      why: m.why,
      listRefreshedAt: list?.refreshedAt ?? null,
      listStaleSince: list?.staleSince ?? null,
    };
  });
  return { raisedAt: now, matches: alertMatches, advisory: advisoryText(alertMatches), frame, frameMissing: frame === null ? (frameMissing ?? 'no frame') : null };
}

/** One line for logs and consoles: plate, rule, list, case; no synopsis (it may name people). */
export function alertSummary(read: Pick<Read, 'plate' | 'confidence'>, details: Pick<AlertDetails, 'matches'>): string {
  const best = details.matches[0];
  const more = details.matches.length > 1 ? ` (+${details.matches.length - 1} more)` : '';
  const stale = best.listStaleSince !== null ? ` [hotlist stale since ${new Date(best.listStaleSince).toISOString()}]` : '';
  return `${read.plate} ${best.why} on ${best.entry.list} ${best.entry.plate}: ${best.entry.reason}, case ${best.entry.caseNumber}, confidence ${read.confidence.toFixed(2)}${more}${stale}`;
}

const time = z.number().int().min(0).max(8.64e15);
const short = z.string().max(ENTRY_LIMITS.idChars);

/** An entry as an alert carries it: already checked when its list was accepted, so plain fields here. */
const alertEntrySchema = z.strictObject({
  plate: z.string().min(1).max(ENTRY_LIMITS.patternChars),
  state: z.string().max(2).nullable(),
  list: short,
  reason: short,
  caseNumber: short,
  enteredBy: short,
  synopsis: z.string().max(ENTRY_LIMITS.synopsisChars),
  enteredAt: time,
  expiresAt: time.nullable(),
});

const differenceSchema = z.strictObject({
  kind: z.enum(['confusable', 'missing', 'extra']),
  at: z.number().int().min(0).max(64),
  read: z.string().max(1).nullable(),
  listed: z.string().max(1).nullable(),
});

const alertMatchSchema = z.strictObject({
  entry: alertEntrySchema,
  rule: z.enum(['exact', 'alternative', 'fuzzy', 'wildcard']),
  matchedText: z.string().min(1).max(ENTRY_LIMITS.patternChars),
  differences: z.array(differenceSchema).max(8),
  why: z.string().max(1000),
  listRefreshedAt: time.nullable(),
  listStaleSince: time.nullable(),
});

/**
 * The JSON form of AlertDetails: everything but the frame's JPEG bytes, which travel beside it
 * (raw after the JSON in the store, base64 in the protocol). Used by both, so they cannot drift.
 */
export const alertRecordSchema = z.strictObject({
  raisedAt: time,
  matches: z.array(alertMatchSchema).min(1).max(MAX_ALERT_MATCHES),
  advisory: z.string().min(1).max(4000),
  frame: z.strictObject({ width: z.number().int().min(1).max(16384), height: z.number().int().min(1).max(16384) }).nullable(),
  frameMissing: z.string().max(500).nullable(),
});
export type AlertRecord = z.infer<typeof alertRecordSchema>;

/** The JSON form of the details (the frame's bytes left out). */
export function alertRecordOf(details: AlertDetails): AlertRecord {
  return {
    raisedAt: details.raisedAt,
    matches: details.matches.map((m) => ({ ...m, entry: { ...m.entry }, differences: m.differences.map((d) => ({ ...d })) })),
    advisory: details.advisory,
    frame: details.frame === null ? null : { width: details.frame.width, height: details.frame.height },
    frameMissing: details.frameMissing,
  };
}

/** The details again from their JSON form and the frame's bytes (null when the record has no frame). */
export function alertDetailsOf(record: AlertRecord, jpeg: Buffer | null): AlertDetails {
  const frame = record.frame !== null && jpeg !== null ? { jpeg, width: record.frame.width, height: record.frame.height } : null;
  return { ...record, frame, frameMissing: frame === null ? (record.frameMissing ?? 'no frame') : null };
}
