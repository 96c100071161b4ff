/**
 * Retention purge (POLICY P2, P3). First the keys of expired epochs are destroyed (from then on
 * every copy of their records, wherever it lingers, is unreadable: crypto-shredding); then the
 * expired rows are deleted with secure_delete on, in bounded transactions so the WAL stays
 * small; then the WAL is checkpointed and truncated to zero bytes. Held records are never purged.
 */
import { DATA_CLASSES } from './retention';
import type { SqliteReadStore } from './sqlite-read-store';
import { addToCounter } from './counters';
import { all, exec, run } from './sqlite-async';
import { truncateWal, WAL_AUTOCHECKPOINT_PAGES, writeError } from './sqlite-file';

export interface PurgeResult {
  /** Epoch and record keys destroyed. */
  keysDestroyed: number;
  /** Expired records deleted. */
  recordsPurged: number;
  /** Whether the WAL could be truncated (not while another process reads the store). */
  walTruncated: boolean;
  durationMs: number;
}

/** Records deleted per transaction: bounds the WAL a purge writes before it checkpoints. */
const RECORDS_PER_TRANSACTION = 5000;
/** Checkpoint the WAL less often while purging: every 256 pages (16 MiB of 64 KiB pages). */
const PURGE_AUTOCHECKPOINT_PAGES = 256;

export async function purgeExpired(store: SqliteReadStore): Promise<PurgeResult> {
  const started = process.hrtime.bigint();
  const now = store.now();
  let keysDestroyed = 0;
  let recordsPurged = 0;
  try {
    keysDestroyed += await store.secureTransaction(async (db) => {
      const expired: number[] = [];
      for (const dataClass of DATA_CLASSES) {
        const rows = await all<{ key_id: number }>(db, "SELECT key_id FROM data_keys WHERE kind = 'epoch' AND data_class = ? AND epoch <= ?", [
          dataClass,
          store.retention.lastExpiredEpoch(dataClass, now),
        ]);
        expired.push(...rows.map((r) => r.key_id));
      }
      return store.keys.destroy(expired);
    });
    // The row deletions skip the fsync at each commit: a power cut loses only purge progress,
    // which the next purge redoes (the keys are already gone); the final checkpoint syncs it all.
    // One job on the store's queue, so no put() commits while durability is relaxed.
    await store.serial(async () => {
      const db = store.handle();
      await exec(db, `PRAGMA synchronous = NORMAL; PRAGMA wal_autocheckpoint = ${PURGE_AUTOCHECKPOINT_PAGES}`);
      try {
        await deleteExpiredRows();
      } finally {
        await exec(db, `PRAGMA synchronous = FULL; PRAGMA wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_PAGES}`);
      }
    });
  } catch (err) {
    throw writeError(store.file, 'purging expired reads', err);
  }

  async function deleteExpiredRows(): Promise<void> {
    for (;;) {
      const batch = await store.secureTransaction(async (db) => {
        // One statement per table over the same expired set (the same query twice in one
        // transaction selects the same rows): no ids cross into JavaScript and back.
        const expired = 'SELECT seq FROM records WHERE held = 0 AND expires_at <= ? ORDER BY expires_at, seq LIMIT ?';
        const params = [now, RECORDS_PER_TRANSACTION];
        const keyIds = await all<{ key_id: number }>(db, `SELECT DISTINCT key_id FROM records WHERE seq IN (${expired})`, params);
        await run(db, `DELETE FROM payloads WHERE seq IN (${expired})`, params);
        const { changes } = await run(db, `DELETE FROM records WHERE seq IN (${expired})`, params);
        if (changes === 0) return { records: 0, keys: 0 };
        const keys = await store.keys.destroyRecordKeys(keyIds.map((k) => k.key_id));
        await addToCounter(db, 'purged', changes);
        return { records: changes, keys };
      }, false);
      recordsPurged += batch.records;
      keysDestroyed += batch.keys;
      if (batch.records < RECORDS_PER_TRANSACTION) break;
    }
  }
  const walTruncated = await store.serial(() => truncateWal(store.handle(), store.file, store.log));
  const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
  if (keysDestroyed > 0 || recordsPurged > 0) store.log.info({ keysDestroyed, recordsPurged, walTruncated, durationMs: Math.round(durationMs) }, 'purged expired reads');
  return { keysDestroyed, recordsPurged, walTruncated, durationMs };
}
