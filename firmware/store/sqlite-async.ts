/** Promise wrappers over the sqlite3 package's callback API: one call, one statement. */
import { Database } from 'sqlite3';

/** A value SQLite binds: numbers, text, blobs, null. */
export type SqlValue = number | string | Buffer | null;

/** An error from the sqlite3 binding: `code` is the SQLite result name, e.g. "SQLITE_FULL". */
export interface SqliteError extends Error {
  code?: string;
  errno?: number;
}

export function openDatabase(file: string, mode: number): Promise<Database> {
  return new Promise((resolve, reject) => {
    const db: Database = new Database(file, mode, (err) => (err ? reject(err) : resolve(db)));
  });
}

export function run(db: Database, sql: string, params: readonly SqlValue[] = []): Promise<{ changes: number; lastID: number }> {
  return new Promise((resolve, reject) => {
    db.run(sql, params, function (this: { changes: number; lastID: number }, err: Error | null) {
      if (err) reject(err);
      else resolve({ changes: this.changes, lastID: this.lastID });
    });
  });
}

export function get<T>(db: Database, sql: string, params: readonly SqlValue[] = []): Promise<T | undefined> {
  return new Promise((resolve, reject) => {
    db.get<T>(sql, params, (err, row) => (err ? reject(err) : resolve(row)));
  });
}

export function all<T>(db: Database, sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
  return new Promise((resolve, reject) => {
    db.all<T>(sql, params, (err, rows) => (err ? reject(err) : resolve(rows)));
  });
}

/** Runs several statements separated by semicolons, without parameters. */
export function exec(db: Database, sql: string): Promise<void> {
  return new Promise((resolve, reject) => {
    db.exec(sql, (err) => (err ? reject(err) : resolve()));
  });
}

export function closeDatabase(db: Database): Promise<void> {
  return new Promise((resolve, reject) => {
    db.close((err) => (err ? reject(err) : resolve()));
  });
}

