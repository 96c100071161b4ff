/**
 * The hub database's schema, as numbered migrations (PRAGMA user_version holds the last applied).
 * Reads and alerts are keyed (device_id, read_id) so a resent batch is stored once; crops and
 * frames are BLOBs.
 */
export interface HubMigration {
  version: number;
  description: string;
  sql: string;
}

export const HUB_MIGRATIONS: readonly HubMigration[] = [
  {
    version: 1,
    description: 'devices, certificates (revocation list), reads, commands, health',
    sql: `
      CREATE TABLE devices (
        device_id TEXT PRIMARY KEY,
        first_seen_at INTEGER NOT NULL,
        enrolled_at INTEGER,
        connected INTEGER NOT NULL DEFAULT 0,
        last_connected_at INTEGER,
        last_disconnected_at INTEGER,
        last_address TEXT,
        reads INTEGER NOT NULL DEFAULT 0,
        alerts INTEGER NOT NULL DEFAULT 0,
        duplicates INTEGER NOT NULL DEFAULT 0,
        last_read_at INTEGER
      );
      -- Every device certificate the hub issued or saw; revoked_at set = refused at the handshake.
      CREATE TABLE certificates (
        serial TEXT PRIMARY KEY,
        device_id TEXT NOT NULL,
        not_before INTEGER NOT NULL,
        not_after INTEGER NOT NULL,
        issued_at INTEGER,
        first_seen_at INTEGER NOT NULL,
        revoked_at INTEGER,
        reason TEXT
      );
      CREATE INDEX certificates_device ON certificates(device_id);
      CREATE INDEX certificates_revoked ON certificates(revoked_at) WHERE revoked_at IS NOT NULL;
      CREATE TABLE reads (
        seq INTEGER PRIMARY KEY,
        device_id TEXT NOT NULL,
        read_id TEXT NOT NULL,
        data_class TEXT NOT NULL CHECK (data_class IN ('read', 'hit')),
        lane TEXT NOT NULL CHECK (lane IN ('alert', 'backlog')),
        batch_id TEXT NOT NULL,
        plate TEXT NOT NULL,
        confidence REAL NOT NULL,
        alternatives TEXT NOT NULL,
        crop BLOB NOT NULL,
        quad TEXT NOT NULL,
        first_seen INTEGER NOT NULL,
        last_seen INTEGER NOT NULL,
        frame_count INTEGER NOT NULL,
        source_id TEXT NOT NULL,
        format TEXT,
        held INTEGER NOT NULL,
        original_plate TEXT,
        received_at INTEGER NOT NULL,
        UNIQUE (device_id, read_id)
      );
      CREATE INDEX reads_device_seq ON reads(device_id, seq);
      CREATE TABLE commands (
        id TEXT PRIMARY KEY,
        device_id TEXT NOT NULL,
        name TEXT NOT NULL,
        body TEXT NOT NULL,
        requested_by TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        sent_at INTEGER,
        replied_at INTEGER,
        reply TEXT
      );
      CREATE INDEX commands_open ON commands(device_id) WHERE replied_at IS NULL;
      CREATE TABLE health (
        seq INTEGER PRIMARY KEY,
        device_id TEXT NOT NULL,
        received_at INTEGER NOT NULL,
        command_id TEXT,
        report TEXT NOT NULL
      );
      CREATE INDEX health_device ON health(device_id, seq);
    `,
  },
  {
    version: 2,
    description: 'alerts: hotlist hits with their matches, advisory and full frame',
    sql: `
      -- One row per alert, beside its read (reads keeps the plate and crop): the alert record
      -- (matches, advisory, frame size, frameMissing) as JSON, the frame JPEG as a BLOB.
      CREATE TABLE alerts (
        device_id TEXT NOT NULL,
        read_id TEXT NOT NULL,
        raised_at INTEGER NOT NULL,
        record TEXT NOT NULL,
        frame BLOB,
        received_at INTEGER NOT NULL,
        PRIMARY KEY (device_id, read_id)
      );
      CREATE INDEX alerts_raised ON alerts(raised_at);
    `,
  },
];

export const HUB_SCHEMA_VERSION = HUB_MIGRATIONS[HUB_MIGRATIONS.length - 1].version;
