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
  {
    version: 2,
    description: 'encrypted records: per-epoch data keys, classes, ring pools, upload state, holds, corrections',
    sql: `
      -- Data keys, each wrapped by the device's key-encryption key. An epoch key seals one class's
      -- records of one retention epoch; a record key seals one record taken out of its epoch (held).
      -- Destroying a row here is what makes its records unrecoverable (crypto-shredding).
      CREATE TABLE data_keys (
        key_id     INTEGER PRIMARY KEY AUTOINCREMENT,
        kind       TEXT    NOT NULL CHECK (kind IN ('epoch', 'record')),
        data_class TEXT    NOT NULL,
        epoch      INTEGER NOT NULL,
        wrapped    BLOB    NOT NULL,
        created_at INTEGER NOT NULL
      ) STRICT;
      CREATE UNIQUE INDEX data_keys_one_per_epoch ON data_keys (data_class, epoch) WHERE kind = 'epoch';

      -- One row per read: clear columns for queries and bookkeeping, never plate text.
      CREATE TABLE records (
        seq         INTEGER PRIMARY KEY AUTOINCREMENT,
        id          TEXT    NOT NULL UNIQUE,
        data_class  TEXT    NOT NULL CHECK (data_class IN ('read', 'hit')),
        epoch       INTEGER NOT NULL,
        key_id      INTEGER NOT NULL,
        first_seen  INTEGER NOT NULL,
        last_seen   INTEGER NOT NULL,
        confidence  REAL    NOT NULL,
        frame_count INTEGER NOT NULL,
        source_id   TEXT    NOT NULL,
        format      TEXT,
        -- Sealed payload plus a fixed row overhead: what the quotas count.
        bytes       INTEGER NOT NULL,
        expires_at  INTEGER NOT NULL,
        held        INTEGER NOT NULL DEFAULT 0 CHECK (held IN (0, 1)),
        uploaded    INTEGER NOT NULL DEFAULT 0 CHECK (uploaded IN (0, 1)),
        corrected   INTEGER NOT NULL DEFAULT 0 CHECK (corrected IN (0, 1)),
        created_at  INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX records_by_first_seen ON records (first_seen, id);
      CREATE INDEX records_ring_order ON records (data_class, held, uploaded, seq);
      CREATE INDEX records_upload_order ON records (uploaded, data_class, seq);
      CREATE INDEX records_by_expiry ON records (expires_at) WHERE held = 0;

      -- Sealed payloads apart from the records, so bookkeeping updates touch small dense pages.
      CREATE TABLE payloads (
        seq    INTEGER PRIMARY KEY,
        sealed BLOB    NOT NULL
      ) STRICT;

      -- Bytes and records per quota pool, kept by triggers so every process sees the same figure.
      -- protected: alerts (hits) and held records, never evicted by ring pressure; ring: the rest.
      CREATE TABLE pool_usage (
        pool    TEXT    PRIMARY KEY CHECK (pool IN ('ring', 'protected')),
        records INTEGER NOT NULL,
        bytes   INTEGER NOT NULL
      ) STRICT;
      INSERT INTO pool_usage VALUES ('ring', 0, 0), ('protected', 0, 0);
      CREATE TRIGGER records_usage_insert AFTER INSERT ON records BEGIN
        UPDATE pool_usage SET records = records + 1, bytes = bytes + NEW.bytes
         WHERE pool = CASE WHEN NEW.held = 1 OR NEW.data_class = 'hit' THEN 'protected' ELSE 'ring' END;
      END;
      CREATE TRIGGER records_usage_delete AFTER DELETE ON records BEGIN
        UPDATE pool_usage SET records = records - 1, bytes = bytes - OLD.bytes
         WHERE pool = CASE WHEN OLD.held = 1 OR OLD.data_class = 'hit' THEN 'protected' ELSE 'ring' END;
      END;
      CREATE TRIGGER records_usage_update AFTER UPDATE OF held, data_class, bytes ON records BEGIN
        UPDATE pool_usage SET records = records - 1, bytes = bytes - OLD.bytes
         WHERE pool = CASE WHEN OLD.held = 1 OR OLD.data_class = 'hit' THEN 'protected' ELSE 'ring' END;
        UPDATE pool_usage SET records = records + 1, bytes = bytes + NEW.bytes
         WHERE pool = CASE WHEN NEW.held = 1 OR NEW.data_class = 'hit' THEN 'protected' ELSE 'ring' END;
      END;

      -- Running totals that must survive restarts: losses above all.
      CREATE TABLE counters (
        name  TEXT    PRIMARY KEY,
        value INTEGER NOT NULL
      ) STRICT;
      INSERT INTO counters VALUES ('inserted', 0), ('evicted_expired', 0), ('evicted_acknowledged', 0),
        ('lost_not_uploaded', 0), ('purged', 0), ('deleted', 0), ('corrected', 0), ('keys_destroyed', 0);

      CREATE TABLE store_meta (
        name  TEXT PRIMARY KEY,
        value ANY
      ) STRICT;

      -- Evidence holds (POLICY P4): who placed and released each, when, for which case.
      CREATE TABLE holds (
        hold_id     INTEGER PRIMARY KEY AUTOINCREMENT,
        record_id   TEXT    NOT NULL,
        case_number TEXT    NOT NULL,
        reason      TEXT    NOT NULL,
        placed_by   TEXT    NOT NULL,
        placed_at   INTEGER NOT NULL,
        released_by TEXT,
        released_at INTEGER
      ) STRICT;
      CREATE UNIQUE INDEX holds_one_active ON holds (record_id) WHERE released_at IS NULL;

      -- Deletions and corrections (POLICY P5): who, when, why; never the deleted plate.
      CREATE TABLE record_events (
        event_id  INTEGER PRIMARY KEY AUTOINCREMENT,
        record_id TEXT    NOT NULL,
        action    TEXT    NOT NULL CHECK (action IN ('delete', 'correct')),
        actor     TEXT    NOT NULL,
        at        INTEGER NOT NULL,
        reason    TEXT    NOT NULL
      ) STRICT;
      -- The schema 1 table 'reads', if any, is sealed into these tables and dropped by open().
    `,
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;
