/**
 * Ring eviction: when a write would take the ring pool (reads that matched nothing and are not
 * held) past its quota, records go in this order: expired ones; then the oldest acknowledged by
 * central; then, only if still short, the oldest not yet uploaded, each of which is data loss.
 * Alerts and held records are in the protected pool and never come here.
 */
import type { Database } from 'sqlite3';
import type { Logger } from '../../drivers/log';
import type { DataKeys } from './data-keys';
import { addToCounter, type CounterName } from './counters';
import { all, run } from './sqlite-async';

interface Victim {
  seq: number;
  id: string;
  bytes: number;
  key_id: number;
}

interface EvictionStep {
  name: 'expired' | 'acknowledged' | 'notUploaded';
  counter: CounterName;
  sql: string;
  /** Takes the time as the first parameter. */
  timed: boolean;
}

const STEPS: readonly EvictionStep[] = [
  {
    name: 'expired',
    counter: 'evicted_expired',
    sql: "SELECT seq, id, bytes, key_id FROM records WHERE held = 0 AND expires_at <= ? AND data_class = 'read' ORDER BY expires_at LIMIT ?",
    timed: true,
  },
  {
    name: 'acknowledged',
    counter: 'evicted_acknowledged',
    sql: "SELECT seq, id, bytes, key_id FROM records WHERE data_class = 'read' AND held = 0 AND uploaded = 1 ORDER BY seq LIMIT ?",
    timed: false,
  },
  {
    name: 'notUploaded',
    counter: 'lost_not_uploaded',
    sql: "SELECT seq, id, bytes, key_id FROM records WHERE data_class = 'read' AND held = 0 AND uploaded = 0 ORDER BY seq LIMIT ?",
    timed: false,
  },
];

export interface Eviction {
  expired: number;
  acknowledged: number;
  notUploaded: number;
  bytesFreed: number;
}

/** Rows fetched per eviction query; the loop goes on until enough bytes are free. */
const VICTIMS_PER_QUERY = 1000;

/**
 * Frees at least `bytes` from the ring pool, inside the caller's write transaction. Returns what
 * it evicted; it may free less when the ring holds less (the caller then refuses the write).
 */
export async function evictFromRing(db: Database, keys: DataKeys, bytes: number, now: number, log: Logger): Promise<Eviction> {
  const eviction: Eviction = { expired: 0, acknowledged: 0, notUploaded: 0, bytesFreed: 0 };
  for (const step of STEPS) {
    while (eviction.bytesFreed < bytes) {
      const params = step.timed ? [now, VICTIMS_PER_QUERY] : [VICTIMS_PER_QUERY];
      const candidates = await all<Victim>(db, step.sql, params);
      if (candidates.length === 0) break;
      const victims: Victim[] = [];
      for (const v of candidates) {
        if (eviction.bytesFreed >= bytes) break;
        victims.push(v);
        eviction.bytesFreed += v.bytes;
      }
      await deleteRecords(db, keys, victims);
      await addToCounter(db, step.counter, victims.length);
      eviction[step.name] += victims.length;
      if (step.name === 'notUploaded') {
        log.warn(
          { lost: victims.length, oldestId: victims[0].id, newestId: victims[victims.length - 1].id },
          'data loss: the ring is full and evicted reads central has not acknowledged yet',
        );
      }
    }
  }
  return eviction;
}

/**
 * Deletes records and their payloads, and destroys the own keys of any that had one (records
 * once held); epoch keys stay until their epoch expires. Inside the caller's transaction.
 * Returns how many keys were destroyed.
 */
export async function deleteRecords(db: Database, keys: DataKeys, victims: readonly { seq: number; key_id: number }[]): Promise<number> {
  for (let i = 0; i < victims.length; i += 500) {
    const seqs = victims.slice(i, i + 500).map((v) => v.seq);
    const marks = seqs.map(() => '?').join(',');
    await run(db, `DELETE FROM payloads WHERE seq IN (${marks})`, seqs);
    await run(db, `DELETE FROM records WHERE seq IN (${marks})`, seqs);
  }
  return keys.destroyRecordKeys(victims.map((v) => v.key_id));
}
