/**
 * Hotlist files, CSV or JSON, read into checked entries with an error per bad row (its row number
 * and field). A file with any bad row is refused whole, so a list is never half loaded, unless the
 * caller asks to skip bad rows.
 *
 * CSV: a header row naming the columns (plate, state, list, reason, caseNumber, enteredBy,
 * synopsis, enteredAt, expiresAt; any order, case, '_' or '-' ignored); state, expiresAt and
 * (when a list name is given) list may be left out or empty.
 * JSON: an array of entries, or `{ list, version?, generatedAt?, entries }` (the form central signs).
 * Times: ms since 1970, or ISO 8601: a date (midnight UTC) or a date and time with a zone.
 */
import { open } from 'node:fs/promises';
import * as path from 'node:path';
import { z } from 'zod';
import { readCsv } from './csv-records';
import { hotlistEntrySchema, type HotlistEntry } from './hotlist-entry';
import type { RowError } from './hotlist-error';
import { listNameProblem } from './hotlist-name';

export type HotlistFormat = 'csv' | 'json';

export const HOTLIST_FILE_LIMITS = {
  /** Bytes of a file or snapshot (100,000 entries of CSV are about 20 MB). */
  bytes: 64 * 1024 * 1024,
  entries: 1_000_000,
  /** Errors kept for the report; the count goes on past it. */
  errors: 1000,
} as const;

export interface ParseOptions {
  /** The list the rows belong to: the default for rows without one; a row naming another list is an error. */
  list?: string;
  /** Keep the good rows of a file with bad ones (the bad ones are still reported). */
  skipBadRows?: boolean;
}

export interface ParsedHotlist {
  /** The good entries; empty when the file is refused. */
  entries: HotlistEntry[];
  /** What was wrong, at most HOTLIST_FILE_LIMITS.errors of them. */
  errors: RowError[];
  /** Data rows (or JSON entries) read. */
  rows: number;
  /** Rows refused (may exceed errors.length: a row can have several errors, and the list is capped). */
  badRows: number;
  /** True when nothing may be loaded: a bad row without skipBadRows, a file-level error, or no good row left. */
  refused: boolean;
  /** From a JSON `{ list, version, generatedAt }` wrapper; null when absent. */
  list: string | null;
  version: number | null;
  generatedAt: number | null;
}

const COLUMNS = ['plate', 'state', 'list', 'reason', 'caseNumber', 'enteredBy', 'synopsis', 'enteredAt', 'expiresAt'] as const;
type Column = (typeof COLUMNS)[number];
/** May be absent or empty (null); `list` too when the caller names the list. */
const OPTIONAL: readonly Column[] = ['state', 'expiresAt'];

/** The format a file's extension says, or null. */
export function hotlistFormatOf(file: string): HotlistFormat | null {
  const ext = path.extname(file).toLowerCase();
  return ext === '.csv' ? 'csv' : ext === '.json' ? 'json' : null;
}

/** Reads and parses a file; the format from its extension unless given. @throws when it cannot be read or is too large. */
export async function parseHotlistFile(file: string, options: ParseOptions & { format?: HotlistFormat } = {}): Promise<ParsedHotlist> {
  const format = options.format ?? hotlistFormatOf(file);
  if (format === null) throw new Error(`${file}: cannot tell the format from the extension: name it .csv or .json, or give the format`);
  const handle = await open(file, 'r');
  let text: string;
  try {
    const { size } = await handle.stat();
    if (size > HOTLIST_FILE_LIMITS.bytes) throw new Error(`${file}: ${size} bytes is more than the ${HOTLIST_FILE_LIMITS.bytes} a hotlist file may have`);
    text = await handle.readFile('utf8');
  } finally {
    await handle.close();
  }
  return parseHotlistText(text, format, options);
}

/** Parses the text of a list. Never throws on bad content: everything wrong is in `errors`. */
export function parseHotlistText(text: string, format: HotlistFormat, options: ParseOptions = {}): ParsedHotlist {
  const result = new Collector(options);
  if (options.list !== undefined) {
    const problem = listNameProblem(options.list);
    if (problem !== null) return result.fileError('list', problem);
  }
  if (text.length > HOTLIST_FILE_LIMITS.bytes) return result.fileError(null, `${text.length} characters is more than a hotlist may have (${HOTLIST_FILE_LIMITS.bytes})`);
  if (format === 'csv') readCsvRows(text, result);
  else readJsonRows(text, result);
  return result.done();
}

/** One line per error: "FILE row 7, plate: must be ...". */
export function formatRowError(error: RowError, source?: string): string {
  const where = [source, error.row === null ? null : `row ${error.row}`].filter((part) => part != null).join(' ');
  const field = error.field === null ? '' : `${error.field}: `;
  return `${where === '' ? '' : `${where}, `}${field}${error.message}`;
}

/** A one-sentence summary of a refused file naming its bad rows. */
export function refusalSummary(parsed: ParsedHotlist): string {
  const rows = [...new Set(parsed.errors.map((e) => e.row).filter((row): row is number => row !== null))];
  const shown = rows.slice(0, 20).join(', ') + (rows.length > 20 ? ', ...' : '');
  if (parsed.badRows > 0) return `refused: ${parsed.badRows} bad row${parsed.badRows === 1 ? '' : 's'} of ${parsed.rows} (rows ${shown}); nothing was loaded`;
  return `refused: ${parsed.errors[0] === undefined ? 'no good rows' : formatRowError(parsed.errors[0])}; nothing was loaded`;
}

class Collector {
  readonly entries: HotlistEntry[] = [];
  readonly errors: RowError[] = [];
  rows = 0;
  badRows = 0;
  whole = false;
  list: string | null = null;
  version: number | null = null;
  generatedAt: number | null = null;

  constructor(readonly options: ParseOptions) {}

  error(error: RowError): void {
    if (this.errors.length < HOTLIST_FILE_LIMITS.errors) this.errors.push(error);
  }

  fileError(field: string | null, message: string, row: number | null = null): ParsedHotlist {
    this.error({ row, field, message });
    this.whole = true;
    return this.done();
  }

  /** Checks one row's raw fields; keeps the entry or records why not. */
  row(row: number, raw: Record<string, unknown>): void {
    this.rows++;
    const checked = checkEntry(raw, this.list ?? this.options.list);
    if (!Array.isArray(checked)) {
      this.entries.push(checked);
      return;
    }
    this.badRows++;
    for (const e of checked) this.error({ row, ...e });
  }

  done(): ParsedHotlist {
    const refused = this.whole || (this.badRows > 0 && this.options.skipBadRows !== true) || (this.badRows > 0 && this.entries.length === 0);
    return {
      entries: refused ? [] : this.entries,
      errors: this.errors,
      rows: this.rows,
      badRows: this.badRows,
      refused,
      list: this.list,
      version: this.version,
      generatedAt: this.generatedAt,
    };
  }
}

/** Header names compared without case, spaces, '_' or '-': "Case Number" and "case_number" are caseNumber. */
function columnOf(header: string): Column | null {
  const key = header.trim().toLowerCase().replace(/[\s_-]+/g, '');
  return COLUMNS.find((c) => c.toLowerCase() === key) ?? null;
}

function readCsvRows(text: string, out: Collector): void {
  const { records, problems } = readCsv(text);
  const header = records[0];
  // A malformed header or an unterminated quote spoils the whole file; other problems are their rows'.
  const fatal = problems.find((p) => header === undefined || p.line <= header.line || /never closed/.test(p.message));
  if (fatal !== undefined) {
    out.fileError(null, fatal.message, fatal.line);
    return;
  }
  if (header === undefined) {
    out.fileError(null, `no header row: the first line names the columns (${COLUMNS.join(',')})`);
    return;
  }
  const columns: Column[] = [];
  for (const name of header.fields) {
    const column = columnOf(name);
    if (column === null) {
      out.fileError(name.trim(), `unknown column; the columns are ${COLUMNS.join(', ')}`, header.line);
      return;
    }
    if (columns.includes(column)) {
      out.fileError(column, 'column named twice', header.line);
      return;
    }
    columns.push(column);
  }
  const optional = out.options.list === undefined ? OPTIONAL : [...OPTIONAL, 'list'];
  const missing = COLUMNS.filter((c) => !columns.includes(c) && !optional.includes(c));
  if (missing.length > 0) {
    const hint = missing.includes('list') ? ' (or name the list to load the rows into)' : '';
    out.fileError(missing.join(', '), `column${missing.length > 1 ? 's' : ''} missing from the header${hint}`, header.line);
    return;
  }

  // Problems and records interleave by line; each problem is one bad row.
  const rows = [...records.slice(1).map((r) => ({ line: r.line, fields: r.fields as string[] | null, problem: '' })), ...problems.map((p) => ({ line: p.line, fields: null, problem: p.message }))].sort(
    (a, b) => a.line - b.line,
  );
  for (const row of rows) {
    if (out.rows >= HOTLIST_FILE_LIMITS.entries) {
      out.fileError(null, `more than ${HOTLIST_FILE_LIMITS.entries} rows`, row.line);
      return;
    }
    if (row.fields === null) {
      out.rows++;
      out.badRows++;
      out.error({ row: row.line, field: null, message: row.problem });
      continue;
    }
    if (row.fields.length !== columns.length) {
      out.rows++;
      out.badRows++;
      out.error({ row: row.line, field: null, message: `${row.fields.length} fields where the header has ${columns.length} (a comma inside a field needs the field in double quotes)` });
      continue;
    }
    const raw: Record<string, unknown> = {};
    columns.forEach((column, k) => {
      const value = row.fields![k].trim();
      // An empty cell is a missing value: required ones say "required", optional ones are null.
      if (value !== '' || column === 'synopsis') raw[column] = value;
    });
    out.row(row.line, raw);
  }
}

const timeValue = z.union([z.number(), z.string()]);
const wrapperSchema = z.strictObject({
  list: z.string(),
  version: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).nullable().optional(),
  generatedAt: timeValue.nullable().optional(),
  entries: z.array(z.unknown()),
});

function readJsonRows(text: string, out: Collector): void {
  let document: unknown;
  try {
    document = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (err) {
    out.fileError(null, `not JSON: ${(err as Error).message}`);
    return;
  }
  let entries: unknown[];
  if (Array.isArray(document)) {
    entries = document;
  } else {
    const wrapper = wrapperSchema.safeParse(document);
    if (!wrapper.success) {
      const issue = wrapper.error.issues[0];
      const field = issue.code === 'unrecognized_keys' ? issue.keys.join(', ') : issue.path.join('.') || null;
      out.fileError(field, `${issue.code === 'unrecognized_keys' ? 'unknown key' : issue.message}: a JSON hotlist is an array of entries or { list, version?, generatedAt?, entries }`);
      return;
    }
    const problem = listNameProblem(wrapper.data.list);
    if (problem !== null) {
      out.fileError('list', problem);
      return;
    }
    if (out.options.list !== undefined && wrapper.data.list !== out.options.list) {
      out.fileError('list', `the file is list "${wrapper.data.list}", not "${out.options.list}"`);
      return;
    }
    if (wrapper.data.generatedAt != null) {
      const at = parseTime(wrapper.data.generatedAt);
      if (typeof at === 'string') {
        out.fileError('generatedAt', at);
        return;
      }
      out.generatedAt = at;
    }
    out.list = wrapper.data.list;
    out.version = wrapper.data.version ?? null;
    entries = wrapper.data.entries;
  }
  if (entries.length > HOTLIST_FILE_LIMITS.entries) {
    out.fileError(null, `${entries.length} entries is more than ${HOTLIST_FILE_LIMITS.entries}`);
    return;
  }
  entries.forEach((entry, k) => {
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) {
      out.rows++;
      out.badRows++;
      out.error({ row: k + 1, field: null, message: 'an entry must be an object' });
      return;
    }
    out.row(k + 1, { ...(entry as Record<string, unknown>) });
  });
}

/** The checked entry, or what is wrong with it (field and message). */
function checkEntry(raw: Record<string, unknown>, list: string | undefined): HotlistEntry | { field: string | null; message: string }[] {
  const errors: { field: string | null; message: string }[] = [];
  if (raw.list === undefined && list !== undefined) raw.list = list;
  raw.state ??= null;
  raw.expiresAt ??= null;
  for (const field of ['enteredAt', 'expiresAt'] as const) {
    const value = raw[field];
    if (typeof value === 'string') {
      const at = parseTime(value);
      if (typeof at === 'string') errors.push({ field, message: at });
      else raw[field] = at;
    }
  }
  const parsed = hotlistEntrySchema.safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const field = issue.code === 'unrecognized_keys' ? issue.keys.join(', ') : issue.path.length > 0 ? String(issue.path[0]) : null;
      // A time already reported as unreadable is not reported again as "not a number".
      if (field !== null && errors.some((e) => e.field === field)) continue;
      errors.push({ field, message: issue.message });
    }
  }
  if (errors.length > 0 || !parsed.success) return errors;
  const entry = parsed.data;
  const problem = listNameProblem(entry.list);
  if (problem !== null) return [{ field: 'list', message: problem }];
  if (list !== undefined && entry.list !== list) return [{ field: 'list', message: `"${entry.list}" in a file loaded as list "${list}"` }];
  if (entry.expiresAt !== null && entry.expiresAt <= entry.enteredAt) return [{ field: 'expiresAt', message: 'must be after enteredAt' }];
  return entry;
}

const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(?:(Z)|([+-])(\d{2}):?(\d{2}))?)?$/i;

/**
 * ms since 1970 from digits or ISO 8601, or why not. A date and time must say its zone: read
 * on a device in another zone, "14:30" alone would be off by hours.
 */
export function parseTime(value: string | number): number | string {
  if (typeof value === 'number') return value;
  const text = value.trim();
  if (/^\d{1,16}$/.test(text)) return Number(text);
  const m = ISO.exec(text);
  const usage = 'use ms since 1970 or ISO 8601 (2024-05-01, or 2024-05-01T14:30:00Z with a zone)';
  if (m === null) return `"${text.slice(0, 40)}" is not a time: ${usage}`;
  const [, y, mo, d, h, mi, s, frac, z, sign, oh, om] = m;
  if (h !== undefined && z === undefined && sign === undefined) return `"${text}" has no time zone: add Z (UTC) or an offset such as +02:00`;
  const fields = [Number(y), Number(mo) - 1, Number(d), Number(h ?? 0), Number(mi ?? 0), Number(s ?? 0)];
  const ms = Date.UTC(fields[0], fields[1], fields[2], fields[3], fields[4], fields[5], Number((frac ?? '0').padEnd(3, '0').slice(0, 3)));
  // Date.UTC rolls 2024-02-30 over to March 1: a date that does not round-trip does not exist.
  const back = new Date(ms);
  const same = [back.getUTCFullYear(), back.getUTCMonth(), back.getUTCDate(), back.getUTCHours(), back.getUTCMinutes(), back.getUTCSeconds()].every((v, k) => v === fields[k]);
  if (!same || (oh !== undefined && (Number(oh) > 23 || Number(om) > 59))) return `"${text}" is not a real date and time: ${usage}`;
  const offset = sign === undefined ? 0 : (sign === '-' ? -1 : 1) * (Number(oh) * 60 + Number(om)) * 60_000;
  return ms - offset;
}
