/**
 * The read store's schema, as an ordered list of migrations. `PRAGMA user_version` records the
 * last one applied; open() applies the rest, each in its own transaction. Append, never edit:
 * a shipped migration has already run on devices.
 */
export interface Migration {
  version: number;
  /** What it changes, for the log. */
  description: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'reads table: clear columns for queries, sensitive fields in one sealed payload',
    sql: `
      CREATE TABLE reads (
        -- Insertion order, never reused: what ring eviction and upload progress will follow.
        seq          INTEGER PRIMARY KEY AUTOINCREMENT,
        id           TEXT    NOT NULL UNIQUE,
        first_seen   INTEGER NOT NULL,
        last_seen    INTEGER NOT NULL,
        confidence   REAL    NOT NULL,
        frame_count  INTEGER NOT NULL,
        source_id    TEXT    NOT NULL,
        format       TEXT,
        -- Plate, alternatives, quad and crop, sealed by a RecordCodec. Never put plate text in a clear column.
        payload      BLOB    NOT NULL,
        payload_size INTEGER NOT NULL,
        created_at   INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX reads_by_first_seen ON reads (first_seen, id);
    `,
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;
