/**
 * Reads kept in one SQLite file in the data directory. Query columns (times, confidence, source)
 * stay in clear; plate text, alternatives, quad and crop go into one payload sealed by the
 * RecordCodec, so encrypting the store later changes the codec, not this table.
 */
import { closeSync, fchmodSync, fstatSync, fsyncSync, mkdirSync, openSync } from 'node:fs';
import * as path from 'node:path';
import { type Database, OPEN_CREATE, OPEN_READWRITE } from 'sqlite3';
import { silentLogger, type Logger } from '../../drivers/log';
import type { Read } from '../pipeline/read';
import { MIGRATIONS, SCHEMA_VERSION } from './migrations';
import { decodeReadPayload, encodeReadPayload } from './read-payload';
import { MAX_LIST_LIMIT, parseReadCursor, type ReadQuery, type ReadStore, type ReadStoreStats } from './read-store';
import { PlainCodec, type RecordCodec } from './record-codec';
import { all, closeDatabase, exec, get, openDatabase, run, type SqliteError, type SqlValue } from './sqlite-async';
import { StoreError } from './store-error';

/** The database file's name inside the data directory. */
export const READS_FILE = 'reads.sqlite';

/** How long a statement waits for a lock another connection holds before failing. */
const BUSY_TIMEOUT_MS = 5000;

/** Bounds on what one read may hold, so one bad read cannot fill the store. */
export const READ_LIMITS = {
  idChars: 128,
  plateChars: 32,
  alternatives: 5,
  cropBytes: 1024 * 1024,
  sourceIdChars: 128,
  formatChars: 64,
} as const;

/** Smallest maxFileBytes accepted: below this SQLite cannot even hold the schema and a few reads. */
const MIN_FILE_BYTES = 64 * 1024;

export interface SqliteReadStoreOptions {
  /** Seals the sensitive payload; PlainCodec (integrity only) when not given. */
  codec?: RecordCodec;
  log?: Logger;
  /**
   * Hard cap on the database size, bytes (rounded down to whole pages). A put() past it fails
   * with STORE_WRITE_FAILED as on a full disk. A backstop: the ring (a later issue) keeps the
   * store well below it. A cap below the file's current size takes effect as the current size.
   */
  maxFileBytes?: number;
}

interface ReadRow {
  id: string;
  first_seen: number;
  last_seen: number;
  confidence: number;
  frame_count: number;
  source_id: string;
  format: string | null;
  payload: Buffer;
}

const READ_COLUMNS = 'id, first_seen, last_seen, confidence, frame_count, source_id, format, payload';

export class SqliteReadStore implements ReadStore {
  private db: Database | null;
  private unreadableSkipped = 0;

  private constructor(
    /** Absolute path of the database file. */
    readonly file: string,
    db: Database,
    private readonly codec: RecordCodec,
    private readonly log: Logger,
  ) {
    this.db = db;
  }

  /**
   * Opens (creating when absent) `<dataDir>/reads.sqlite`, checks it is intact and brings its
   * schema up to date.
   * @throws StoreError STORE_OPEN_FAILED, or STORE_CORRUPT when the file is damaged.
   */
  static async open(dataDir: string, opts: SqliteReadStoreOptions = {}): Promise<SqliteReadStore> {
    const log = opts.log ?? silentLogger;
    const codec = opts.codec ?? new PlainCodec();
    const dir = path.resolve(dataDir);
    const file = path.join(dir, READS_FILE);
    if (opts.maxFileBytes !== undefined && !(Number.isSafeInteger(opts.maxFileBytes) && opts.maxFileBytes >= MIN_FILE_BYTES)) {
      throw new StoreError('STORE_OPEN_FAILED', `read store ${file}: maxFileBytes must be an integer of at least ${MIN_FILE_BYTES} (got ${opts.maxFileBytes})`, { file });
    }

    createPrivateFile(dir, file, log);
    let db: Database;
    try {
      db = await openDatabase(file, OPEN_READWRITE | OPEN_CREATE);
    } catch (err) {
      throw openError(file, err);
    }
    try {
      db.configure('busyTimeout', BUSY_TIMEOUT_MS);
      await checkIntact(db, file);
      await configureConnection(db, file, log, opts.maxFileBytes);
      const from = await migrate(db, file, log);
      syncDirectory(dir, log);
      const store = new SqliteReadStore(file, db, codec, log);
      log.info({ file, schemaVersion: SCHEMA_VERSION, migratedFrom: from, codec: codec.name, reads: await store.count() }, 'read store open');
      return store;
    } catch (err) {
      await closeDatabase(db).catch(() => undefined);
      throw err instanceof StoreError ? err : openError(file, err);
    }
  }

  async put(read: Read): Promise<void> {
    const db = this.handle();
    const problem = readProblem(read);
    if (problem !== null) {
      throw new StoreError('STORE_INVALID_RECORD', `cannot store read ${describeId(read?.id)} in ${this.file}: ${problem}`, {
        file: this.file,
        recordId: typeof read?.id === 'string' ? read.id : undefined,
      });
    }
    const sealed = this.codec.seal(read.id, encodeReadPayload(read));
    try {
      await run(
        db,
        `INSERT INTO reads (id, first_seen, last_seen, confidence, frame_count, source_id, format, payload, payload_size, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [read.id, read.firstSeen, read.lastSeen, read.confidence, read.frameCount, read.sourceId, read.format, sealed, sealed.length, Date.now()],
      );
    } catch (err) {
      throw writeError(this.file, read.id, err);
    }
  }

  /** @throws StoreError STORE_RECORD_UNREADABLE when this read's payload cannot be opened. */
  async get(id: string): Promise<Read | null> {
    const db = this.handle();
    if (typeof id !== 'string') throw new StoreError('STORE_BAD_QUERY', `get(): id must be a string (got ${typeof id})`, { file: this.file });
    let row: ReadRow | undefined;
    try {
      row = await get<ReadRow>(db, `SELECT ${READ_COLUMNS} FROM reads WHERE id = ?`, [id]);
    } catch (err) {
      throw readError(this.file, `reading read ${id}`, err);
    }
    return row === undefined ? null : this.decode(row);
  }

  /**
   * Newest first (see ReadQuery). A read whose payload cannot be opened is skipped, logged with
   * its id and counted in stats().unreadableSkipped, so one damaged record cannot block the
   * rest; the page is still filled up to `limit` when more reads exist.
   */
  async list(query: ReadQuery): Promise<Read[]> {
    const db = this.handle();
    const { since, until, limit } = this.checkQuery(query);
    let position = query.after === undefined ? undefined : parseReadCursor(query.after);

    const reads: Read[] = [];
    while (reads.length < limit) {
      const where: string[] = [];
      const params: SqlValue[] = [];
      if (since !== undefined) {
        where.push('first_seen >= ?');
        params.push(since);
      }
      if (until !== undefined) {
        where.push('first_seen < ?');
        params.push(until);
      }
      if (position !== undefined) {
        where.push('(first_seen < ? OR (first_seen = ? AND id < ?))');
        params.push(position.firstSeen, position.firstSeen, position.id);
      }
      const wanted = limit - reads.length;
      params.push(wanted);
      let rows: ReadRow[];
      try {
        rows = await all<ReadRow>(
          db,
          `SELECT ${READ_COLUMNS} FROM reads ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
           ORDER BY first_seen DESC, id DESC LIMIT ?`,
          params,
        );
      } catch (err) {
        throw readError(this.file, 'listing reads', err);
      }
      for (const row of rows) {
        try {
          reads.push(this.decode(row));
        } catch (err) {
          if (!(err instanceof StoreError && err.code === 'STORE_RECORD_UNREADABLE')) throw err;
          this.unreadableSkipped++;
          this.log.error({ file: this.file, id: row.id, err: err.message }, 'skipping unreadable read');
        }
      }
      if (rows.length < wanted) break;
      const last = rows[rows.length - 1];
      position = { firstSeen: last.first_seen, id: last.id };
    }
    return reads;
  }

  async count(): Promise<number> {
    const db = this.handle();
    try {
      const row = await get<{ n: number }>(db, 'SELECT COUNT(*) AS n FROM reads');
      return row?.n ?? 0;
    } catch (err) {
      throw readError(this.file, 'counting reads', err);
    }
  }

  async stats(): Promise<ReadStoreStats> {
    const db = this.handle();
    let row: { reads: number; bytes: number; oldest: number | null; newest: number | null } | undefined;
    try {
      row = await get(
        db,
        'SELECT COUNT(*) AS reads, COALESCE(SUM(payload_size), 0) AS bytes, MIN(first_seen) AS oldest, MAX(first_seen) AS newest FROM reads',
      );
    } catch (err) {
      throw readError(this.file, 'reading store statistics', err);
    }
    return {
      reads: row?.reads ?? 0,
      bytes: row?.bytes ?? 0,
      oldest: row?.oldest ?? null,
      newest: row?.newest ?? null,
      unreadableSkipped: this.unreadableSkipped,
    };
  }

  /** Closes the file; later calls fail with STORE_CLOSED. Closing twice is harmless. */
  async close(): Promise<void> {
    const db = this.db;
    if (db === null) return;
    this.db = null;
    try {
      await closeDatabase(db);
    } catch (err) {
      throw new StoreError('STORE_WRITE_FAILED', `closing read store ${this.file} failed: ${(err as Error).message}`, { file: this.file, cause: err });
    }
    this.log.info({ file: this.file }, 'read store closed');
  }

  private handle(): Database {
    if (this.db === null) throw new StoreError('STORE_CLOSED', `read store ${this.file} is closed`, { file: this.file });
    return this.db;
  }

  private checkQuery(query: ReadQuery): { since?: number; until?: number; limit: number } {
    const bad = (message: string) => new StoreError('STORE_BAD_QUERY', `list(): ${message}`, { file: this.file });
    const { since, until, limit } = query;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIST_LIMIT) {
      throw bad(`limit must be an integer from 1 to ${MAX_LIST_LIMIT} (got ${limit})`);
    }
    for (const [name, value] of [['since', since], ['until', until]] as const) {
      if (value !== undefined && !Number.isSafeInteger(value)) throw bad(`${name} must be a time in integer ms (got ${value})`);
    }
    return { since, until, limit };
  }

  private decode(row: ReadRow): Read {
    let payload;
    try {
      payload = decodeReadPayload(this.codec.open(row.id, row.payload));
    } catch (err) {
      throw new StoreError('STORE_RECORD_UNREADABLE', `read ${row.id} in ${this.file} cannot be read: ${(err as Error).message}`, {
        file: this.file,
        recordId: row.id,
        cause: err,
      });
    }
    return {
      id: row.id,
      plate: payload.plate,
      confidence: row.confidence,
      alternatives: payload.alternatives,
      crop: payload.crop,
      quad: payload.quad,
      firstSeen: row.first_seen,
      lastSeen: row.last_seen,
      frameCount: row.frame_count,
      sourceId: row.source_id,
      format: row.format,
    };
  }
}

/** The directory 0700 and the file 0600 before SQLite touches them; SQLite gives -wal/-shm the file's mode. */
function createPrivateFile(dir: string, file: string, log: Logger): void {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw new StoreError('STORE_OPEN_FAILED', `cannot create the data directory ${dir}: ${(err as Error).message}`, { file, cause: err });
  }
  let fd: number;
  try {
    fd = openSync(file, 'a', 0o600);
  } catch (err) {
    throw new StoreError('STORE_OPEN_FAILED', `cannot create read store ${file}: ${(err as Error).message}`, { file, cause: err });
  }
  try {
    const mode = fstatSync(fd).mode & 0o777;
    if ((mode & 0o077) !== 0) {
      fchmodSync(fd, 0o600);
      log.warn({ file, mode: mode.toString(8) }, 'read store file was readable by others; made it 0600');
    }
  } catch (err) {
    throw new StoreError('STORE_OPEN_FAILED', `cannot make read store ${file} private (0600): ${(err as Error).message}`, { file, cause: err });
  } finally {
    closeSync(fd);
  }
}

/**
 * The WAL file exists from open on (SQLite creates it when the connection first reads); syncing
 * the directory now makes its entry durable, so the first put()'s fsync has a file to land in.
 */
function syncDirectory(dir: string, log: Logger): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch (err) {
    // Some file systems refuse fsync on a directory; the data itself is still fsynced per commit.
    log.warn({ dir, err: (err as Error).message }, 'could not sync the data directory');
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

async function checkIntact(db: Database, file: string): Promise<void> {
  const rows = await all<{ quick_check: string }>(db, 'PRAGMA quick_check(5)');
  const findings = rows.map((r) => r.quick_check);
  if (findings.length !== 1 || findings[0] !== 'ok') {
    const detail = findings.join('; ').replace(/\s*\n\s*/g, '; ');
    throw corrupt(file, `integrity check: ${detail.length > 300 ? `${detail.slice(0, 297)}...` : detail}`);
  }
}

async function configureConnection(db: Database, file: string, log: Logger, maxFileBytes: number | undefined): Promise<void> {
  const mode = await get<{ journal_mode: string }>(db, 'PRAGMA journal_mode = WAL');
  if (mode?.journal_mode !== 'wal') {
    // Still durable with synchronous=FULL, only slower; seen on file systems without shared memory.
    log.warn({ file, journalMode: mode?.journal_mode }, 'read store could not use WAL journal');
  }
  // FULL: each commit is fsynced before put() resolves, so a stored read survives a power cut.
  await exec(db, 'PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;');
  if (maxFileBytes !== undefined) {
    const page = await get<{ page_size: number }>(db, 'PRAGMA page_size');
    await get(db, `PRAGMA max_page_count = ${Math.floor(maxFileBytes / (page?.page_size ?? 4096))}`);
  }
}

/** Applies pending migrations, each in its own transaction. Returns the version found. */
async function migrate(db: Database, file: string, log: Logger): Promise<number> {
  const found = (await get<{ user_version: number }>(db, 'PRAGMA user_version'))?.user_version ?? 0;
  if (found > SCHEMA_VERSION) {
    throw new StoreError(
      'STORE_OPEN_FAILED',
      `read store ${file} has schema version ${found}, newer than this build knows (${SCHEMA_VERSION}); refusing to open it rather than risk damaging it`,
      { file },
    );
  }
  for (const migration of MIGRATIONS.filter((m) => m.version > found)) {
    await exec(db, 'BEGIN IMMEDIATE');
    try {
      await exec(db, migration.sql);
      await exec(db, `PRAGMA user_version = ${migration.version}`);
      await exec(db, 'COMMIT');
    } catch (err) {
      await exec(db, 'ROLLBACK').catch(() => undefined);
      const mapped = openError(file, err);
      throw new StoreError(mapped.code, `read store ${file}: migration ${migration.version} (${migration.description}) failed: ${(err as Error).message}`, {
        file,
        cause: err,
      });
    }
    log.info({ file, version: migration.version, description: migration.description }, 'read store migrated');
  }
  return found;
}

function sqliteCode(err: unknown): string | undefined {
  return (err as SqliteError | null)?.code;
}

function isCorruption(err: unknown): boolean {
  const code = sqliteCode(err);
  return code === 'SQLITE_CORRUPT' || code === 'SQLITE_NOTADB';
}

function corrupt(file: string, detail: string, cause?: unknown): StoreError {
  return new StoreError(
    'STORE_CORRUPT',
    `read store ${file} is damaged (${detail}); move it aside to start an empty store, or restore it from a backup`,
    { file, cause },
  );
}

function openError(file: string, err: unknown): StoreError {
  if (isCorruption(err)) return corrupt(file, (err as Error).message, err);
  return new StoreError('STORE_OPEN_FAILED', `cannot open read store ${file}: ${(err as Error).message}`, { file, cause: err });
}

function writeError(file: string, id: string, err: unknown): StoreError {
  const message = (err as Error).message;
  const code = sqliteCode(err);
  if (code === 'SQLITE_CONSTRAINT' && /UNIQUE constraint failed: reads\.id/.test(message)) {
    return new StoreError('STORE_DUPLICATE_ID', `read ${id} is already stored in ${file}`, { file, recordId: id, cause: err });
  }
  if (isCorruption(err)) return corrupt(file, message, err);
  const why =
    code === 'SQLITE_FULL'
      ? 'the disk is full or the store reached its size cap'
      : code === 'SQLITE_READONLY'
        ? 'the file or its file system is read-only'
        : code === 'SQLITE_IOERR'
          ? 'an I/O error (failing storage?)'
          : 'the write failed';
  return new StoreError('STORE_WRITE_FAILED', `cannot store read ${id} in ${file}: ${why} (${message})`, { file, recordId: id, cause: err });
}

function readError(file: string, doing: string, err: unknown): StoreError {
  if (isCorruption(err)) return corrupt(file, (err as Error).message, err);
  return new StoreError('STORE_READ_FAILED', `read store ${file}: ${doing} failed: ${(err as Error).message}`, { file, cause: err });
}

function describeId(id: unknown): string {
  return typeof id === 'string' ? JSON.stringify(id.slice(0, READ_LIMITS.idChars)) : `(id ${typeof id})`;
}

/** What breaks the Read contract, or null. Checked before anything is written. */
function readProblem(read: Read): string | null {
  if (read === null || typeof read !== 'object') return 'not a read object';
  const { id, plate, confidence, alternatives, crop, quad, firstSeen, lastSeen, frameCount, sourceId, format } = read;
  if (typeof id !== 'string' || id.length === 0 || id.length > READ_LIMITS.idChars) return `id must be 1 to ${READ_LIMITS.idChars} characters`;
  if (typeof plate !== 'string' || plate.length > READ_LIMITS.plateChars) return `plate must be a string of at most ${READ_LIMITS.plateChars} characters`;
  if (!isUnit(confidence)) return `confidence must be a number from 0 to 1 (got ${confidence})`;
  if (!Array.isArray(alternatives) || alternatives.length > READ_LIMITS.alternatives) return `alternatives must be a list of at most ${READ_LIMITS.alternatives}`;
  for (const [i, alt] of alternatives.entries()) {
    if (typeof alt?.plate !== 'string' || alt.plate.length > READ_LIMITS.plateChars || !isUnit(alt.confidence)) {
      return `alternatives[${i}] must be {plate: string, confidence: 0..1}`;
    }
  }
  if (!Buffer.isBuffer(crop) || crop.length > READ_LIMITS.cropBytes) return `crop must be a Buffer of at most ${READ_LIMITS.cropBytes} bytes`;
  if (!Array.isArray(quad) || quad.length !== 4 || !quad.every((p) => Number.isFinite(p?.x) && Number.isFinite(p?.y))) {
    return 'quad must be four points with finite x and y';
  }
  if (!Number.isSafeInteger(firstSeen) || firstSeen < 0) return `firstSeen must be ms since the epoch, an integer (got ${firstSeen})`;
  if (!Number.isSafeInteger(lastSeen) || lastSeen < firstSeen) return `lastSeen must be an integer no earlier than firstSeen (got ${lastSeen})`;
  if (!Number.isSafeInteger(frameCount) || frameCount < 1) return `frameCount must be a positive integer (got ${frameCount})`;
  if (typeof sourceId !== 'string' || sourceId.length === 0 || sourceId.length > READ_LIMITS.sourceIdChars) {
    return `sourceId must be 1 to ${READ_LIMITS.sourceIdChars} characters`;
  }
  if (format !== null && (typeof format !== 'string' || format.length > READ_LIMITS.formatChars)) {
    return `format must be null or a string of at most ${READ_LIMITS.formatChars} characters`;
  }
  return null;
}

function isUnit(n: unknown): boolean {
  return typeof n === 'number' && n >= 0 && n <= 1;
}
