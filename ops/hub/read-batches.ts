/**
 * Stores a device's batch of reads: one transaction per batch, prepared statements, crops decoded
 * from base64 to BLOBs. An alert's details and frame go to `alerts` in the same transaction, so
 * the ack never covers a read whose evidence is missing. `INSERT OR IGNORE` on (device_id,
 * read_id): a batch resent after a lost ack stores nothing twice, and the ignored rows are
 * counted as duplicates.
 */
import type { Statement } from 'sqlite3';
import type { Lane, UploadRead } from '../../firmware/uplink/protocol';
import { finalizeStatement, runStatement, type HubDatabase } from './hub-database';

export interface BatchResult {
  /** Reads newly stored. */
  stored: number;
  /** Reads already stored (a resent batch, or an id repeated inside the batch). */
  duplicates: number;
}

/** The batch's result, and the reads whose alert was newly stored (in batch order). */
export interface StoredBatch extends BatchResult {
  newAlerts: UploadRead[];
}

const INSERT_READ = `INSERT OR IGNORE INTO reads
  (device_id, read_id, data_class, lane, batch_id, plate, confidence, alternatives, crop, quad,
   first_seen, last_seen, frame_count, source_id, format, held, original_plate, received_at)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;

const INSERT_ALERT = `INSERT OR IGNORE INTO alerts (device_id, read_id, raised_at, record, frame, received_at) VALUES (?, ?, ?, ?, ?, ?)`;

// An upsert: the batch is counted even if it commits before the connection's own bookkeeping (alerts go first).
const COUNT_DEVICE = `INSERT INTO devices (device_id, first_seen_at, reads, alerts, duplicates, last_read_at) VALUES (?1, ?5, ?2, ?3, ?4, ?5)
  ON CONFLICT (device_id) DO UPDATE SET reads = reads + ?2, alerts = alerts + ?3, duplicates = duplicates + ?4, last_read_at = ?5`;

export class ReadBatchWriter {
  private constructor(
    private readonly db: HubDatabase,
    private readonly insert: Statement,
    private readonly insertAlert: Statement,
    private readonly count: Statement,
  ) {}

  static async prepare(db: HubDatabase): Promise<ReadBatchWriter> {
    return new ReadBatchWriter(db, await db.prepare(INSERT_READ), await db.prepare(INSERT_ALERT), await db.prepare(COUNT_DEVICE));
  }

  /** Commits the batch (durably: synchronous=FULL) before resolving; the caller acks after. */
  store(deviceId: string, batchId: string, lane: Lane, reads: readonly UploadRead[], receivedAt: number): Promise<StoredBatch> {
    return this.db.write(async () => {
      // Queued on the statement back to back (sqlite3 runs them in order): one round trip per batch, not per read.
      const results = await Promise.allSettled(reads.map((read) => runStatement(this.insert, readRow(deviceId, batchId, lane, read, receivedAt))));
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
      const newAlerts = await this.storeAlerts(deviceId, reads, receivedAt);
      let stored = 0;
      let alerts = 0;
      results.forEach((r, i) => {
        if (r.status === 'fulfilled' && r.value > 0) {
          stored++;
          if (reads[i].dataClass === 'hit') alerts++;
        }
      });
      const duplicates = reads.length - stored;
      await runStatement(this.count, [deviceId, stored - alerts, alerts, duplicates, receivedAt]);
      return { stored, duplicates, newAlerts };
    });
  }

  /** Inside store()'s transaction: the alerts of the batch; returns the reads whose alert was new. */
  private async storeAlerts(deviceId: string, reads: readonly UploadRead[], receivedAt: number): Promise<UploadRead[]> {
    const withAlert = reads.filter((read) => read.alert !== null);
    if (withAlert.length === 0) return [];
    const results = await Promise.allSettled(withAlert.map((read) => runStatement(this.insertAlert, alertRow(deviceId, read, receivedAt))));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    return withAlert.filter((_, i) => (results[i] as PromiseFulfilledResult<number>).value > 0);
  }

  async close(): Promise<void> {
    await finalizeStatement(this.insert);
    await finalizeStatement(this.insertAlert);
    await finalizeStatement(this.count);
  }
}

function alertRow(deviceId: string, read: UploadRead, receivedAt: number) {
  const { frameJpeg, ...record } = read.alert!;
  return [deviceId, read.id, record.raisedAt, JSON.stringify(record), frameJpeg === null ? null : Buffer.from(frameJpeg, 'base64'), receivedAt];
}

function readRow(deviceId: string, batchId: string, lane: Lane, read: UploadRead, receivedAt: number) {
  return [
    deviceId,
    read.id,
    read.dataClass,
    lane,
    batchId,
    read.plate,
    read.confidence,
    JSON.stringify(read.alternatives),
    Buffer.from(read.crop, 'base64'),
    JSON.stringify(read.quad),
    read.firstSeen,
    read.lastSeen,
    read.frameCount,
    read.sourceId,
    read.format,
    read.held ? 1 : 0,
    read.originalPlate,
    receivedAt,
  ];
}
