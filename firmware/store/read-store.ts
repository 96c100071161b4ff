import type { Read } from '../pipeline/read';
import type { Alert, AlertDetails } from '../hotlist/alert';
import type { DataClass } from './retention';
import { StoreError } from './store-error';

/** The most reads one list() call returns, so no caller can ask for the whole store at once. */
export const MAX_LIST_LIMIT = 1000;

/**
 * A page of reads. Reads come newest first, ordered by `firstSeen` (when the vehicle was first
 * seen), ties broken by id, so the order is total and stable across pages.
 */
export interface ReadQuery {
  /** Only reads first seen at or after this time, ms since the epoch (inclusive). */
  since?: number;
  /** Only reads first seen before this time, ms since the epoch (exclusive). */
  until?: number;
  /** Page size, 1..MAX_LIST_LIMIT. Required: nothing is unbounded. */
  limit: number;
  /** Continue after this cursor: `readCursor()` of the last read of the previous page. */
  after?: string;
  /** Only reads of this class: 'hit' for alerts (`sightline alerts`), 'read' for the rest. Both when absent. */
  dataClass?: DataClass;
}

/** A read as the store keeps it: the read, plus its class, upload and hold state. */
export interface StoredRead extends Read {
  dataClass: DataClass;
  /** Acknowledged by central. */
  uploaded: boolean;
  /** On evidence hold: survives purge and ring pressure until released. */
  held: boolean;
  /** When retention ends, ms since the epoch (a held record outlives it until released). */
  expiresAt: number;
  /** What the recognizer read, when the read was later corrected; null otherwise. */
  originalPlate: string | null;
  /** For a hit (class 'hit') stored as an alert: the matches, advisory and full frame; null for other reads. */
  alert: AlertDetails | null;
}

/** Counts and bytes of one class in one state. */
export interface ClassStateStats {
  dataClass: DataClass;
  state: 'held' | 'uploaded' | 'pending';
  records: number;
  bytes: number;
}

export interface ReadStoreStats {
  /** Records stored. */
  reads: number;
  /** Bytes the quotas count (sealed payloads plus a fixed per-row overhead). */
  bytes: number;
  /** firstSeen of the oldest and newest read, null when the store is empty. */
  oldest: number | null;
  newest: number | null;
  byClassAndState: ClassStateStats[];
  /** Use and quota of each pool: ring (evictable reads) and protected (alerts, held records). */
  pools: { ring: PoolUse; protected: PoolUse };
  /** Running totals since the store was created. */
  totals: StoreTotals;
  /** Data keys live, and how many fail to unwrap (their records are unreadable). */
  dataKeys: number;
  brokenDataKeys: number;
  /** Bytes on disk: the database file and its write-ahead log. */
  fileBytes: number;
  walBytes: number;
  /** Records list() or an upload batch skipped since open because they could not be opened. */
  unreadableSkipped: number;
}

export interface PoolUse {
  records: number;
  bytes: number;
  quotaBytes: number;
}

export interface StoreTotals {
  inserted: number;
  evictedExpired: number;
  evictedAcknowledged: number;
  /** Reads evicted by ring pressure before central acknowledged them: data loss. */
  lostNotUploaded: number;
  purged: number;
  deleted: number;
  corrected: number;
  keysDestroyed: number;
}

/** Where finished reads are kept on the device: what the pipeline needs of it. */
export interface ReadStore {
  /** Stores a read durably: once the promise resolves the read survives a crash or power cut. */
  put(read: Read): Promise<void>;
  /** Stores an alert (class 'hit', never evicted by ring pressure), as durably as put(). */
  putAlert(alert: Alert): Promise<void>;
  /** The read with this id, or null when there is none. */
  get(id: string): Promise<StoredRead | null>;
  /** A page of reads, newest first (see ReadQuery). */
  list(query: ReadQuery): Promise<StoredRead[]>;
  count(): Promise<number>;
  stats(): Promise<ReadStoreStats>;
  close(): Promise<void>;
}

/** What the pipeline needs of the store: somewhere to put finished reads and alerts. */
export type ReadSink = Pick<ReadStore, 'put' | 'putAlert'>;

/** The cursor that continues a list() after this read. Opaque to callers. */
export function readCursor(read: Pick<Read, 'firstSeen' | 'id'>): string {
  return `${read.firstSeen}.${read.id}`;
}

/** The position a cursor names. @throws StoreError STORE_BAD_QUERY for a malformed cursor. */
export function parseReadCursor(cursor: string): { firstSeen: number; id: string } {
  const match = /^(\d{1,16})\.(.+)$/s.exec(cursor);
  const firstSeen = match === null ? NaN : Number(match[1]);
  if (match === null || !Number.isSafeInteger(firstSeen)) {
    throw new StoreError('STORE_BAD_QUERY', `list(): malformed cursor ${JSON.stringify(cursor.slice(0, 80))}`);
  }
  return { firstSeen, id: match[2] };
}
