/**
 * The store's data keys: created at random, kept on disk only wrapped by the key-encryption key,
 * held in memory as KeyObjects (which never print their bytes), destroyed by deleting their row.
 * Keys created inside a transaction are tentative until it commits.
 */
import { createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import type { Database } from 'sqlite3';
import type { Logger } from '../../drivers/log';
import type { KeyEncryptionKey } from './key-encryption-key';
import type { DataClass } from './retention';
import { addToCounter } from './counters';
import { all, get, run } from './sqlite-async';

export type KeyKind = 'epoch' | 'record';

interface KeyRow {
  key_id: number;
  kind: KeyKind;
  data_class: DataClass;
  epoch: number;
  wrapped: Buffer;
  created_at: number;
}

/** Why a key cannot be used: destroyed (purged) or failing to unwrap (damaged). */
export class DataKeyUnavailable extends Error {}

function wrapContext(row: Pick<KeyRow, 'kind' | 'data_class' | 'epoch' | 'created_at'>): string {
  return `sightline data key v1\0${row.kind}\0${row.data_class}\0${row.epoch}\0${row.created_at}`;
}

export class DataKeys {
  private readonly keys = new Map<number, KeyObject>();
  private readonly broken = new Map<number, string>();
  private readonly epochKeyIds = new Map<string, number>();
  private tentative: number[] = [];

  constructor(
    private readonly db: Database,
    private readonly kek: KeyEncryptionKey,
    private readonly log: Logger,
  ) {}

  /**
   * Unwraps every stored key. A key that fails is logged by id (never its bytes) and its records
   * report it when read; the rest of the store keeps working. Returns the ids that failed.
   */
  async loadAll(): Promise<Map<number, string>> {
    const rows = await all<KeyRow>(this.db, 'SELECT key_id, kind, data_class, epoch, wrapped, created_at FROM data_keys');
    for (const row of rows) this.admit(row);
    return new Map(this.broken);
  }

  get brokenCount(): number {
    return this.broken.size;
  }

  /** The key sealing class `dataClass` in `epoch`, created when absent. Call inside a write transaction. */
  async epochKey(dataClass: DataClass, epoch: number, now: number): Promise<{ keyId: number; key: KeyObject }> {
    const name = `${dataClass}\0${epoch}`;
    let keyId = this.epochKeyIds.get(name);
    // Another process (a `store purge`) may have destroyed a cached key: never seal under a key that is gone.
    if (keyId !== undefined && (await get(this.db, 'SELECT 1 AS present FROM data_keys WHERE key_id = ?', [keyId])) === undefined) {
      this.forget(keyId);
      keyId = undefined;
    }
    if (keyId === undefined) {
      // Another process (the CLI) may have made it since this one loaded its keys.
      const row = await get<KeyRow>(
        this.db,
        "SELECT key_id, kind, data_class, epoch, wrapped, created_at FROM data_keys WHERE kind = 'epoch' AND data_class = ? AND epoch = ?",
        [dataClass, epoch],
      );
      keyId = row === undefined ? await this.create('epoch', dataClass, epoch, now) : this.admit(row);
    }
    return { keyId, key: this.key(keyId) };
  }

  /** A new key for one record (taken out of its epoch by a hold). Call inside a write transaction. */
  async recordKey(dataClass: DataClass, epoch: number, now: number): Promise<{ keyId: number; key: KeyObject }> {
    const keyId = await this.create('record', dataClass, epoch, now);
    return { keyId, key: this.key(keyId) };
  }

  /** @throws DataKeyUnavailable saying why the key cannot open anything. */
  key(keyId: number): KeyObject {
    const key = this.keys.get(keyId);
    if (key !== undefined) return key;
    const why = this.broken.get(keyId);
    throw new DataKeyUnavailable(why ?? `its data key ${keyId} was destroyed (the record's retention epoch was purged)`);
  }

  /** Loads keys another process made since (a hold placed from the CLI), so key() finds them. */
  async loadMissing(keyIds: readonly number[]): Promise<void> {
    const missing = [...new Set(keyIds)].filter((id) => !this.keys.has(id) && !this.broken.has(id));
    for (let i = 0; i < missing.length; i += 500) {
      const chunk = missing.slice(i, i + 500);
      const rows = await all<KeyRow>(this.db, `SELECT key_id, kind, data_class, epoch, wrapped, created_at FROM data_keys WHERE key_id IN (${chunk.map(() => '?').join(',')})`, chunk);
      for (const row of rows) this.admit(row);
    }
  }

  /**
   * Deletes the keys' rows (secure_delete must be on), counts them in `keys_destroyed` and
   * forgets them. Call inside a write transaction. Returns how many were destroyed.
   */
  async destroy(keyIds: readonly number[]): Promise<number> {
    let destroyed = 0;
    for (let i = 0; i < keyIds.length; i += 500) {
      const chunk = keyIds.slice(i, i + 500);
      const result = await run(this.db, `DELETE FROM data_keys WHERE key_id IN (${chunk.map(() => '?').join(',')})`, chunk);
      destroyed += result.changes;
    }
    for (const id of keyIds) this.forget(id);
    await addToCounter(this.db, 'keys_destroyed', destroyed);
    return destroyed;
  }

  /**
   * Destroys those of `keyIds` that are record keys (a record's own, from a hold): the record
   * going takes its key with it. Epoch keys stay until their epoch expires. Returns how many went.
   */
  async destroyRecordKeys(keyIds: readonly number[]): Promise<number> {
    const unique = [...new Set(keyIds)];
    let destroyed = 0;
    for (let i = 0; i < unique.length; i += 500) {
      const chunk = unique.slice(i, i + 500);
      const own = await all<{ key_id: number }>(this.db, `SELECT key_id FROM data_keys WHERE kind = 'record' AND key_id IN (${chunk.map(() => '?').join(',')})`, chunk);
      if (own.length > 0) destroyed += await this.destroy(own.map((k) => k.key_id));
    }
    return destroyed;
  }

  /** The transaction committed: tentative keys are now real. */
  committed(): void {
    this.tentative = [];
  }

  /** The transaction rolled back: forget the keys it created. */
  rolledBack(): void {
    for (const id of this.tentative) this.forget(id);
    this.tentative = [];
  }

  /** Forgets every key (close): the KeyObjects become garbage. */
  clear(): void {
    this.keys.clear();
    this.broken.clear();
    this.epochKeyIds.clear();
  }

  private async create(kind: KeyKind, dataClass: DataClass, epoch: number, now: number): Promise<number> {
    const raw = randomBytes(32);
    const row = { kind, data_class: dataClass, epoch, created_at: now };
    const wrapped = this.kek.wrap(raw, wrapContext(row));
    const { lastID } = await run(this.db, 'INSERT INTO data_keys (kind, data_class, epoch, wrapped, created_at) VALUES (?, ?, ?, ?, ?)', [
      kind,
      dataClass,
      epoch,
      wrapped,
      now,
    ]);
    this.keys.set(lastID, createSecretKey(raw));
    raw.fill(0);
    if (kind === 'epoch') this.epochKeyIds.set(`${dataClass}\0${epoch}`, lastID);
    this.tentative.push(lastID);
    return lastID;
  }

  private admit(row: KeyRow): number {
    try {
      const raw = this.kek.unwrap(row.wrapped, wrapContext(row));
      this.keys.set(row.key_id, createSecretKey(raw));
      raw.fill(0);
    } catch (err) {
      const why = `its data key ${row.key_id} (${row.kind} key, class ${row.data_class}, epoch ${row.epoch}) cannot be unwrapped: ${(err as Error).message}`;
      this.broken.set(row.key_id, why);
      this.log.error({ keyId: row.key_id, kind: row.kind, dataClass: row.data_class, epoch: row.epoch }, 'data key fails to unwrap; its records are unreadable');
    }
    if (row.kind === 'epoch') this.epochKeyIds.set(`${row.data_class}\0${row.epoch}`, row.key_id);
    return row.key_id;
  }

  private forget(keyId: number): void {
    this.keys.delete(keyId);
    this.broken.delete(keyId);
    for (const [name, id] of this.epochKeyIds) if (id === keyId) this.epochKeyIds.delete(name);
  }
}
