/**
 * The store's SQLite file: created private, checked intact, configured for durability, migrated;
 * and SQLite failures mapped to StoreErrors that name the file.
 */
import { closeSync, fsyncSync, openSync } from 'node:fs';
import type { Database } from 'sqlite3';
import type { Logger } from '../../drivers/log';
import { MIGRATIONS, SCHEMA_VERSION } from './migrations';
import { createPrivateFile } from './private-file';
import { all, exec, get, type SqliteError } from './sqlite-async';
import { StoreError } from './store-error';

/** Page size of a new store: 20 KB crops fit a page, so deleting a record zeroes few pages. */
const NEW_FILE_PAGE_BYTES = 65536;
/** Checkpoint the WAL every this many pages (4 MiB), and truncate it back past this size. */
export const WAL_AUTOCHECKPOINT_PAGES = 64;
const WAL_SIZE_LIMIT_BYTES = 16 * 1024 * 1024;

/** The data directory 0700 and the store file 0600 before SQLite touches them (see createPrivateFile). */
export function createPrivateStoreFile(dir: string, file: string, log: Logger): void {
  let was: string | null;
  try {
    was = createPrivateFile(dir, file);
  } catch (err) {
    throw new StoreError('STORE_OPEN_FAILED', `read store: ${(err as Error).message}`, { file, cause: err });
  }
  if (was !== null) log.warn({ file, mode: was }, 'read store file was readable by others; made it 0600');
}

/**
 * The WAL file exists from open on (SQLite creates it when the connection first reads); syncing
 * the directory now makes its entry durable, so the first put()'s fsync has a file to land in.
 */
export function syncDirectory(dir: string, log: Logger): void {
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

/** SQLite's integrity check: `full` also checks every index against its table; `quick` does not. */
export async function checkIntact(db: Database, file: string, depth: 'full' | 'quick'): Promise<void> {
  const pragma = depth === 'full' ? 'integrity_check' : 'quick_check';
  const rows = await all<Record<string, string>>(db, `PRAGMA ${pragma}(5)`);
  const findings = rows.map((r) => r[pragma]);
  if (findings.length !== 1 || findings[0] !== 'ok') {
    const detail = findings.join('; ').replace(/\s*\n\s*/g, '; ');
    throw corrupt(file, `integrity check: ${detail.length > 300 ? `${detail.slice(0, 297)}...` : detail}`);
  }
}

export async function configureConnection(db: Database, file: string, log: Logger, maxFileBytes: number | undefined): Promise<void> {
  const pages = await get<{ page_count: number }>(db, 'PRAGMA page_count');
  // The page size of a file is fixed once it holds a table (and in WAL mode); set it while empty.
  if (pages?.page_count === 0) await exec(db, `PRAGMA page_size = ${NEW_FILE_PAGE_BYTES}`);
  const mode = await get<{ journal_mode: string }>(db, 'PRAGMA journal_mode = WAL');
  if (mode?.journal_mode !== 'wal') {
    // Still durable with synchronous=FULL, only slower; seen on file systems without shared memory.
    log.warn({ file, journalMode: mode?.journal_mode }, 'read store could not use WAL journal');
  }
  // FULL: each commit is fsynced before it resolves, so a stored read survives a power cut.
  // secure_delete FAST zeroes deleted cells in the pages a write touches anyway; purge and
  // deletion switch it ON so freed pages are zeroed too.
  await exec(
    db,
    `PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA secure_delete = FAST;
     PRAGMA wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_PAGES}; PRAGMA journal_size_limit = ${WAL_SIZE_LIMIT_BYTES};`,
  );
  if (maxFileBytes !== undefined) {
    const page = await get<{ page_size: number }>(db, 'PRAGMA page_size');
    await get(db, `PRAGMA max_page_count = ${Math.floor(maxFileBytes / (page?.page_size ?? 4096))}`);
  }
}

export async function schemaVersion(db: Database): Promise<number> {
  return (await get<{ user_version: number }>(db, 'PRAGMA user_version'))?.user_version ?? 0;
}

/** Applies pending migrations, each in its own transaction. Returns the version found. */
export async function migrate(db: Database, file: string, log: Logger): Promise<number> {
  const found = await schemaVersion(db);
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

/** Moves the WAL's content into the database and truncates the WAL to zero bytes. */
export async function truncateWal(db: Database, file: string, log: Logger): Promise<boolean> {
  const row = await get<{ busy: number; log: number; checkpointed: number }>(db, 'PRAGMA wal_checkpoint(TRUNCATE)');
  if (row !== undefined && row.busy !== 0) {
    // Another connection (a CLI command) is reading: the next purge truncates it.
    log.warn({ file }, 'could not truncate the write-ahead log: another connection is reading the store');
    return false;
  }
  return true;
}

export function sqliteCode(err: unknown): string | undefined {
  return (err as SqliteError | null)?.code;
}

function isCorruption(err: unknown): boolean {
  const code = sqliteCode(err);
  return code === 'SQLITE_CORRUPT' || code === 'SQLITE_NOTADB';
}

export function corrupt(file: string, detail: string, cause?: unknown): StoreError {
  return new StoreError(
    'STORE_CORRUPT',
    `read store ${file} is damaged (${detail}); move it aside to start an empty store, or restore it from a backup`,
    { file, cause },
  );
}

export function openError(file: string, err: unknown): StoreError {
  if (err instanceof StoreError) return err;
  if (isCorruption(err)) return corrupt(file, (err as Error).message, err);
  return new StoreError('STORE_OPEN_FAILED', `cannot open read store ${file}: ${(err as Error).message}`, { file, cause: err });
}

/** Maps a failed write; `what` names it ("storing read X", "placing a hold on Y"). */
export function writeError(file: string, what: string, err: unknown, recordId?: string): StoreError {
  if (err instanceof StoreError) return err;
  const message = (err as Error).message;
  const code = sqliteCode(err);
  if (code === 'SQLITE_CONSTRAINT' && /UNIQUE constraint failed: records\.id/.test(message)) {
    return new StoreError('STORE_DUPLICATE_ID', `${what} in ${file}: the id is already stored`, { file, recordId, cause: err });
  }
  if (isCorruption(err)) return corrupt(file, message, err);
  if (code === 'SQLITE_FULL') {
    return new StoreError('STORE_DISK_FULL', `${what} in ${file} failed: the disk is full or the store reached its size cap; nothing stored was changed, and the ring will evict to make room (${message})`, {
      file,
      recordId,
      cause: err,
    });
  }
  const why = code === 'SQLITE_READONLY' ? 'the file or its file system is read-only' : code === 'SQLITE_IOERR' ? 'an I/O error (failing storage?)' : 'the write failed';
  return new StoreError('STORE_WRITE_FAILED', `${what} in ${file} failed: ${why} (${message})`, { file, recordId, cause: err });
}

export function readError(file: string, doing: string, err: unknown): StoreError {
  if (err instanceof StoreError) return err;
  if (isCorruption(err)) return corrupt(file, (err as Error).message, err);
  return new StoreError('STORE_READ_FAILED', `read store ${file}: ${doing} failed: ${(err as Error).message}`, { file, cause: err });
}
