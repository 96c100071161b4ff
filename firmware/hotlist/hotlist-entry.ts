/**
 * One hotlist entry: a plate (or a partial plate with wildcards) that raises an alert when read,
 * with the list it came from and what the officer needs to know. One definition, shared by the
 * list files, the store and the matcher.
 */
import { z } from 'zod';

/** Bounds every entry obeys. */
export const ENTRY_LIMITS = {
  /** Characters of a full plate. */
  plateChars: 12,
  /** Characters of a wildcard pattern, wildcards included. */
  patternChars: 16,
  /**
   * Literal (non-wildcard) characters a pattern must keep. "*" or "7*" would alert on a large
   * share of all traffic; three known characters is the least a partial plate is useful with.
   */
  patternLiterals: 3,
  /** List names, case numbers, reasons, names. */
  idChars: 128,
  synopsisChars: 500,
} as const;

export interface HotlistEntry {
  /** Plate as entered: A-Z 0-9, or a partial plate with wildcards: '?' one character, '*' any run (incl. none). */
  plate: string;
  /** Two-letter state/province code when known, else null. */
  state: string | null;
  /** List name, e.g. "CA-SVS". */
  list: string;
  /** Stolen vehicle, wanted person, Amber alert, ... */
  reason: string;
  caseNumber: string;
  enteredBy: string;
  /** Short, at most 500 characters; may be empty. */
  synopsis: string;
  /** Ms since epoch. */
  enteredAt: number;
  /** Ms since epoch; null when it never expires. The entry stops matching once now >= expiresAt. */
  expiresAt: number | null;
}

/** Upper-case and drop the separators people type (spaces, dashes, dots): "7-abc 123" -> "7ABC123". */
export function normalizePlate(text: string): string {
  return text.toUpperCase().replace(/[\s.\-]+/g, '');
}

/** True when the plate holds '?' or '*' (a partial plate). */
export function isWildcardPlate(plate: string): boolean {
  return plate.includes('?') || plate.includes('*');
}

/** What is wrong with an (already normalized) plate, or null when it is fine. */
export function plateProblem(plate: string): string | null {
  if (plate.length === 0) return 'must not be empty';
  if (/[^A-Z0-9?*]/.test(plate)) return `must be A-Z, 0-9, '?' or '*' (got "${plate}")`;
  if (!isWildcardPlate(plate)) {
    return plate.length > ENTRY_LIMITS.plateChars ? `must be at most ${ENTRY_LIMITS.plateChars} characters (got ${plate.length})` : null;
  }
  if (plate.length > ENTRY_LIMITS.patternChars) return `a wildcard plate must be at most ${ENTRY_LIMITS.patternChars} characters (got ${plate.length})`;
  const literals = plate.replace(/[?*]/g, '').length;
  if (literals < ENTRY_LIMITS.patternLiterals) {
    return `a wildcard plate must keep at least ${ENTRY_LIMITS.patternLiterals} known characters (got "${plate}")`;
  }
  return null;
}

/** "required" when the key is absent, else what the field allows. */
function says(allowed: string) {
  return (issue: { input?: unknown }) => (issue.input === undefined ? 'required' : `must be ${allowed}`);
}

function text(what: string, max: number, min = 1) {
  const allowed = min > 0 ? `${what} (1 to ${max} characters)` : `${what} (at most ${max} characters)`;
  const error = says(allowed);
  return z.string({ error }).min(min, { error }).max(max, { error });
}

function timeMs(what: string) {
  const error = says(`${what}: an integer number of ms since 1970`);
  return z.int({ error }).min(0, { error }).max(8.64e15, { error });
}

/** Plates are normalized first, so "7abc-123" is stored as "7ABC123". */
const plate = z
  .string({ error: says("a plate: A-Z, 0-9, '?' or '*'") })
  .transform((value, ctx) => {
    const normalized = normalizePlate(value);
    const problem = plateProblem(normalized);
    if (problem !== null) ctx.addIssue({ code: 'custom', message: problem });
    return normalized;
  });

const state = z
  .string({ error: says('a two-letter state/province code, or null') })
  .transform((value) => value.trim().toUpperCase())
  .pipe(z.string().regex(/^[A-Z]{2}$/, { error: 'must be a two-letter state/province code, or null' }))
  .nullable();

const keys = 'plate, state, list, reason, caseNumber, enteredBy, synopsis, enteredAt, expiresAt';

/** A hotlist entry, strict: unknown keys are refused; every missing field is reported as "required". */
export const hotlistEntrySchema = z.strictObject(
  {
    plate,
    state,
    list: text('a list name', ENTRY_LIMITS.idChars),
    reason: text('a reason', ENTRY_LIMITS.idChars),
    caseNumber: text('a case number', ENTRY_LIMITS.idChars),
    enteredBy: text('a name', ENTRY_LIMITS.idChars),
    synopsis: text('a synopsis', ENTRY_LIMITS.synopsisChars, 0),
    enteredAt: timeMs('enteredAt'),
    expiresAt: timeMs('expiresAt').nullable(),
  },
  {
    error: (issue) =>
      issue.code === 'unrecognized_keys'
        ? `unknown key ${issue.keys.map((k) => `"${k}"`).join(', ')}; allowed keys: ${keys}`
        : `must be an object with keys: ${keys}`,
  },
);

// The schema's output must be exactly the interface (checked at compile time).
type SchemaOutput = z.output<typeof hotlistEntrySchema>;
const _sameShape: [SchemaOutput extends HotlistEntry ? true : never, HotlistEntry extends SchemaOutput ? true : never] = [true, true];
void _sameShape;

/** True when the entry no longer matches at `now`. */
export function isExpired(entry: HotlistEntry, now: number): boolean {
  return entry.expiresAt !== null && entry.expiresAt <= now;
}
