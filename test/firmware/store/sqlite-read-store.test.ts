import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import { chmodSync, closeSync, mkdtempSync, openSync, readdirSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { OPEN_READWRITE } from 'sqlite3';
import type { Read } from '../../../firmware/pipeline/read';
import { MAX_LIST_LIMIT, readCursor } from '../../../firmware/store/read-store';
import { all, closeDatabase, get, openDatabase, run } from '../../../firmware/store/sqlite-async';
import { READS_FILE, SqliteReadStore } from '../../../firmware/store/sqlite-read-store';
import { StoreError, type StoreErrorCode } from '../../../firmware/store/store-error';
import { fixtureRead } from './read-fixtures';

async function rejectsWith(promise: Promise<unknown>, code: StoreErrorCode, ...mentions: string[]): Promise<StoreError> {
  let caught: unknown;
  try {
    await promise;
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof StoreError, `expected a StoreError ${code}, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  for (const text of mentions) assert.ok(caught.message.includes(text), `"${caught.message}" should mention "${text}"`);
  return caught;
}

/** Runs `fn` on a second, raw connection to the store's file, the way an outside tool would. */
async function withRawDb<T>(file: string, fn: (db: import('sqlite3').Database) => Promise<T>): Promise<T> {
  const db = await openDatabase(file, OPEN_READWRITE);
  try {
    return await fn(db);
  } finally {
    await closeDatabase(db);
  }
}

describe('SqliteReadStore', () => {
  let dir: string;
  let dataDir: string;
  let file: string;
  const open: SqliteReadStore[] = [];

  async function openStore(opts?: Parameters<typeof SqliteReadStore.open>[1]): Promise<SqliteReadStore> {
    const store = await SqliteReadStore.open(dataDir, opts);
    open.push(store);
    return store;
  }

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'sightline-store-'));
    dataDir = path.join(dir, 'data');
    file = path.join(dataDir, READS_FILE);
  });

  afterEach(async () => {
    for (const store of open.splice(0)) await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('round-trips every field of a read, crop bytes and quad included', async () => {
    const store = await openStore();
    const reads = [fixtureRead(1), fixtureRead(3), { ...fixtureRead(4), alternatives: [], crop: Buffer.alloc(0) }];
    for (const read of reads) await store.put(read);
    for (const read of reads) assert.deepEqual(await store.get(read.id), read);
    assert.equal(await store.get('no-such-id'), null);
  });

  it('keeps reads across close and reopen', async () => {
    const first = await openStore();
    for (let i = 0; i < 5; i++) await first.put(fixtureRead(i));
    await first.close();

    const second = await openStore();
    assert.equal(await second.count(), 5);
    for (let i = 0; i < 5; i++) assert.deepEqual(await second.get(fixtureRead(i).id), fixtureRead(i));
  });

  it('keeps reads a child process stored before it was killed without closing', async () => {
    const child = fork(path.join(__dirname, 'fixtures', 'put-reads-child.js'), [dataDir, '7'], { stdio: 'pipe' });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const reply = await new Promise<unknown>((resolve, reject) => {
      child.once('message', resolve);
      child.once('exit', (code) => reject(new Error(`child exited (${code}) before storing: ${stderr}`)));
    });
    assert.deepEqual(reply, { stored: 7 });
    const exited = new Promise((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
    child.kill('SIGKILL');
    assert.equal(await exited, 'SIGKILL');

    const store = await openStore();
    assert.equal(await store.count(), 7);
    for (let i = 0; i < 7; i++) assert.deepEqual(await store.get(fixtureRead(i).id), fixtureRead(i));
  });

  it('lists newest first, pages with a cursor, and filters by time', async () => {
    const store = await openStore();
    const reads: Read[] = [];
    // Pairs share a firstSeen, so the id tie-break is exercised across page boundaries.
    for (let i = 0; i < 25; i++) reads.push(fixtureRead(i, { firstSeen: 1_000_000 + Math.floor(i / 2) * 1000 }));
    for (const read of [...reads].reverse()) await store.put(read);

    const expected = [...reads].sort((a, b) => b.firstSeen - a.firstSeen || (a.id < b.id ? 1 : -1));
    const paged: Read[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await store.list({ limit: 7, after });
      assert.ok(page.length <= 7);
      paged.push(...page);
      if (page.length < 7) break;
      after = readCursor(page[page.length - 1]);
    }
    assert.deepEqual(paged.map((r) => r.id), expected.map((r) => r.id));
    assert.deepEqual(paged[0], expected[0]);

    const window = await store.list({ since: 1_003_000, until: 1_006_000, limit: 100 });
    assert.deepEqual(
      window.map((r) => r.id),
      expected.filter((r) => r.firstSeen >= 1_003_000 && r.firstSeen < 1_006_000).map((r) => r.id),
    );
    assert.equal(window.length, 6);
    assert.deepEqual(await store.list({ since: 2_000_000, limit: 10 }), []);
  });

  it('refuses unbounded or malformed queries', async () => {
    const store = await openStore();
    await rejectsWith(store.list({ limit: 0 }), 'STORE_BAD_QUERY', 'limit');
    await rejectsWith(store.list({ limit: MAX_LIST_LIMIT + 1 }), 'STORE_BAD_QUERY', String(MAX_LIST_LIMIT));
    await rejectsWith(store.list({ limit: 2.5 }), 'STORE_BAD_QUERY', 'limit');
    await rejectsWith(store.list({ limit: 10, since: Number.NaN }), 'STORE_BAD_QUERY', 'since');
    await rejectsWith(store.list({ limit: 10, after: 'not a cursor' }), 'STORE_BAD_QUERY', 'cursor');
  });

  it('counts and reports stats', async () => {
    const store = await openStore();
    assert.deepEqual(await store.stats(), { reads: 0, bytes: 0, oldest: null, newest: null, unreadableSkipped: 0 });
    const reads = [fixtureRead(2), fixtureRead(9), fixtureRead(5)];
    for (const read of reads) await store.put(read);

    assert.equal(await store.count(), 3);
    const stats = await store.stats();
    assert.equal(stats.reads, 3);
    assert.equal(stats.oldest, fixtureRead(2).firstSeen);
    assert.equal(stats.newest, fixtureRead(9).firstSeen);
    const sealed = await withRawDb(file, (db) => all<{ n: number }>(db, 'SELECT length(payload) AS n FROM reads'));
    assert.equal(stats.bytes, sealed.reduce((sum, row) => sum + row.n, 0));
    assert.ok(stats.bytes > reads.reduce((sum, r) => sum + r.crop.length, 0), 'payload bytes include the crops');
  });

  it('refuses a second read with an id already stored, keeping the first', async () => {
    const store = await openStore();
    const read = fixtureRead(1);
    await store.put(read);
    const err = await rejectsWith(store.put({ ...read, plate: 'OTHER1' }), 'STORE_DUPLICATE_ID', read.id, file);
    assert.equal(err.recordId, read.id);
    assert.deepEqual(await store.get(read.id), read);
    assert.equal(await store.count(), 1);
  });

  it('refuses a read that breaks the Read contract before writing anything', async () => {
    const store = await openStore();
    await rejectsWith(store.put({ ...fixtureRead(1), confidence: 1.5 }), 'STORE_INVALID_RECORD', 'confidence');
    await rejectsWith(store.put({ ...fixtureRead(2), lastSeen: fixtureRead(2).firstSeen - 1 }), 'STORE_INVALID_RECORD', 'lastSeen');
    await rejectsWith(store.put({ ...fixtureRead(3), id: '' }), 'STORE_INVALID_RECORD', 'id');
    assert.equal(await store.count(), 0);
  });

  it('refuses a damaged database file, naming it', async () => {
    const store = await openStore();
    for (let i = 0; i < 200; i++) await store.put(fixtureRead(i));
    await store.close();

    // Four whole pages of garbage in the middle of the file the test just wrote.
    const pageSize = 4096;
    const middle = Math.floor(statSync(file).size / pageSize / 2) * pageSize;
    const fd = openSync(file, 'r+');
    writeSync(fd, Buffer.alloc(4 * pageSize, 0xa5), 0, 4 * pageSize, middle);
    closeSync(fd);

    const err = await rejectsWith(SqliteReadStore.open(dataDir), 'STORE_CORRUPT', file);
    assert.equal(err.file, file);
  });

  it('refuses a file that is not a database at all', async () => {
    const store = await openStore();
    await store.close();
    writeFileSync(file, Buffer.alloc(8192, 0x41));
    await rejectsWith(SqliteReadStore.open(dataDir), 'STORE_CORRUPT', file);
  });

  it('reports a record whose payload was altered as unreadable, naming it, and still reads the others', async () => {
    const store = await openStore();
    for (let i = 0; i < 4; i++) await store.put(fixtureRead(i));
    const damaged = fixtureRead(2).id;

    await withRawDb(file, async (db) => {
      const row = await get<{ payload: Buffer }>(db, 'SELECT payload FROM reads WHERE id = ?', [damaged]);
      assert.ok(row);
      const payload = Buffer.from(row.payload);
      payload[Math.floor(payload.length / 2)] ^= 0x01;
      await run(db, 'UPDATE reads SET payload = ? WHERE id = ?', [payload, damaged]);
    });

    const err = await rejectsWith(store.get(damaged), 'STORE_RECORD_UNREADABLE', damaged, file);
    assert.equal(err.recordId, damaged);
    for (const i of [0, 1, 3]) assert.deepEqual(await store.get(fixtureRead(i).id), fixtureRead(i));

    const listed = await store.list({ limit: 2 });
    assert.deepEqual(listed.map((r) => r.id), [fixtureRead(3).id, fixtureRead(1).id], 'the page is filled past the skipped record');
    assert.equal((await store.stats()).unreadableSkipped, 1);
    assert.equal(await store.count(), 4, 'the damaged record is kept, not deleted');
  });

  it('detects a payload moved onto another record', async () => {
    const store = await openStore();
    await store.put(fixtureRead(1));
    await store.put(fixtureRead(2));
    await withRawDb(file, (db) =>
      run(db, 'UPDATE reads SET payload = (SELECT payload FROM reads WHERE id = ?) WHERE id = ?', [fixtureRead(1).id, fixtureRead(2).id]),
    );
    await rejectsWith(store.get(fixtureRead(2).id), 'STORE_RECORD_UNREADABLE', fixtureRead(2).id);
    assert.deepEqual(await store.get(fixtureRead(1).id), fixtureRead(1));
  });

  it('creates a private directory and file (0700, 0600)', async () => {
    const store = await openStore();
    await store.put(fixtureRead(1));
    assert.equal(statSync(dataDir).mode & 0o777, 0o700);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    // SQLite gives its WAL and shared-memory files the database file's mode.
    for (const name of readdirSync(dataDir)) assert.equal(statSync(path.join(dataDir, name)).mode & 0o777, 0o600, name);
  });

  it('makes an existing file readable by others private', async () => {
    const store = await openStore();
    await store.close();
    chmodSync(file, 0o644);
    await openStore();
    assert.equal(statSync(file).mode & 0o777, 0o600);
  });

  it('keeps the plate text out of the clear columns and records the schema version', async () => {
    const store = await openStore();
    await store.put(fixtureRead(1));
    const { columns, version, journal } = await withRawDb(file, async (db) => ({
      columns: (await all<{ name: string }>(db, 'PRAGMA table_info(reads)')).map((c) => c.name),
      version: (await get<{ user_version: number }>(db, 'PRAGMA user_version'))?.user_version,
      journal: (await get<{ journal_mode: string }>(db, 'PRAGMA journal_mode'))?.journal_mode,
    }));
    assert.deepEqual(columns.sort(), [
      'confidence', 'created_at', 'first_seen', 'format', 'frame_count', 'id', 'last_seen', 'payload', 'payload_size', 'seq', 'source_id',
    ]);
    assert.equal(version, 1);
    assert.equal(journal, 'wal');
  });

  it('refuses a file written by a newer schema', async () => {
    const store = await openStore();
    await store.close();
    await withRawDb(file, (db) => run(db, 'PRAGMA user_version = 99'));
    await rejectsWith(SqliteReadStore.open(dataDir), 'STORE_OPEN_FAILED', file, '99');
  });

  it('fails a write past the size cap as a full disk, naming the file, and keeps what was stored', async () => {
    const store = await openStore({ maxFileBytes: 256 * 1024 });
    let stored = 0;
    let failure: unknown;
    for (let i = 0; i < 100 && failure === undefined; i++) {
      try {
        await store.put(fixtureRead(i, { cropBytes: 20_000 }));
        stored++;
      } catch (err) {
        failure = err;
      }
    }
    assert.ok(failure instanceof StoreError, `expected the cap to be hit, stored ${stored}`);
    assert.equal(failure.code, 'STORE_WRITE_FAILED');
    assert.ok(failure.message.includes(file) && failure.message.includes('full'), failure.message);
    assert.ok(stored > 0);
    assert.equal(await store.count(), stored);
    assert.deepEqual(await store.get(fixtureRead(0).id), fixtureRead(0, { cropBytes: 20_000 }));
  });

  it('names the path when the data directory cannot be created', async () => {
    writeFileSync(path.join(dir, 'blocker'), 'a file where the directory should be');
    await rejectsWith(SqliteReadStore.open(path.join(dir, 'blocker', 'data')), 'STORE_OPEN_FAILED', path.join(dir, 'blocker'));
  });

  it('refuses use after close', async () => {
    const store = await openStore();
    await store.close();
    await rejectsWith(store.put(fixtureRead(1)), 'STORE_CLOSED');
    await rejectsWith(store.count(), 'STORE_CLOSED');
    await store.close();
  });
});
