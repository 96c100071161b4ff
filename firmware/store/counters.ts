/** The store's running totals (table `counters`, created by migration 2), added to inside write transactions. */
import type { Database } from 'sqlite3';
import { run } from './sqlite-async';

export type CounterName =
  | 'inserted'
  | 'evicted_expired'
  | 'evicted_acknowledged'
  | 'lost_not_uploaded'
  | 'purged'
  | 'deleted'
  | 'corrected'
  | 'keys_destroyed';

export async function addToCounter(db: Database, name: CounterName, n: number): Promise<void> {
  if (n !== 0) await run(db, 'UPDATE counters SET value = value + ? WHERE name = ?', [n, name]);
}
