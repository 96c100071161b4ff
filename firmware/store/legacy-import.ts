/**
 * Schema 1 kept payloads in clear (with a checksum) in a table `reads`. On upgrade each is
 * opened, sealed under its epoch key into `records`, and the old row deleted with secure_delete
 * on; the emptied table is dropped and the WAL truncated, so no clear plate stays on disk.
 */
import type { Database } from 'sqlite3';
import type { Logger } from '../../drivers/log';
import type { Read } from '../pipeline/read';
import { decodeReadPayload } from './read-payload';
import { PlainCodec } from './record-codec';
import type { RecordRow } from './record-row';
import type { SqliteReadStore } from './sqlite-read-store';
import { all, exec, get, run } from './sqlite-async';
import { truncateWal } from './sqlite-file';

/** A schema-1 row: the bookkeeping columns schema 2 kept, and the payload in clear. */
type Schema1Row = Pick<RecordRow, 'seq' | 'id' | 'first_seen' | 'last_seen' | 'confidence' | 'frame_count' | 'source_id' | 'format'> & { payload: Buffer };

const ROWS_PER_TRANSACTION = 500;

export async function importSchema1Reads(store: SqliteReadStore, db: Database, log: Logger): Promise<void> {
  const table = await get(db, "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'reads'");
  if (table === undefined) return;
  const codec = new PlainCodec();
  let sealed = 0;
  let unreadable = 0;
  await exec(db, 'PRAGMA secure_delete = ON');
  try {
    for (;;) {
      const done = await store.transaction(async (tx) => {
        const rows = await all<Schema1Row>(
          tx,
          'SELECT seq, id, first_seen, last_seen, confidence, frame_count, source_id, format, payload FROM reads ORDER BY seq LIMIT ?',
          [ROWS_PER_TRANSACTION],
        );
        const reads: Read[] = [];
        for (const row of rows) {
          try {
            const p = decodeReadPayload(codec.open(row.id, row.payload));
            reads.push({
              id: row.id, plate: p.plate, confidence: row.confidence, alternatives: p.alternatives, crop: p.crop, quad: p.quad,
              firstSeen: row.first_seen, lastSeen: row.last_seen, frameCount: row.frame_count, sourceId: row.source_id, format: row.format,
            });
          } catch (err) {
            unreadable++;
            log.error({ id: row.id, err: (err as Error).message }, 'schema 1 read is damaged and cannot be sealed; dropping it');
          }
        }
        if (reads.length > 0) await store.insert(tx, reads, 'read');
        if (rows.length > 0) await run(tx, `DELETE FROM reads WHERE seq <= ?`, [rows[rows.length - 1].seq]);
        sealed += reads.length;
        if (rows.length < ROWS_PER_TRANSACTION) await run(tx, 'DROP TABLE reads');
        return rows.length < ROWS_PER_TRANSACTION;
      });
      if (done) break;
    }
  } finally {
    await exec(db, 'PRAGMA secure_delete = FAST');
  }
  await truncateWal(db, store.file, log);
  log.info({ file: store.file, sealed, unreadable }, 'sealed the reads of schema 1 under AES-256-GCM');
}
