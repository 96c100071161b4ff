/** Stable codes so callers and tests can tell store failures apart without parsing messages. */
export type StoreErrorCode =
  /** The data directory or database file could not be created or opened. */
  | 'STORE_OPEN_FAILED'
  /** SQLite reports the database file damaged (failed integrity check, not a database). */
  | 'STORE_CORRUPT'
  /** A write failed: disk full, read-only file system, I/O error. */
  | 'STORE_WRITE_FAILED'
  /** A query failed for a reason other than corruption (I/O error, lock timeout). */
  | 'STORE_READ_FAILED'
  /** put() of a read whose id is stored already. */
  | 'STORE_DUPLICATE_ID'
  /** One record's payload fails to open or decode; the record id is named, other records are fine. */
  | 'STORE_RECORD_UNREADABLE'
  /** put() of a read that breaks the Read contract (bad id, timestamps, sizes). */
  | 'STORE_INVALID_RECORD'
  /** A list() query out of bounds (limit, cursor, time range). */
  | 'STORE_BAD_QUERY'
  /** The store was used after close(). */
  | 'STORE_CLOSED'
  /** The key-encryption key file is missing, unreadable or malformed. */
  | 'STORE_KEY_FAILED'
  /** The key-encryption key is not the one the store was sealed with: nothing was opened or changed. */
  | 'STORE_WRONG_KEY'
  /** The disk (or the store's size cap) is full: the write was refused, nothing stored was changed. */
  | 'STORE_DISK_FULL'
  /** The protected quota (alerts and held records, never evicted) is full. */
  | 'STORE_QUOTA_FULL'
  /** hold, release, delete or correct of an id the store does not hold. */
  | 'STORE_NOT_FOUND'
  /** An operation the record's state forbids (hold twice, release without hold, delete while held). */
  | 'STORE_CONFLICT';

export interface StoreErrorDetails {
  /** The database file concerned. */
  file?: string;
  /** The record concerned. */
  recordId?: string;
  /** The underlying error (SQLite, file system, codec). */
  cause?: unknown;
}

export class StoreError extends Error {
  readonly file: string | undefined;
  readonly recordId: string | undefined;

  constructor(
    readonly code: StoreErrorCode,
    message: string,
    details: StoreErrorDetails = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'StoreError';
    this.file = details.file;
    this.recordId = details.recordId;
  }
}
