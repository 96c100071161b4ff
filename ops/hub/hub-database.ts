/**
 * The hub's SQLite file (DIR/hub.sqlite): created 0600 in a 0700 directory, WAL with
 * synchronous=FULL (a commit is on disk before it resolves, so an ack follows a durable write),
 * migrated, and used by one operation at a time so a transaction never interleaves with another.
 */
import { existsSync } from 'node:fs';
import { createPrivateFile } from '../../firmware/store/private-file';
import { OPEN_CREATE, OPEN_READWRITE, type Database, type Statement } from 'sqlite3';
import type { Logger } from '../../drivers/log';
import { silentLogger } from '../../drivers/log';
import { all, closeDatabase, exec, get, openDatabase, run, type SqlValue } from '../../firmware/store/sqlite-async';
import { HUB_DB_FILE, hubFile } from './hub-files';
import { HUB_MIGRATIONS, HUB_SCHEMA_VERSION } from './hub-schema';

/** Another process (a CLI command, the hub) may hold the write lock for a moment: wait, do not fail. */
const BUSY_TIMEOUT_MS = 15_000;
const NEW_FILE_PAGE_BYTES = 16_384;

/** Statements on the connection, for use inside read() or write(). */
export interface Sql {
  readonly handle: Database;
  run(sql: string, params?: readonly SqlValue[]): Promise<{ changes: number; lastID: number }>;
  get<T>(sql: string, params?: readonly SqlValue[]): Promise<T | undefined>;
  all<T>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
}

/**
 * Reads and write transactions on the hub database. The running hub hands the tables a version
 * whose writes queue behind alert batches (see HubServer); the CLI uses the database itself.
 */
export interface HubTables {
  read<T>(fn: (sql: Sql) => Promise<T>): Promise<T>;
  write<T>(fn: (sql: Sql) => Promise<T>): Promise<T>;
}

export interface OpenHubDatabaseOptions {
  log?: Logger;
  /** Create the file when missing (the server); false for the CLI, which needs an existing hub. */
  create?: boolean;
}

export class HubDatabase implements HubTables {
  private chain: Promise<unknown> = Promise.resolve();
  private readonly sql: Sql;
  private stopCheckpointer: (() => Promise<void>) | null = null;

  private constructor(
    readonly file: string,
    private db: Database | null,
  ) {
    const handle = db as Database;
    this.sql = {
      handle,
      run: (s, p) => run(handle, s, p),
      get: (s, p) => get(handle, s, p),
      all: (s, p) => all(handle, s, p),
    };
  }

  static async open(dir: string, options: OpenHubDatabaseOptions = {}): Promise<HubDatabase> {
    const log = options.log ?? silentLogger;
    const file = hubFile(dir, HUB_DB_FILE);
    if (options.create === false && !existsSync(file)) {
      throw new Error(`no hub database at ${file}: start the hub once (sightline hub serve --dir ${dir}) to create it`);
    }
    let was: string | null;
    try {
      was = createPrivateFile(dir, file);
    } catch (err) {
      throw new Error(`cannot open hub database: ${(err as Error).message}`);
    }
    if (was !== null) log.warn({ file, mode: was }, 'hub database was readable by others; made it 0600');
    let db: Database;
    try {
      db = await openDatabase(file, OPEN_READWRITE | OPEN_CREATE);
    } catch (err) {
      throw new Error(`cannot open hub database ${file}: ${(err as Error).message}`);
    }
    try {
      db.configure('busyTimeout', BUSY_TIMEOUT_MS);
      const pages = await get<{ page_count: number }>(db, 'PRAGMA page_count');
      // 16 KiB pages: a 20 KB crop spans two pages instead of five (fixed once the file holds a table).
      if (pages?.page_count === 0) await exec(db, `PRAGMA page_size = ${NEW_FILE_PAGE_BYTES}`);
      const mode = await get<{ journal_mode: string }>(db, 'PRAGMA journal_mode = WAL');
      if (mode?.journal_mode !== 'wal') log.warn({ file, journalMode: mode?.journal_mode }, 'hub database could not use WAL; commits are still durable, only slower');
      // FULL: every commit is fsynced before it resolves, so nothing acknowledged can be lost.
      await exec(db, 'PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;');
      await migrate(db, file, log);
    } catch (err) {
      await closeDatabase(db).catch(() => undefined);
      throw new Error(`cannot open hub database ${file}: ${(err as Error).message}`);
    }
    return new HubDatabase(file, db);
  }

  /** Runs `fn` after every earlier operation, outside a transaction (reads, single statements). */
  read<T>(fn: (sql: Sql) => Promise<T>): Promise<T> {
    return this.serial(() => fn(this.sql));
  }

  /** Runs `fn` in one write transaction (BEGIN IMMEDIATE), committed before the promise resolves. */
  write<T>(fn: (sql: Sql) => Promise<T>): Promise<T> {
    return this.serial(async () => {
      await exec(this.handle(), 'BEGIN IMMEDIATE');
      try {
        const result = await fn(this.sql);
        await exec(this.handle(), 'COMMIT');
        return result;
      } catch (err) {
        await exec(this.handle(), 'ROLLBACK').catch(() => undefined);
        throw err;
      }
    });
  }

  /** A prepared statement on this connection; the caller finalizes it before close(). */
  prepare(sqlText: string): Promise<Statement> {
    const db = this.handle();
    return new Promise((resolve, reject) => {
      const statement: Statement = db.prepare(sqlText, (err) => (err ? reject(new Error(`hub database ${this.file}: cannot prepare "${sqlText.slice(0, 60)}": ${err.message}`)) : resolve(statement)));
    });
  }

  /**
   * Moves WAL checkpoints off the commit path (the running hub): SQLite's automatic checkpoint
   * copies the whole WAL into the database inside whichever commit crosses the threshold, a
   * 50-100 ms stall an alert batch would wait behind. Instead a second connection runs a PASSIVE
   * checkpoint every `intervalMs`, which never blocks the writer.
   */
  async checkpointInBackground(intervalMs = 250): Promise<void> {
    await this.read((sql) => sql.run('PRAGMA wal_autocheckpoint = 0'));
    const checkpointer = await openDatabase(this.file, OPEN_READWRITE);
    checkpointer.configure('busyTimeout', BUSY_TIMEOUT_MS);
    let running = false;
    const timer = setInterval(() => {
      if (running) return;
      running = true;
      get(checkpointer, 'PRAGMA wal_checkpoint(PASSIVE)')
        .catch(() => undefined) // busy now: the next tick tries again
        .finally(() => (running = false));
    }, intervalMs);
    timer.unref();
    this.stopCheckpointer = async () => {
      clearInterval(timer);
      while (running) await new Promise((resolve) => setTimeout(resolve, 5));
      await closeDatabase(checkpointer);
    };
  }

  async close(): Promise<void> {
    await this.stopCheckpointer?.();
    this.stopCheckpointer = null;
    await this.chain.catch(() => undefined);
    const db = this.db;
    if (db === null) return;
    this.db = null;
    await closeDatabase(db);
  }

  private handle(): Database {
    if (this.db === null) throw new Error(`hub database ${this.file} is closed`);
    return this.db;
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.chain.then(() => {
      this.handle();
      return fn();
    });
    this.chain = next.catch(() => undefined);
    return next;
  }
}


async function migrate(db: Database, file: string, log: Logger): Promise<void> {
  const found = (await get<{ user_version: number }>(db, 'PRAGMA user_version'))?.user_version ?? 0;
  if (found > HUB_SCHEMA_VERSION) {
    throw new Error(`schema version ${found} is newer than this build knows (${HUB_SCHEMA_VERSION}); refusing to open it`);
  }
  for (const migration of HUB_MIGRATIONS.filter((m) => m.version > found)) {
    await exec(db, 'BEGIN IMMEDIATE');
    try {
      // Another process (the hub and a CLI command starting together) may have applied it meanwhile.
      const now = (await get<{ user_version: number }>(db, 'PRAGMA user_version'))?.user_version ?? 0;
      if (now >= migration.version) {
        await exec(db, 'COMMIT');
        continue;
      }
      await exec(db, migration.sql);
      await exec(db, `PRAGMA user_version = ${migration.version}`);
      await exec(db, 'COMMIT');
    } catch (err) {
      await exec(db, 'ROLLBACK').catch(() => undefined);
      throw new Error(`migration ${migration.version} (${migration.description}) failed: ${(err as Error).message}`);
    }
    log.info({ file, version: migration.version }, 'hub database migrated');
  }
}

/** Runs a prepared statement once; resolves with the rows it changed. */
export function runStatement(statement: Statement, params: readonly SqlValue[]): Promise<number> {
  return new Promise((resolve, reject) => {
    statement.run(params, function (this: { changes: number }, err: Error | null) {
      if (err) reject(err);
      else resolve(this.changes);
    });
  });
}

export function finalizeStatement(statement: Statement): Promise<void> {
  return new Promise((resolve) => statement.finalize(() => resolve()));
}
