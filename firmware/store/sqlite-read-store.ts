/**
 * Reads kept in one SQLite file in the data directory, encrypted at rest. Query columns (times,
 * confidence, source, class, upload and hold state) stay in clear; plate text, alternatives,
 * quad and crop are sealed with AES-256-GCM under a data key per class and retention epoch,
 * itself kept only wrapped by the device's key-encryption key (POLICY P12, P17).
 *
 * Every operation runs through one queue, so a transaction on this connection never interleaves
 * with another; other processes (the CLI) wait on SQLite's lock.
 */
import { statSync } from 'node:fs';
import * as path from 'node:path';
import { type Database, OPEN_CREATE, OPEN_READWRITE } from 'sqlite3';
import { silentLogger, type Logger } from '../../drivers/log';
import type { Read } from '../pipeline/read';
import { DataKeys } from './data-keys';
import { FileKeyEncryptionKey, type KeyEncryptionKey } from './key-encryption-key';
import { importSchema1Reads } from './legacy-import';
import { SCHEMA_VERSION } from './migrations';
import { encodeReadPayload } from './read-payload';
import {
  MAX_LIST_LIMIT,
  parseReadCursor,
  type ClassStateStats,
  type ReadQuery,
  type ReadStore,
  type ReadStoreStats,
  type StoredRead,
  type StoreTotals,
} from './read-store';
import { openRecord, sealRecord } from './record-cipher';
import { alertProblem, describeId, readProblem, RECORD_COLUMNS, RECORD_FROM, ROW_OVERHEAD_BYTES, storedRead, type RecordRow, type Storable } from './record-row';
import type { Alert } from '../hotlist/alert';
import { DATA_CLASSES, DEFAULT_RETENTION, RetentionPolicy, type DataClass, type RetentionSettings } from './retention';
import { evictFromRing, type Eviction } from './ring';
import { all, closeDatabase, exec, get, openDatabase, run, type SqlValue } from './sqlite-async';
import { checkIntact, configureConnection, createPrivateStoreFile, migrate, openError, readError, schemaVersion, syncDirectory, truncateWal, writeError } from './sqlite-file';
import { DiskReserve } from './disk-reserve';
import { StoreError } from './store-error';
import { OperationQueue } from './operation-queue';
import { checkValuesEqual, storedCheckValue } from './kek-check';
import { addToCounter } from './counters';
import { purgeExpired, type PurgeResult } from './purge';
import { correctRead, deleteRead, holdsOf, placeHold, releaseHold, type ActorAndReason, type HoldRecord, type HoldRequest } from './record-actions';

/** The database file's name inside the data directory. */
export const READS_FILE = 'reads.sqlite';
/** The key-encryption key's default file name inside the data directory. */
export const KEK_FILE = 'store.kek';

/** How long a statement waits for a lock another connection holds before failing. */
const BUSY_TIMEOUT_MS = 5000;

/** Smallest maxFileBytes accepted: below this SQLite cannot even hold the schema and a few reads. */
const MIN_FILE_BYTES = 1024 * 1024;

/** Rows per multi-row INSERT (14 parameters each, well under SQLite's limit). */
const ROWS_PER_STATEMENT = 100;

/** The disk reserve's file name inside the data directory, and its default size. */
export const RESERVE_FILE = 'reserve.bin';
const DEFAULT_RESERVE_BYTES = 8 * 1024 * 1024;

/** Most reads one putMany() takes: one transaction's worth. */
export const MAX_BATCH = 2000;

export interface StoreQuotas {
  /** Reads that matched nothing and are not held: evicted at this quota (ring). */
  ringBytes: number;
  /** Alerts and held records: never evicted; writes past it are refused. */
  protectedBytes: number;
}

export const DEFAULT_QUOTAS: StoreQuotas = { ringBytes: 1024 * 1024 * 1024, protectedBytes: 256 * 1024 * 1024 };

export interface SqliteReadStoreOptions {
  /** The key-encryption key; by default a file, `keyFile` or `<dataDir>/store.kek`, created with a new store. */
  kek?: KeyEncryptionKey;
  keyFile?: string;
  retention?: RetentionSettings;
  quotas?: Partial<StoreQuotas>;
  log?: Logger;
  /**
   * Hard cap on the database size, bytes (rounded down to whole pages). A write past it fails
   * with STORE_DISK_FULL as on a full disk. A backstop for tests and small cards: the ring quota
   * keeps the store below it.
   */
  maxFileBytes?: number;
  /** Bytes kept in reserve.bin beside the database and given up when the disk fills (disk-reserve.ts); 0 for none. */
  diskReserveBytes?: number;
  /** SQLite's integrity check at open: full (default) or quick (skips index cross-checks). */
  integrityCheck?: 'full' | 'quick';
  /** The clock, ms since the epoch (tests move it to expire records). */
  now?: () => number;
}

/** Which reads nextUploadBatch() may return. */
export interface UploadBatchOptions {
  /** Ids to leave out: reads already in flight. */
  exclude?: ReadonlySet<string>;
  /** Only this class: 'hit' (alerts) or 'read'. Both, hits first, when absent. */
  dataClass?: DataClass;
}

export interface PutResult {
  eviction: Eviction;
}

export class SqliteReadStore implements ReadStore {
  private db: Database | null;
  private readonly operations = new OperationQueue();
  private unreadableSkipped = 0;
  /** Lowered below the ring quota after the disk filled, so the next write evicts to make room. */
  private diskRingLimit = Infinity;

  private constructor(
    /** Absolute path of the database file. */
    readonly file: string,
    db: Database,
    /** @internal for the modules beside this one (record-actions, purge). */
    readonly keys: DataKeys,
    readonly retention: RetentionPolicy,
    readonly quotas: StoreQuotas,
    readonly log: Logger,
    readonly now: () => number,
    private readonly reserve: DiskReserve,
  ) {
    this.db = db;
  }

  /**
   * Opens (creating when absent) `<dataDir>/reads.sqlite`: checks it is intact, checks the
   * key-encryption key is the store's own before writing anything, brings the schema up to date
   * (sealing schema 1's clear payloads), and unwraps the data keys.
   * @throws StoreError STORE_OPEN_FAILED, STORE_CORRUPT, STORE_KEY_FAILED or STORE_WRONG_KEY.
   */
  static async open(dataDir: string, opts: SqliteReadStoreOptions = {}): Promise<SqliteReadStore> {
    const log = opts.log ?? silentLogger;
    const dir = path.resolve(dataDir);
    const file = path.join(dir, READS_FILE);
    if (opts.maxFileBytes !== undefined && !(Number.isSafeInteger(opts.maxFileBytes) && opts.maxFileBytes >= MIN_FILE_BYTES)) {
      throw new StoreError('STORE_OPEN_FAILED', `read store ${file}: maxFileBytes must be an integer of at least ${MIN_FILE_BYTES} (got ${opts.maxFileBytes})`, { file });
    }
    const quotas = { ...DEFAULT_QUOTAS, ...opts.quotas };
    for (const [name, value] of Object.entries(quotas)) {
      if (!(Number.isSafeInteger(value) && value > 0)) throw new StoreError('STORE_OPEN_FAILED', `read store ${file}: quota ${name} must be a positive integer of bytes (got ${value})`, { file });
    }
    const retention = new RetentionPolicy(opts.retention ?? DEFAULT_RETENTION);
    const now = opts.now ?? Date.now;

    createPrivateStoreFile(dir, file, log);
    let db: Database;
    try {
      db = await openDatabase(file, OPEN_READWRITE | OPEN_CREATE);
    } catch (err) {
      throw openError(file, err);
    }
    try {
      db.configure('busyTimeout', BUSY_TIMEOUT_MS);
      await checkIntact(db, file, opts.integrityCheck ?? 'full');
      const kek = await checkKek(db, file, opts.kek, opts.keyFile ?? path.join(dir, KEK_FILE), log);
      await configureConnection(db, file, log, opts.maxFileBytes);
      const from = await migrate(db, file, log);
      await storeCheckValueOnce(db, kek);
      syncDirectory(dir, log);
      const keys = new DataKeys(db, kek, log);
      const broken = await keys.loadAll();
      const reserve = new DiskReserve(path.join(dir, RESERVE_FILE), opts.diskReserveBytes ?? DEFAULT_RESERVE_BYTES, log);
      reserve.ensure();
      const store = new SqliteReadStore(file, db, keys, retention, quotas, log, now, reserve);
      if (from === 1) await importSchema1Reads(store, db, log);
      log.info({ file, schemaVersion: SCHEMA_VERSION, migratedFrom: from, kek: kek.location, brokenDataKeys: broken.size }, 'read store open');
      return store;
    } catch (err) {
      await closeDatabase(db).catch(() => undefined);
      throw openError(file, err);
    }
  }

  /** Stores one read that matched nothing (class `read`); see putMany. */
  async put(read: Read): Promise<void> {
    await this.putMany([read], 'read');
  }

  /**
   * Stores an alert: its read in class `hit` (never evicted by ring pressure, uploaded on the
   * alert lane), its details and full frame sealed with it. Durable when the promise resolves.
   * @throws StoreError as putMany, and STORE_INVALID_RECORD for details that break their bounds.
   */
  async putAlert(alert: Alert): Promise<void> {
    const problem = alertProblem(alert.details);
    if (problem !== null) {
      throw new StoreError('STORE_INVALID_RECORD', `cannot store alert for read ${describeId(alert.read?.id)} in ${this.file}: ${problem}`, { file: this.file, recordId: alert.read?.id });
    }
    await this.putMany([{ ...alert.read, alert: alert.details }], 'hit');
  }

  /**
   * Stores reads of one class in one transaction, durably: once the promise resolves they
   * survive a crash or power cut. Ring reads past the quota evict older ones (ring.ts); alerts
   * past the protected quota are refused. Nothing is written unless every read is valid.
   * @throws StoreError STORE_INVALID_RECORD, STORE_DUPLICATE_ID, STORE_QUOTA_FULL, STORE_DISK_FULL, STORE_WRITE_FAILED.
   */
  async putMany(reads: readonly Storable[], dataClass: DataClass = 'read'): Promise<PutResult> {
    this.handle();
    if (!Array.isArray(reads) || reads.length === 0 || reads.length > MAX_BATCH) {
      throw new StoreError('STORE_INVALID_RECORD', `putMany() takes 1 to ${MAX_BATCH} reads (got ${Array.isArray(reads) ? reads.length : typeof reads})`, { file: this.file });
    }
    const seen = new Set<string>();
    for (const read of reads) {
      const problem = readProblem(read) ?? (seen.has(read.id) ? 'the same id appears twice in the batch' : null);
      if (problem !== null) {
        throw new StoreError('STORE_INVALID_RECORD', `cannot store read ${describeId(read?.id)} in ${this.file}: ${problem}`, {
          file: this.file,
          recordId: typeof read?.id === 'string' ? read.id : undefined,
        });
      }
      seen.add(read.id);
    }
    const what = reads.length === 1 ? `storing read ${reads[0].id}` : `storing ${reads.length} reads (${reads[0].id} ...)`;
    try {
      // Alerts go ahead of queued backlog writes, upload fetches and ack marks.
      return await this.transaction((db) => this.insert(db, reads, dataClass), dataClass === 'hit');
    } catch (err) {
      const mapped = writeError(this.file, what, err, reads.length === 1 ? reads[0].id : undefined);
      if (mapped.code === 'STORE_DISK_FULL') await this.recoverFromFullDisk(reads);
      throw mapped;
    }
  }

  /** @internal Inserts sealed records inside the caller's transaction, evicting from the ring first. */
  async insert(db: Database, reads: readonly Storable[], dataClass: DataClass): Promise<PutResult> {
    const now = this.now();
    const sealed: { read: Storable; epoch: number; keyId: number; sealed: Buffer }[] = [];
    // One key lookup per epoch in the batch (usually one), not per read.
    const epochKeys = new Map<number, Awaited<ReturnType<DataKeys['epochKey']>>>();
    for (const read of reads) {
      const epoch = this.retention.epochOf(read.firstSeen);
      let epochKey = epochKeys.get(epoch);
      if (epochKey === undefined) {
        epochKey = await this.keys.epochKey(dataClass, epoch, now);
        epochKeys.set(epoch, epochKey);
      }
      const { keyId, key } = epochKey;
      sealed.push({ read, epoch, keyId, sealed: sealRecord(key, { id: read.id, dataClass, epoch }, encodeReadPayload(read)) });
    }
    const bytes = sealed.reduce((sum, s) => sum + s.sealed.length + ROW_OVERHEAD_BYTES, 0);
    const eviction = await this.makeRoom(db, dataClass, bytes, now);

    // Seqs assigned here, so records and payloads go in as multi-row statements: a few round
    // trips to SQLite's thread per batch instead of two per read.
    const base = (await get<{ seq: number | null }>(db, "SELECT MAX(seq) AS seq FROM (SELECT seq FROM sqlite_sequence WHERE name = 'records' UNION ALL SELECT MAX(seq) FROM records)"))?.seq ?? 0;
    for (let i = 0; i < sealed.length; i += ROWS_PER_STATEMENT) {
      const chunk = sealed.slice(i, i + ROWS_PER_STATEMENT);
      const recordParams: SqlValue[] = [];
      const payloadParams: SqlValue[] = [];
      chunk.forEach((s, j) => {
        const r = s.read;
        const seq = base + i + j + 1;
        recordParams.push(
          seq, r.id, dataClass, s.epoch, s.keyId, r.firstSeen, r.lastSeen, r.confidence, r.frameCount, r.sourceId, r.format,
          s.sealed.length + ROW_OVERHEAD_BYTES, this.retention.expiresAt(dataClass, r.firstSeen), now,
        );
        payloadParams.push(seq, s.sealed);
      });
      await run(
        db,
        `INSERT INTO records (seq, id, data_class, epoch, key_id, first_seen, last_seen, confidence, frame_count, source_id, format, bytes, expires_at, created_at)
         VALUES ${chunk.map(() => '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}`,
        recordParams,
      );
      await run(db, `INSERT INTO payloads (seq, sealed) VALUES ${chunk.map(() => '(?, ?)').join(', ')}`, payloadParams);
    }
    await addToCounter(db, 'inserted', reads.length);
    return { eviction };
  }

  /** Makes room for `bytes` more in the class's pool, or refuses. Inside a write transaction. */
  private async makeRoom(db: Database, dataClass: DataClass, bytes: number, now: number): Promise<Eviction> {
    const none: Eviction = { expired: 0, acknowledged: 0, notUploaded: 0, bytesFreed: 0 };
    const usage = await this.poolUsage(db);
    if (dataClass === 'hit') {
      if (usage.protected.bytes + bytes > this.quotas.protectedBytes) throw this.protectedFull(bytes, usage.protected.bytes);
      return none;
    }
    const limit = Math.min(this.quotas.ringBytes, this.diskRingLimit);
    if (bytes > limit) {
      throw new StoreError('STORE_QUOTA_FULL', `read store ${this.file}: ${bytes} bytes of reads do not fit the ring quota of ${limit} bytes`, { file: this.file });
    }
    if (usage.ring.bytes + bytes <= limit) return none;
    // Free a little more than needed, so a store at its quota evicts once per few writes.
    const eviction = await evictFromRing(db, this.keys, usage.ring.bytes + bytes - limit + Math.floor(limit / 100), now, this.log);
    if (usage.ring.bytes - eviction.bytesFreed + bytes > limit) {
      throw new StoreError('STORE_QUOTA_FULL', `read store ${this.file}: the ring cannot free ${bytes} bytes`, { file: this.file });
    }
    return eviction;
  }

  /** @internal */
  protectedFull(bytes: number, used: number): StoreError {
    return new StoreError(
      'STORE_QUOTA_FULL',
      `read store ${this.file}: the protected quota (alerts and held records, never evicted) is full: ${used} of ${this.quotas.protectedBytes} bytes used, ${bytes} more needed; release holds or raise store.protectedQuotaMB`,
      { file: this.file },
    );
  }

  /** @internal Bytes and records per pool, as the triggers keep them. */
  async poolUsage(db: Database): Promise<Record<'ring' | 'protected', { records: number; bytes: number }>> {
    const rows = await all<{ pool: 'ring' | 'protected'; records: number; bytes: number }>(db, 'SELECT pool, records, bytes FROM pool_usage');
    const use = { ring: { records: 0, bytes: 0 }, protected: { records: 0, bytes: 0 } };
    for (const row of rows) use[row.pool] = { records: row.records, bytes: row.bytes };
    return use;
  }

  /**
   * The disk filled before the quota did. The ring's limit drops below what it holds now; the
   * reserve is given up so the WAL can checkpoint and the eviction run; then the reserve is laid
   * down again from the freed space. The write that failed stays failed (the caller retries).
   */
  private async recoverFromFullDisk(reads: readonly Storable[]): Promise<void> {
    const batch = reads.reduce((sum, r) => sum + r.crop.length + (r.alert?.frame?.jpeg.length ?? 0) + 1024, 0);
    try {
      const released = this.reserve.release();
      await this.transaction(async (db) => {
        const use = await this.poolUsage(db);
        this.diskRingLimit = Math.max(batch, use.ring.bytes - 2 * batch - Math.floor(use.ring.bytes / 50) - (released ? 0 : this.reserve.bytes));
        this.log.error(
          { file: this.file, ringBytes: use.ring.bytes, ringLimit: this.diskRingLimit, reserveReleased: released },
          'disk full before the ring quota: the ring now evicts down to what the disk holds',
        );
        if (use.ring.bytes > this.diskRingLimit) await evictFromRing(db, this.keys, use.ring.bytes - this.diskRingLimit, this.now(), this.log);
      });
      await this.serial(() => truncateWal(this.handle(), this.file, this.log));
      this.reserve.ensure();
    } catch (err) {
      this.log.error({ file: this.file, err: (err as Error).message }, 'could not make room after the disk filled');
    }
  }

  /** @throws StoreError STORE_RECORD_UNREADABLE when this read's payload cannot be opened. */
  async get(id: string): Promise<StoredRead | null> {
    if (typeof id !== 'string') throw new StoreError('STORE_BAD_QUERY', `get(): id must be a string (got ${typeof id})`, { file: this.file });
    const [row] = await this.selectRecords('WHERE r.id = ?', [id], `reading read ${id}`);
    return row === undefined ? null : this.decode(row);
  }

  /**
   * Newest first (see ReadQuery). A read whose payload cannot be opened is skipped, logged with
   * its id and counted in stats().unreadableSkipped, so one damaged record cannot block the
   * rest; the page is still filled up to `limit` when more reads exist.
   */
  async list(query: ReadQuery): Promise<StoredRead[]> {
    this.handle();
    const { since, until, limit, dataClass } = this.checkQuery(query);
    let position = query.after === undefined ? undefined : parseReadCursor(query.after);
    const reads: StoredRead[] = [];
    while (reads.length < limit) {
      const where: string[] = [];
      const params: SqlValue[] = [];
      if (since !== undefined) {
        where.push('r.first_seen >= ?');
        params.push(since);
      }
      if (until !== undefined) {
        where.push('r.first_seen < ?');
        params.push(until);
      }
      if (dataClass !== undefined) {
        where.push('r.data_class = ?');
        params.push(dataClass);
      }
      if (position !== undefined) {
        where.push('(r.first_seen < ? OR (r.first_seen = ? AND r.id < ?))');
        params.push(position.firstSeen, position.firstSeen, position.id);
      }
      const wanted = limit - reads.length;
      params.push(wanted);
      const order = 'ORDER BY r.first_seen DESC, r.id DESC';
      // By class the order comes from a sort, not the first_seen index: the page is chosen from
      // the records alone, so only its payloads are read, not every alert's sealed frame.
      const tail =
        dataClass === undefined
          ? `${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ${order} LIMIT ?`
          : `WHERE r.seq IN (SELECT r.seq FROM records r WHERE ${where.join(' AND ')} ${order} LIMIT ?) ${order}`;
      const rows = await this.selectRecords(tail, params, 'listing reads');
      reads.push(...this.decodeSkippingUnreadable(rows));
      if (rows.length < wanted) break;
      const last = rows[rows.length - 1];
      position = { firstSeen: last.first_seen, id: last.id };
    }
    return reads;
  }

  /**
   * The next reads to upload, oldest first, alerts (hits) ahead of every read: at most `limit`.
   * `exclude` leaves out reads already in flight (the uplink's window); `dataClass` takes one
   * class only (the uplink's alert lane takes hits, its backlog lane reads).
   * Unreadable records are skipped (logged and counted), so one cannot stall the uplink.
   */
  async nextUploadBatch(limit: number, opts: UploadBatchOptions = {}): Promise<StoredRead[]> {
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIST_LIMIT) {
      throw new StoreError('STORE_BAD_QUERY', `nextUploadBatch(): limit must be an integer from 1 to ${MAX_LIST_LIMIT} (got ${limit})`, { file: this.file });
    }
    const { exclude, dataClass: only } = opts;
    if (only !== undefined && only !== 'hit' && only !== 'read') {
      throw new StoreError('STORE_BAD_QUERY', `nextUploadBatch(): dataClass must be 'hit' or 'read' (got ${JSON.stringify(only)})`, { file: this.file });
    }
    // One JSON parameter however many ids are excluded (no bound-variable limit to meet); the
    // excluded rows are filtered in SQL, so their payloads are never read.
    const excluded = exclude !== undefined && exclude.size > 0 ? JSON.stringify([...exclude]) : null;
    const batch: StoredRead[] = [];
    for (const dataClass of only === undefined ? (['hit', 'read'] as const) : [only]) {
      let afterSeq = 0;
      while (batch.length < limit) {
        const wanted = limit - batch.length;
        const rows = await this.selectRecords(
          `WHERE r.uploaded = 0 AND r.data_class = ? AND r.seq > ?${excluded === null ? '' : ' AND r.id NOT IN (SELECT value FROM json_each(?))'} ORDER BY r.seq LIMIT ?`,
          excluded === null ? [dataClass, afterSeq, wanted] : [dataClass, afterSeq, excluded, wanted],
          'choosing reads to upload',
          dataClass === 'hit',
        );
        batch.push(...this.decodeSkippingUnreadable(rows));
        if (rows.length < wanted) break;
        afterSeq = rows[rows.length - 1].seq;
      }
    }
    return batch;
  }

  /** Reads not yet acknowledged by central, held ones included: the uplink's queue depth. */
  pendingUploads(): Promise<number> {
    return this.countRecords('WHERE uploaded = 0', 'counting reads not yet uploaded');
  }

  /**
   * Marks reads acknowledged by central, durably: once this resolves the marks survive a crash.
   * Unknown ids (evicted or deleted meanwhile) are ignored. Returns how many were newly marked.
   */
  async markAcknowledged(ids: readonly string[]): Promise<number> {
    if (!Array.isArray(ids) || ids.length > MAX_BATCH || !ids.every((id) => typeof id === 'string')) {
      throw new StoreError('STORE_BAD_QUERY', `markAcknowledged(): ids must be a list of at most ${MAX_BATCH} strings`, { file: this.file });
    }
    if (ids.length === 0) return 0;
    try {
      return await this.transaction(async (db) => {
        let marked = 0;
        for (let i = 0; i < ids.length; i += 500) {
          const chunk = ids.slice(i, i + 500);
          const result = await run(db, `UPDATE records SET uploaded = 1 WHERE uploaded = 0 AND id IN (${chunk.map(() => '?').join(',')})`, chunk);
          marked += result.changes;
        }
        return marked;
      });
    } catch (err) {
      throw writeError(this.file, `marking ${ids.length} reads acknowledged`, err);
    }
  }

  count(): Promise<number> {
    return this.countRecords('', 'counting reads');
  }

  /** Records matching a fixed WHERE clause (no parameters), in the serial queue. */
  private countRecords(where: string, doing: string): Promise<number> {
    return this.serial(async () => {
      try {
        return (await get<{ n: number }>(this.handle(), `SELECT COUNT(*) AS n FROM records ${where}`))?.n ?? 0;
      } catch (err) {
        throw readError(this.file, doing, err);
      }
    });
  }

  async stats(): Promise<ReadStoreStats> {
    return this.serial(async () => {
      const db = this.handle();
      try {
        const groups = await all<{ data_class: DataClass; held: number; uploaded: number; n: number; bytes: number; oldest: number; newest: number }>(
          db,
          'SELECT data_class, held, uploaded, COUNT(*) AS n, SUM(bytes) AS bytes, MIN(first_seen) AS oldest, MAX(first_seen) AS newest FROM records GROUP BY data_class, held, uploaded',
        );
        const byClassAndState: ClassStateStats[] = groups.map((g) => ({
          dataClass: g.data_class,
          state: g.held === 1 ? 'held' : g.uploaded === 1 ? 'uploaded' : 'pending',
          records: g.n,
          bytes: g.bytes,
        }));
        const counters = new Map((await all<{ name: string; value: number }>(db, 'SELECT name, value FROM counters')).map((c) => [c.name, c.value]));
        const totals: StoreTotals = {
          inserted: counters.get('inserted') ?? 0,
          evictedExpired: counters.get('evicted_expired') ?? 0,
          evictedAcknowledged: counters.get('evicted_acknowledged') ?? 0,
          lostNotUploaded: counters.get('lost_not_uploaded') ?? 0,
          purged: counters.get('purged') ?? 0,
          deleted: counters.get('deleted') ?? 0,
          corrected: counters.get('corrected') ?? 0,
          keysDestroyed: counters.get('keys_destroyed') ?? 0,
        };
        const use = await this.poolUsage(db);
        const dataKeys = (await get<{ n: number }>(db, 'SELECT COUNT(*) AS n FROM data_keys'))?.n ?? 0;
        return {
          reads: groups.reduce((s, g) => s + g.n, 0),
          bytes: groups.reduce((s, g) => s + g.bytes, 0),
          oldest: groups.length === 0 ? null : Math.min(...groups.map((g) => g.oldest)),
          newest: groups.length === 0 ? null : Math.max(...groups.map((g) => g.newest)),
          byClassAndState,
          pools: {
            ring: { ...use.ring, quotaBytes: this.quotas.ringBytes },
            protected: { ...use.protected, quotaBytes: this.quotas.protectedBytes },
          },
          totals,
          dataKeys,
          brokenDataKeys: this.keys.brokenCount,
          fileBytes: sizeOf(this.file),
          walBytes: sizeOf(`${this.file}-wal`),
          unreadableSkipped: this.unreadableSkipped,
        };
      } catch (err) {
        throw readError(this.file, 'reading store statistics', err);
      }
    });
  }

  /** SQLite's full integrity check, now (the crash tests run it after every kill). */
  async checkIntegrity(): Promise<void> {
    await this.serial(() => checkIntact(this.handle(), this.file, 'full'));
  }

  /** Closes the file and forgets the keys; later calls fail with STORE_CLOSED. Closing twice is harmless. */
  async close(): Promise<void> {
    await this.operations.idle();
    const db = this.db;
    if (db === null) return;
    this.db = null;
    this.keys.clear();
    try {
      await closeDatabase(db);
    } catch (err) {
      throw new StoreError('STORE_WRITE_FAILED', `closing read store ${this.file} failed: ${(err as Error).message}`, { file: this.file, cause: err });
    }
    this.log.info({ file: this.file }, 'read store closed');
  }

  /**
   * @internal Runs `fn` in a write transaction (BEGIN IMMEDIATE: other processes wait, not fail
   * halfway), after every earlier operation on this store.
   */
  transaction<T>(fn: (db: Database) => Promise<T>, urgent = false): Promise<T> {
    return this.serial(() => this.transactionNow(fn), urgent);
  }

  /** @internal A write transaction now: only inside serial(), for a job that runs several in a row. */
  async transactionNow<T>(fn: (db: Database) => Promise<T>): Promise<T> {
    const db = this.handle();
    await exec(db, 'BEGIN IMMEDIATE');
    try {
      const result = await fn(db);
      await exec(db, 'COMMIT');
      this.keys.committed();
      return result;
    } catch (err) {
      await exec(db, 'ROLLBACK').catch(() => undefined);
      this.keys.rolledBack();
      throw err;
    }
  }

  /** @internal A write transaction with secure_delete on: replaced and deleted bytes are zeroed, freed pages too. */
  secureTransaction<T>(fn: (db: Database) => Promise<T>, queued = true): Promise<T> {
    const body = async (db: Database) => {
      await exec(db, 'PRAGMA secure_delete = ON');
      try {
        return await fn(db);
      } finally {
        await exec(db, 'PRAGMA secure_delete = FAST');
      }
    };
    return queued ? this.transaction(body) : this.transactionNow(body);
  }

  /** Destroys expired epochs' keys, deletes expired records (not held), truncates the WAL. See purge.ts. */
  purge(): Promise<PurgeResult> {
    this.handle();
    return purgeExpired(this);
  }

  /** Places an evidence hold (case number, reason, who). See record-actions.ts. */
  hold(id: string, request: HoldRequest): Promise<void> {
    return placeHold(this, id, request);
  }

  release(id: string, by: string): Promise<void> {
    return releaseHold(this, id, by);
  }

  /** Every hold the read has had, oldest first. */
  holds(id: string): Promise<HoldRecord[]> {
    return holdsOf(this, id);
  }

  /** Deletes a read captured against the rules; the plate is not kept. */
  delete(id: string, request: ActorAndReason): Promise<void> {
    return deleteRead(this, id, request);
  }

  /** Corrects a wrong read's plate; the recognizer's reading stays sealed beside it. */
  correct(id: string, plate: string, request: ActorAndReason): Promise<void> {
    return correctRead(this, id, plate, request);
  }

  /**
   * @internal Runs `fn` after every earlier operation on this store has finished; an `urgent`
   * one (an alert's write, its fetch for upload) after the running one only.
   */
  serial<T>(fn: () => Promise<T>, urgent = false): Promise<T> {
    return this.operations.run(fn, urgent);
  }

  /** @internal */
  handle(): Database {
    if (this.db === null) throw new StoreError('STORE_CLOSED', `read store ${this.file} is closed`, { file: this.file });
    return this.db;
  }

  private checkQuery(query: ReadQuery): { since?: number; until?: number; limit: number; dataClass?: DataClass } {
    const bad = (message: string) => new StoreError('STORE_BAD_QUERY', `list(): ${message}`, { file: this.file });
    const { since, until, limit, dataClass } = query;
    if (dataClass !== undefined && !DATA_CLASSES.includes(dataClass)) throw bad(`dataClass must be ${DATA_CLASSES.map((c) => `'${c}'`).join(' or ')} (got ${JSON.stringify(dataClass)})`);
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIST_LIMIT) {
      throw bad(`limit must be an integer from 1 to ${MAX_LIST_LIMIT} (got ${limit})`);
    }
    for (const [name, value] of [['since', since], ['until', until]] as const) {
      if (value !== undefined && !Number.isSafeInteger(value)) throw bad(`${name} must be a time in integer ms (got ${value})`);
    }
    return { since, until, limit, dataClass };
  }

  /**
   * Records with their sealed payloads (`tail`: WHERE, ORDER BY, LIMIT), with the keys to open
   * them loaded, including keys another process made since (a hold placed from the CLI).
   */
  private selectRecords(tail: string, params: SqlValue[], doing: string, urgent = false): Promise<RecordRow[]> {
    return this.serial(async () => {
      try {
        const rows = await all<RecordRow>(this.handle(), `SELECT ${RECORD_COLUMNS} FROM ${RECORD_FROM} ${tail}`, params);
        await this.keys.loadMissing(rows.map((r) => r.key_id));
        return rows;
      } catch (err) {
        throw readError(this.file, doing, err);
      }
    }, urgent);
  }

  private decodeSkippingUnreadable(rows: readonly RecordRow[]): StoredRead[] {
    const reads: StoredRead[] = [];
    for (const row of rows) {
      try {
        reads.push(this.decode(row));
      } catch (err) {
        if (!(err instanceof StoreError && err.code === 'STORE_RECORD_UNREADABLE')) throw err;
        this.unreadableSkipped++;
        this.log.error({ file: this.file, id: row.id, err: err.message }, 'skipping unreadable read');
      }
    }
    return reads;
  }

  /** @internal Opens a row's payload. @throws StoreError STORE_RECORD_UNREADABLE naming the record and why. */
  openPayload(row: Pick<RecordRow, 'id' | 'data_class' | 'epoch' | 'key_id' | 'sealed'>): Buffer {
    try {
      return openRecord(this.keys.key(row.key_id), { id: row.id, dataClass: row.data_class, epoch: row.epoch }, row.sealed);
    } catch (err) {
      throw this.unreadable(row.id, err);
    }
  }

  /** @internal */
  decode(row: RecordRow): StoredRead {
    const payload = this.openPayload(row);
    try {
      return storedRead(row, payload);
    } catch (err) {
      throw this.unreadable(row.id, err);
    }
  }

  private unreadable(id: string, err: unknown): StoreError {
    return new StoreError('STORE_RECORD_UNREADABLE', `read ${id} in ${this.file} cannot be read: ${(err as Error).message}`, {
      file: this.file,
      recordId: id,
      cause: err,
    });
  }
}

function sizeOf(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

/**
 * Loads the KEK and compares it with the check value the store recorded, before anything is
 * written: a wrong key changes nothing. A key file is created only for a store with no keys yet.
 */
async function checkKek(db: Database, file: string, given: KeyEncryptionKey | undefined, keyFile: string, log: Logger): Promise<KeyEncryptionKey> {
  const version = await schemaVersion(db);
  const expected = version >= 2 ? await storedCheckValue(db) : null;
  const kek = given ?? FileKeyEncryptionKey.load(keyFile, { create: expected === null, log });
  if (expected !== null && !checkValuesEqual(expected, kek.checkValue())) {
    throw new StoreError(
      'STORE_WRONG_KEY',
      `read store ${file} was sealed under another key-encryption key than ${kek.location}; refusing to open it (nothing was changed). Restore the device's own key file.`,
      { file },
    );
  }
  return kek;
}

async function storeCheckValueOnce(db: Database, kek: KeyEncryptionKey): Promise<void> {
  if ((await storedCheckValue(db)) === null) {
    await run(db, "INSERT INTO store_meta (name, value) VALUES ('kek_check', ?)", [kek.checkValue()]);
  }
}
