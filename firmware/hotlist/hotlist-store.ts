/**
 * The device's hotlists: named lists, each kept whole in `DIR/<list>.json` as
 * `{ list, version, refreshedAt, source, signature, entries }`, 0600. A list is replaced whole
 * and atomically (temporary file, fsync, rename, fsync of the directory): a crash or a failed
 * write leaves the previous good list in place, and an invalid list is refused before anything
 * is written. Every list file is loaded at open; a corrupt one is reported by name and skipped.
 * A list not refreshed for `staleAfterMs` (default 24 h, POLICY P6) is stale. Emits 'changed'
 * (HotlistChange) after each replacement or removal, so the matcher can be rebuilt.
 */
import { EventEmitter } from 'node:events';
import { mkdir, open, readdir, rm, stat } from 'node:fs/promises';
import * as path from 'node:path';
import { replaceFileAtomic, syncDirectoryAsync } from '../../provisioning/atomic-file';
import { z } from 'zod';
import { silentLogger, type Logger } from '../../drivers/log';
import { hotlistEntrySchema, type HotlistEntry } from './hotlist-entry';
import { HotlistError, type RowError } from './hotlist-error';
import { HOTLIST_FILE_LIMITS } from './hotlist-file';
import { listNameProblem } from './hotlist-name';

export const DEFAULT_STALE_AFTER_MS = 24 * 3_600_000;
/** A temporary file older than this is what a crash left behind (a younger one may be another process's write in progress). */
export const ABANDONED_TEMP_MS = 10 * 60_000;

export type HotlistSource = 'central' | 'file';

export interface ReplaceOptions {
  source: HotlistSource;
  /** Central's version of the snapshot; null for local files. */
  version: number | null;
  /** When the list's content was current, ms since 1970. */
  refreshedAt: number;
  /** The verified signature of central's snapshot, kept as a record of what was checked. */
  signature?: string | null;
}

export interface HotlistSummary {
  name: string;
  entries: number;
  source: HotlistSource;
  version: number | null;
  refreshedAt: number;
  /** Not refreshed for staleAfterMs. */
  stale: boolean;
  /** When it became stale (refreshedAt + staleAfterMs), or null while fresh. */
  staleSince: number | null;
}

export interface HotlistChange {
  list: string;
  /** Entries now in the list (0 when removed). */
  entries: number;
  removed: boolean;
}

/** A list file that was skipped at open, and why. */
export interface HotlistFileProblem {
  file: string;
  message: string;
}

export interface HotlistStoreOptions {
  staleAfterMs?: number;
  now?: () => number;
  log?: Logger;
}

const storedSchema = z.strictObject({
  list: z.string(),
  version: z.number().int().min(0).nullable(),
  refreshedAt: z.number().int().min(0),
  source: z.enum(['central', 'file']),
  signature: z.string().nullable().optional(),
  entries: z.array(z.unknown()).max(HOTLIST_FILE_LIMITS.entries),
});

interface StoredList {
  list: string;
  version: number | null;
  refreshedAt: number;
  source: HotlistSource;
  signature: string | null;
  entries: readonly HotlistEntry[];
}

interface FileStamp {
  mtimeMs: number;
  size: number;
  list: StoredList;
}

/** Bytes of a list file read at open: the largest list written, with room for its JSON. */
const MAX_LIST_FILE_BYTES = 4 * HOTLIST_FILE_LIMITS.bytes;

export class HotlistStore extends EventEmitter {
  private readonly held = new Map<string, StoredList>();
  private flat: readonly HotlistEntry[] | null = null;
  private problemList: HotlistFileProblem[] = [];
  /** Each list file's modification time and size when it was last read, with what it held. */
  private fileStamps = new Map<string, FileStamp>();
  /** Writes run one at a time, in call order. */
  private writing: Promise<unknown> = Promise.resolve();
  private readonly now: () => number;
  private readonly log: Logger;
  readonly staleAfterMs: number;

  private constructor(
    readonly dir: string,
    options: HotlistStoreOptions,
  ) {
    super();
    this.now = options.now ?? Date.now;
    this.log = options.log ?? silentLogger;
    this.staleAfterMs = options.staleAfterMs ?? DEFAULT_STALE_AFTER_MS;
    if (!(this.staleAfterMs > 0)) throw new RangeError(`staleAfterMs must be more than 0 (got ${this.staleAfterMs})`);
  }

  /** Opens (and creates) the directory and loads every list in it. Never fails on a bad list file: see `problems`. */
  static async open(dir: string, options: HotlistStoreOptions = {}): Promise<HotlistStore> {
    const store = new HotlistStore(path.resolve(dir), options);
    await mkdir(store.dir, { recursive: true, mode: 0o700 });
    await store.load();
    return store;
  }

  /** List files skipped at the last open or reload, by file name, with the reason. */
  get problems(): readonly HotlistFileProblem[] {
    return this.problemList;
  }

  /** Reads the directory again (after another process, such as the CLI, changed it); emits 'changed' for each list that changed. */
  async reload(): Promise<void> {
    await this.serialized(async () => {
      const before = new Map(this.held);
      await this.load();
      for (const name of new Set([...before.keys(), ...this.held.keys()])) {
        const was = before.get(name);
        const now = this.held.get(name);
        if (was === now) continue;
        if (was && now && was.refreshedAt === now.refreshedAt && was.version === now.version && was.entries.length === now.entries.length && was.signature === now.signature) continue;
        this.changed({ list: name, entries: now?.entries.length ?? 0, removed: now === undefined });
      }
    });
  }

  lists(): HotlistSummary[] {
    const now = this.now();
    return [...this.held.values()]
      .map((l) => {
        const staleSince = l.refreshedAt + this.staleAfterMs;
        const stale = now >= staleSince;
        return { name: l.list, entries: l.entries.length, source: l.source, version: l.version, refreshedAt: l.refreshedAt, stale, staleSince: stale ? staleSince : null };
      })
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  /** One list's summary, or null. */
  summary(list: string): HotlistSummary | null {
    return this.lists().find((l) => l.name === list) ?? null;
  }

  /** One list's entries (empty when there is no such list). */
  entries(list: string): readonly HotlistEntry[] {
    return this.held.get(list)?.entries ?? [];
  }

  /** Every entry of every list (expired ones included: the matcher skips them by time). */
  allEntries(): readonly HotlistEntry[] {
    this.flat ??= [...this.held.values()].flatMap((l) => l.entries);
    return this.flat;
  }

  /**
   * Replaces `list` with `entries`, whole and atomically; the previous list stays, on disk and
   * here, if anything fails. @throws HotlistError HOTLIST_INVALID for a bad name or entry.
   */
  async replace(list: string, entries: readonly HotlistEntry[], options: ReplaceOptions): Promise<HotlistSummary> {
    const stored = checkedList(list, entries, options);
    return this.serialized(async () => {
      await replaceFileAtomic(path.join(this.dir, fileName(list)), JSON.stringify(stored), 0o600);
      const { mtimeMs, size } = await stat(path.join(this.dir, fileName(list)));
      this.fileStamps.set(fileName(list), { mtimeMs, size, list: stored });
      this.held.set(list, stored);
      this.log.info({ list, entries: stored.entries.length, source: stored.source, version: stored.version }, 'hotlist replaced');
      this.changed({ list, entries: stored.entries.length, removed: false });
      return this.summary(list)!;
    });
  }

  /** Deletes a list. @throws HotlistError HOTLIST_NOT_FOUND when there is none of that name. */
  remove(list: string): Promise<void> {
    return this.serialized(async () => {
      if (!this.held.has(list)) throw new HotlistError('HOTLIST_NOT_FOUND', `no hotlist named ${JSON.stringify(list.slice(0, 80))}`);
      await rm(path.join(this.dir, fileName(list)), { force: true });
      await syncDirectoryAsync(this.dir);
      this.held.delete(list);
      this.log.info({ list }, 'hotlist removed');
      this.changed({ list, entries: 0, removed: true });
    });
  }

  private changed(change: HotlistChange): void {
    this.flat = null;
    this.emit('changed', change);
  }

  private serialized<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.writing.then(fn, fn);
    this.writing = run.catch(() => undefined);
    return run;
  }

  private async load(): Promise<void> {
    const problems: HotlistFileProblem[] = [];
    const held = new Map<string, StoredList>();
    const stamps = new Map<string, FileStamp>();
    for (const name of (await readdir(this.dir)).sort()) {
      const file = path.join(this.dir, name);
      if (name.startsWith('.') && name.endsWith('.tmp')) {
        await this.removeAbandoned(file);
        continue;
      }
      if (!name.endsWith('.json')) continue;
      try {
        // A file unchanged since it was read is not parsed again: a reload finding nothing new costs a stat per list.
        const { mtimeMs, size } = await stat(file);
        const known = this.fileStamps.get(name);
        const stored = known !== undefined && known.mtimeMs === mtimeMs && known.size === size ? known.list : await readListFile(file);
        stamps.set(name, { mtimeMs, size, list: stored });
        held.set(stored.list, stored);
      } catch (err) {
        const message = (err as Error).message;
        problems.push({ file: name, message });
        this.log.error({ file, reason: message }, 'hotlist file skipped: it does not hold a usable list (the next replacement of that list rewrites it)');
      }
    }
    this.held.clear();
    for (const [name, list] of held) this.held.set(name, list);
    this.flat = null;
    this.problemList = problems;
    this.fileStamps = stamps;
  }

  /** A crash between writing a temporary file and renaming it leaves the file: the list it was for is the previous one. */
  private async removeAbandoned(file: string): Promise<void> {
    try {
      const { mtimeMs } = await stat(file);
      if (this.now() - mtimeMs < ABANDONED_TEMP_MS) return;
      await rm(file, { force: true });
      this.log.warn({ file }, 'removed an unfinished hotlist write (a crash or power cut during a replacement); the previous list was kept');
    } catch {
      // Gone already (another process tidied it): nothing to do.
    }
  }
}

function fileName(list: string): string {
  return `${list}.json`;
}

/** The list as it will be stored, every entry checked against the schema and the list's name. */
function checkedList(list: string, entries: readonly HotlistEntry[], options: ReplaceOptions): StoredList {
  const nameProblem = listNameProblem(list);
  if (nameProblem !== null) throw new HotlistError('HOTLIST_INVALID', `list: ${nameProblem}`);
  if (entries.length > HOTLIST_FILE_LIMITS.entries) throw new HotlistError('HOTLIST_INVALID', `${entries.length} entries is more than ${HOTLIST_FILE_LIMITS.entries}`);
  const rows: RowError[] = [];
  const checked: HotlistEntry[] = [];
  entries.forEach((entry, k) => {
    const parsed = hotlistEntrySchema.safeParse(entry);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      rows.push({ row: k + 1, field: issue.path.length > 0 ? String(issue.path[0]) : null, message: issue.message });
    } else if (parsed.data.list !== list) {
      rows.push({ row: k + 1, field: 'list', message: `"${parsed.data.list}" in list "${list}"` });
    } else {
      checked.push(parsed.data);
    }
  });
  if (rows.length > 0) {
    const first = rows[0];
    throw new HotlistError('HOTLIST_INVALID', `list ${list}: ${rows.length} bad entr${rows.length === 1 ? 'y' : 'ies'}, the first entry ${first.row}${first.field === null ? '' : ` ${first.field}`}: ${first.message}`, rows.slice(0, HOTLIST_FILE_LIMITS.errors));
  }
  if (!Number.isSafeInteger(options.refreshedAt) || options.refreshedAt < 0) throw new HotlistError('HOTLIST_INVALID', `refreshedAt: ${options.refreshedAt} is not a time in ms`);
  if (options.version !== null && (!Number.isSafeInteger(options.version) || options.version < 0)) throw new HotlistError('HOTLIST_INVALID', `version: ${options.version} is not a non-negative integer`);
  return { list, version: options.version, refreshedAt: options.refreshedAt, source: options.source, signature: options.signature ?? null, entries: checked };
}

async function readListFile(file: string): Promise<StoredList> {
  const handle = await open(file, 'r');
  let text: string;
  try {
    const { size } = await handle.stat();
    if (size > MAX_LIST_FILE_BYTES) throw new Error(`${size} bytes is more than a list file may have`);
    text = await handle.readFile('utf8');
  } finally {
    await handle.close();
  }
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (err) {
    throw new Error(`not JSON (cut short or damaged?): ${(err as Error).message}`);
  }
  const parsed = storedSchema.safeParse(document);
  if (!parsed.success) {
    const legacy = typeof document === 'object' && document !== null && 'snapshot' in document && 'receivedAt' in document;
    if (legacy) throw new Error('a snapshot kept unverified by an earlier version; ignored until central pushes the list again');
    const issue = parsed.error.issues[0];
    throw new Error(`not a hotlist file: ${issue.path.join('.') || 'the file'}: ${issue.message}`);
  }
  const expected = path.basename(file, '.json');
  if (parsed.data.list !== expected) throw new Error(`holds list "${parsed.data.list.slice(0, 80)}", not "${expected}"`);
  // Entries are checked again: a list file edited by hand must not slip a bad entry to the matcher.
  return checkedList(parsed.data.list, parsed.data.entries as HotlistEntry[], { ...parsed.data, signature: parsed.data.signature ?? null });
}
