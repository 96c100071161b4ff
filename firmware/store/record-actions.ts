/**
 * What people do to single records: evidence holds (POLICY P4), deletion of reads captured
 * against the rules and correction of wrong ones (P5). Each is recorded with who, when and why;
 * a deletion keeps no plaintext of what it deleted.
 */
import type { Database } from 'sqlite3';
import { encodeReadPayload, decodeReadPayload } from './read-payload';
import { sealRecord } from './record-cipher';
import { plateProblem, RECORD_COLUMNS, RECORD_FROM, ROW_OVERHEAD_BYTES, type RecordRow } from './record-row';
import { deleteRecords } from './ring';
import type { SqliteReadStore } from './sqlite-read-store';
import { addToCounter } from './counters';
import { all, get, run } from './sqlite-async';
import { truncateWal, writeError } from './sqlite-file';
import { StoreError } from './store-error';

export interface HoldRequest {
  caseNumber: string;
  reason: string;
  /** Who places it: a user name, or "central:<operator>". */
  by: string;
}

export interface ActorAndReason {
  by: string;
  reason: string;
}

export interface HoldRecord {
  recordId: string;
  caseNumber: string;
  reason: string;
  placedBy: string;
  placedAt: number;
  releasedBy: string | null;
  releasedAt: number | null;
}

const TEXT_LIMITS = { caseNumber: 64, reason: 500, by: 128 } as const;

/** @throws StoreError STORE_BAD_QUERY when a who/why field is empty, too long or has control characters. */
function checkText(file: string, fields: Partial<Record<keyof typeof TEXT_LIMITS, unknown>>): void {
  for (const [name, value] of Object.entries(fields) as [keyof typeof TEXT_LIMITS, unknown][]) {
    const max = TEXT_LIMITS[name];
    if (typeof value !== 'string' || value.trim() === '' || value.length > max || /[\u0000-\u001f\u007f]/.test(value)) {
      throw new StoreError('STORE_BAD_QUERY', `${name} must be 1 to ${max} printable characters (got ${JSON.stringify(value)})`, { file });
    }
  }
}

async function recordRow(db: Database, store: SqliteReadStore, id: string, doing: string): Promise<RecordRow> {
  if (typeof id !== 'string') throw new StoreError('STORE_BAD_QUERY', `${doing}: id must be a string`, { file: store.file });
  const row = await get<RecordRow>(db, `SELECT ${RECORD_COLUMNS} FROM ${RECORD_FROM} WHERE r.id = ?`, [id]);
  if (row === undefined) throw new StoreError('STORE_NOT_FOUND', `${doing}: no read ${id} in ${store.file}`, { file: store.file, recordId: id });
  await store.keys.loadMissing([row.key_id]);
  return row;
}

async function activeHold(db: Database, id: string): Promise<{ hold_id: number; case_number: string } | undefined> {
  return get(db, 'SELECT hold_id, case_number FROM holds WHERE record_id = ? AND released_at IS NULL', [id]);
}

/** Runs a write with secure_delete on (replaced and deleted bytes are zeroed), mapping failures. */
async function secureWrite<T>(store: SqliteReadStore, what: string, id: string, fn: (db: Database) => Promise<T>): Promise<T> {
  try {
    return await store.secureTransaction(fn);
  } catch (err) {
    throw writeError(store.file, what, err, id);
  }
}

/**
 * Places an evidence hold. The record is sealed again under a key of its own, so its epoch key
 * can still be destroyed on time, and moves to the protected pool (never evicted, never purged
 * until released).
 */
export async function placeHold(store: SqliteReadStore, id: string, request: HoldRequest): Promise<void> {
  checkText(store.file, { caseNumber: request.caseNumber, reason: request.reason, by: request.by });
  await secureWrite(store, `placing a hold on read ${id}`, id, async (db) => {
    const row = await recordRow(db, store, id, 'hold');
    const existing = await activeHold(db, id);
    if (existing !== undefined) {
      throw new StoreError('STORE_CONFLICT', `read ${id} is already on hold for case ${existing.case_number}`, { file: store.file, recordId: id });
    }
    const now = store.now();
    const payload = store.openPayload(row);
    const { keyId, key } = await store.keys.recordKey(row.data_class, row.epoch, now);
    const sealed = sealRecord(key, { id, dataClass: row.data_class, epoch: row.epoch }, payload);
    if (row.data_class === 'read') {
      const use = await store.poolUsage(db);
      if (use.protected.bytes + row.bytes > store.quotas.protectedBytes) throw store.protectedFull(row.bytes, use.protected.bytes);
    }
    await run(db, 'UPDATE payloads SET sealed = ? WHERE seq = ?', [sealed, row.seq]);
    await run(db, 'UPDATE records SET key_id = ?, held = 1 WHERE seq = ?', [keyId, row.seq]);
    // A record held before had its own key already: that one goes.
    await store.keys.destroyRecordKeys([row.key_id]);
    await run(db, 'INSERT INTO holds (record_id, case_number, reason, placed_by, placed_at) VALUES (?, ?, ?, ?, ?)', [
      id,
      request.caseNumber,
      request.reason,
      request.by,
      now,
    ]);
  });
  store.log.info({ id, caseNumber: request.caseNumber, by: request.by }, 'evidence hold placed');
}

/** Releases the active hold; normal retention then applies (an expired record goes at the next purge). */
export async function releaseHold(store: SqliteReadStore, id: string, by: string): Promise<void> {
  checkText(store.file, { by });
  await secureWrite(store, `releasing the hold on read ${id}`, id, async (db) => {
    const row = await recordRow(db, store, id, 'release');
    const hold = await activeHold(db, id);
    if (hold === undefined) throw new StoreError('STORE_CONFLICT', `read ${id} is not on hold`, { file: store.file, recordId: id });
    await run(db, 'UPDATE holds SET released_by = ?, released_at = ? WHERE hold_id = ?', [by, store.now(), hold.hold_id]);
    await run(db, 'UPDATE records SET held = 0 WHERE seq = ?', [row.seq]);
  });
  store.log.info({ id, by }, 'evidence hold released');
}

/** Every hold a record has had, oldest first. */
export async function holdsOf(store: SqliteReadStore, id: string): Promise<HoldRecord[]> {
  const rows = await store.serial(() =>
    all<{ record_id: string; case_number: string; reason: string; placed_by: string; placed_at: number; released_by: string | null; released_at: number | null }>(
      store.handle(),
      'SELECT record_id, case_number, reason, placed_by, placed_at, released_by, released_at FROM holds WHERE record_id = ? ORDER BY hold_id',
      [id],
    ),
  );
  return rows.map((r) => ({
    recordId: r.record_id,
    caseNumber: r.case_number,
    reason: r.reason,
    placedBy: r.placed_by,
    placedAt: r.placed_at,
    releasedBy: r.released_by,
    releasedAt: r.released_at,
  }));
}

/**
 * Deletes a read (captured against the rules): its row and payload are zeroed, its own key (if
 * it had one) destroyed, the WAL truncated; who, when and why are recorded, never the plate.
 * A held read must be released first.
 */
export async function deleteRead(store: SqliteReadStore, id: string, request: ActorAndReason): Promise<void> {
  checkText(store.file, { by: request.by, reason: request.reason });
  await secureWrite(store, `deleting read ${id}`, id, async (db) => {
    const row = await recordRow(db, store, id, 'delete');
    const hold = await activeHold(db, id);
    if (hold !== undefined) {
      throw new StoreError('STORE_CONFLICT', `read ${id} is on hold for case ${hold.case_number}; release the hold before deleting it`, { file: store.file, recordId: id });
    }
    await deleteRecords(db, store.keys, [row]);
    await run(db, "INSERT INTO record_events (record_id, action, actor, at, reason) VALUES (?, 'delete', ?, ?, ?)", [id, request.by, store.now(), request.reason]);
    await addToCounter(db, 'deleted', 1);
  });
  await store.serial(() => truncateWal(store.handle(), store.file, store.log));
  store.log.info({ id, by: request.by }, 'read deleted');
}

/**
 * Corrects a wrong read: the plate becomes `plate`; what the recognizer read stays sealed
 * beside it (originalPlate) so the correction itself can be checked; who, when, why recorded.
 */
export async function correctRead(store: SqliteReadStore, id: string, plate: string, request: ActorAndReason): Promise<void> {
  checkText(store.file, { by: request.by, reason: request.reason });
  const problem = plateProblem(plate);
  if (problem !== null) throw new StoreError('STORE_BAD_QUERY', `correct read ${id}: ${problem} (got ${JSON.stringify(plate)})`, { file: store.file, recordId: id });
  await secureWrite(store, `correcting read ${id}`, id, async (db) => {
    const row = await recordRow(db, store, id, 'correct');
    const payload = decodeReadPayload(store.openPayload(row));
    const corrected = encodeReadPayload({ ...payload, plate, originalPlate: payload.originalPlate ?? payload.plate });
    const sealed = sealRecord(store.keys.key(row.key_id), { id, dataClass: row.data_class, epoch: row.epoch }, corrected);
    await run(db, 'UPDATE payloads SET sealed = ? WHERE seq = ?', [sealed, row.seq]);
    // Not uploaded again until central has the corrected version.
    await run(db, 'UPDATE records SET corrected = 1, uploaded = 0, bytes = ? WHERE seq = ?', [sealed.length + ROW_OVERHEAD_BYTES, row.seq]);
    await run(db, "INSERT INTO record_events (record_id, action, actor, at, reason) VALUES (?, 'correct', ?, ?, ?)", [id, request.by, store.now(), request.reason]);
    await addToCounter(db, 'corrected', 1);
  });
  store.log.info({ id, by: request.by }, 'read corrected');
}
