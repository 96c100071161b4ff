import type { Read } from '../pipeline/read';
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
}

export interface ReadStoreStats {
  /** Reads stored. */
  reads: number;
  /** Bytes of stored (sealed) payloads, the figure a byte-bounded ring limits. */
  bytes: number;
  /** firstSeen of the oldest and newest read, null when the store is empty. */
  oldest: number | null;
  newest: number | null;
  /** Reads list() skipped since open because their payload could not be read (each logged with its id). */
  unreadableSkipped: number;
}

/** Where finished reads are kept on the device. */
export interface ReadStore {
  /** Stores a read durably: once the promise resolves the read survives a crash or power cut. */
  put(read: Read): Promise<void>;
  /** The read with this id, or null when there is none. */
  get(id: string): Promise<Read | null>;
  /** A page of reads, newest first (see ReadQuery). */
  list(query: ReadQuery): Promise<Read[]>;
  count(): Promise<number>;
  stats(): Promise<ReadStoreStats>;
  close(): Promise<void>;
}

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
