import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import { chmodSync, closeSync, openSync, readdirSync, statSync, writeFileSync, writeSync } from 'node:fs';
import * as path from 'node:path';
import type { Read } from '../../../firmware/pipeline/read';
import { MAX_LIST_LIMIT, readCursor, type StoredRead } from '../../../firmware/store/read-store';
import { readOf } from '../../../firmware/store/record-row';
import { all, get, run } from '../../../firmware/store/sqlite-async';
import { KEK_FILE, SqliteReadStore } from '../../../firmware/store/sqlite-read-store';
import { StoreError } from '../../../firmware/store/store-error';
import { fixtureRead } from './read-fixtures';
import { rejectsWith, useStoreHarness, withRawDb } from './store-harness';

function plain(stored: StoredRead | null): Read | null {
  return stored === null ? null : readOf(stored);
}

describe('SqliteReadStore', () => {
  const h = useStoreHarness();
  const openStore = (opts?: Parameters<typeof h.open>[0]) => h.open(opts);

  it('round-trips every field of a read, crop bytes and quad included', async () => {
    const store = await openStore();
    const reads = [fixtureRead(1), fixtureRead(3), { ...fixtureRead(4), alternatives: [], crop: Buffer.alloc(0) }];
    for (const read of reads) await store.put(read);
    for (const read of reads) assert.deepEqual(plain(await store.get(read.id)), read);
    assert.equal(await store.get('no-such-id'), null);
  });

  it('keeps reads across close and reopen', async () => {
    const first = await openStore();
    for (let i = 0; i < 5; i++) await first.put(fixtureRead(i));
    await first.close();

    const second = await openStore();
    assert.equal(await second.count(), 5);
    for (let i = 0; i < 5; i++) assert.deepEqual(plain(await second.get(fixtureRead(i).id)), fixtureRead(i));
  });

  it('keeps reads a child process stored before it was killed without closing', async () => {
    const child = fork(path.join(__dirname, 'fixtures', 'put-reads-child.js'), [h.dataDir, '7'], { stdio: 'pipe' });
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
    for (let i = 0; i < 7; i++) assert.deepEqual(plain(await store.get(fixtureRead(i).id)), fixtureRead(i));
  });

  it('lists newest first, pages with a cursor, and filters by time', async () => {
    const store = await openStore();
    const reads: Read[] = [];
    // Pairs share a firstSeen, so the id tie-break is exercised across page boundaries.
    for (let i = 0; i < 25; i++) reads.push(fixtureRead(i, { firstSeen: 1_000_000 + Math.floor(i / 2) * 1000 }));
    for (const read of [...reads].reverse()) await store.put(read);

    const expected = [...reads].sort((a, b) => b.firstSeen - a.firstSeen || (a.id < b.id ? 1 : -1));
    const paged: StoredRead[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await store.list({ limit: 7, after });
      assert.ok(page.length <= 7);
      paged.push(...page);
      if (page.length < 7) break;
      after = readCursor(page[page.length - 1]);
    }
    assert.deepEqual(paged.map((r) => r.id), expected.map((r) => r.id));
    assert.deepEqual(plain(paged[0]), expected[0]);

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

  it('counts and reports stats per class and state, pool use and totals', async () => {
    const store = await openStore();
    const empty = await store.stats();
    assert.deepEqual([empty.reads, empty.bytes, empty.oldest, empty.newest, empty.byClassAndState.length], [0, 0, null, null, 0]);
    const reads = [fixtureRead(2), fixtureRead(9), fixtureRead(5)];
    for (const read of reads) await store.put(read);
    await store.putMany([fixtureRead(20)], 'hit');
    await store.markAcknowledged([fixtureRead(9).id]);

    assert.equal(await store.count(), 4);
    const stats = await store.stats();
    assert.equal(stats.reads, 4);
    assert.equal(stats.oldest, fixtureRead(2).firstSeen);
    assert.equal(stats.newest, fixtureRead(20).firstSeen);
    const states = stats.byClassAndState.map((g) => `${g.dataClass}/${g.state}:${g.records}`).sort();
    assert.deepEqual(states, ['hit/pending:1', 'read/pending:2', 'read/uploaded:1']);
    const sealed = await withRawDb(h.file, (db) => all<{ n: number }>(db, 'SELECT length(sealed) AS n FROM payloads'));
    assert.equal(sealed.length, 4);
    assert.ok(stats.bytes > sealed.reduce((sum, row) => sum + row.n, 0), 'quota bytes are the sealed payloads plus row overhead');
    assert.equal(stats.pools.ring.records, 3);
    assert.equal(stats.pools.protected.records, 1);
    assert.equal(stats.pools.ring.bytes + stats.pools.protected.bytes, stats.bytes);
    assert.equal(stats.totals.inserted, 4);
    assert.equal(stats.dataKeys, 2, 'one key for the reads epoch, one for the hits epoch');
    assert.ok(stats.fileBytes > 0);
  });

  it('refuses a second read with an id already stored, keeping the first', async () => {
    const store = await openStore();
    const read = fixtureRead(1);
    await store.put(read);
    const err = await rejectsWith(store.put({ ...read, plate: 'OTHER1' }), 'STORE_DUPLICATE_ID', read.id, h.file);
    assert.equal(err.recordId, read.id);
    assert.deepEqual(plain(await store.get(read.id)), read);
    await rejectsWith(store.putMany([fixtureRead(2), fixtureRead(2)]), 'STORE_INVALID_RECORD', 'twice');
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
    const pageSize = 65536;
    const middle = Math.floor(statSync(h.file).size / pageSize / 2) * pageSize;
    const fd = openSync(h.file, 'r+');
    writeSync(fd, Buffer.alloc(4 * pageSize, 0xa5), 0, 4 * pageSize, middle);
    closeSync(fd);

    const err = await rejectsWith(SqliteReadStore.open(h.dataDir), 'STORE_CORRUPT', h.file);
    assert.equal(err.file, h.file);
  });

  it('refuses a file that is not a database at all', async () => {
    const store = await openStore();
    await store.close();
    writeFileSync(h.file, Buffer.alloc(8192, 0x41));
    await rejectsWith(SqliteReadStore.open(h.dataDir), 'STORE_CORRUPT', h.file);
  });

  it('reports a record whose ciphertext has one flipped byte as unreadable, naming it and why, and still reads the others', async () => {
    const store = await openStore();
    for (let i = 0; i < 4; i++) await store.put(fixtureRead(i));
    const damaged = fixtureRead(2).id;

    await withRawDb(h.file, async (db) => {
      const row = await get<{ seq: number; sealed: Buffer }>(db, 'SELECT p.seq, p.sealed FROM payloads p JOIN records r ON r.seq = p.seq WHERE r.id = ?', [damaged]);
      assert.ok(row);
      const sealed = Buffer.from(row.sealed);
      sealed[Math.floor(sealed.length / 2)] ^= 0x01;
      await run(db, 'UPDATE payloads SET sealed = ? WHERE seq = ?', [sealed, row.seq]);
    });

    const err = await rejectsWith(store.get(damaged), 'STORE_RECORD_UNREADABLE', damaged, h.file, 'authentication failed');
    assert.equal(err.recordId, damaged);
    for (const i of [0, 1, 3]) assert.deepEqual(plain(await store.get(fixtureRead(i).id)), fixtureRead(i));

    const listed = await store.list({ limit: 2 });
    assert.deepEqual(listed.map((r) => r.id), [fixtureRead(3).id, fixtureRead(1).id], 'the page is filled past the skipped record');
    assert.equal((await store.stats()).unreadableSkipped, 1);
    assert.equal(await store.count(), 4, 'the damaged record is kept, not deleted');
    await store.put(fixtureRead(9));
    assert.deepEqual(plain(await store.get(fixtureRead(9).id)), fixtureRead(9), 'the store keeps working');
  });

  it('refuses ciphertext copied onto another record, or moved to another epoch', async () => {
    const store = await openStore();
    await store.put(fixtureRead(1));
    await store.put(fixtureRead(2));
    const [one, two] = [fixtureRead(1).id, fixtureRead(2).id];
    await withRawDb(h.file, (db) =>
      run(db, 'UPDATE payloads SET sealed = (SELECT sealed FROM payloads WHERE seq = (SELECT seq FROM records WHERE id = ?)) WHERE seq = (SELECT seq FROM records WHERE id = ?)', [one, two]),
    );
    await rejectsWith(store.get(two), 'STORE_RECORD_UNREADABLE', two, 'authentication failed');
    assert.deepEqual(plain(await store.get(one)), fixtureRead(1));

    await withRawDb(h.file, (db) => run(db, 'UPDATE records SET epoch = epoch + 1 WHERE id = ?', [one]));
    await rejectsWith(store.get(one), 'STORE_RECORD_UNREADABLE', one, 'epoch');
  });

  it('creates a private directory and file (0700, 0600)', async () => {
    const store = await openStore();
    await store.put(fixtureRead(1));
    assert.equal(statSync(h.dataDir).mode & 0o777, 0o700);
    assert.equal(statSync(h.file).mode & 0o777, 0o600);
    assert.equal(statSync(path.join(h.dataDir, KEK_FILE)).size, 32);
    // SQLite gives its WAL and shared-memory files the database file's mode; the key file is 0600 too.
    for (const name of readdirSync(h.dataDir)) assert.equal(statSync(path.join(h.dataDir, name)).mode & 0o777, 0o600, name);
  });

  it('makes an existing file readable by others private', async () => {
    const store = await openStore();
    await store.close();
    chmodSync(h.file, 0o644);
    chmodSync(path.join(h.dataDir, KEK_FILE), 0o644);
    await openStore();
    assert.equal(statSync(h.file).mode & 0o777, 0o600);
    assert.equal(statSync(path.join(h.dataDir, KEK_FILE)).mode & 0o777, 0o600);
  });

  it('keeps the plate text out of the clear columns and records the schema version', async () => {
    const store = await openStore();
    await store.put(fixtureRead(1));
    const { columns, version, journal } = await withRawDb(h.file, async (db) => ({
      columns: (await all<{ name: string }>(db, 'PRAGMA table_info(records)')).map((c) => c.name),
      version: (await get<{ user_version: number }>(db, 'PRAGMA user_version'))?.user_version,
      journal: (await get<{ journal_mode: string }>(db, 'PRAGMA journal_mode'))?.journal_mode,
    }));
    assert.deepEqual(columns.sort(), [
      'bytes', 'confidence', 'corrected', 'created_at', 'data_class', 'epoch', 'expires_at', 'first_seen', 'format', 'frame_count', 'held', 'id', 'key_id',
      'last_seen', 'seq', 'source_id', 'uploaded',
    ]);
    assert.equal(version, 2);
    assert.equal(journal, 'wal');
  });

  it('refuses a file written by a newer schema', async () => {
    const store = await openStore();
    await store.close();
    await withRawDb(h.file, (db) => run(db, 'PRAGMA user_version = 99'));
    await rejectsWith(SqliteReadStore.open(h.dataDir), 'STORE_OPEN_FAILED', h.file, '99');
  });

  it('fails a write past the size cap as a full disk, naming the file, keeps what was stored, then evicts to make room', async () => {
    const store = await openStore({ maxFileBytes: 2 * 1024 * 1024 });
    let stored = 0;
    let failure: unknown;
    for (let i = 0; i < 400 && failure === undefined; i++) {
      try {
        await store.put(fixtureRead(i, { cropBytes: 20_000 }));
        stored++;
      } catch (err) {
        failure = err;
      }
    }
    assert.ok(failure instanceof StoreError, `expected the cap to be hit, stored ${stored}`);
    assert.equal(failure.code, 'STORE_DISK_FULL');
    assert.ok(failure.message.includes(h.file) && failure.message.includes('full'), failure.message);
    assert.ok(stored > 10);
    // Nothing stored is damaged: each read is there, or was evicted oldest first to make room and counted.
    const lost = (await store.stats()).totals.lostNotUploaded;
    assert.equal(await store.count(), stored - lost);
    await store.checkIntegrity();
    assert.deepEqual(plain(await store.get(fixtureRead(lost, { cropBytes: 20_000 }).id)), fixtureRead(lost, { cropBytes: 20_000 }));
    assert.deepEqual(plain(await store.get(fixtureRead(stored - 1, { cropBytes: 20_000 }).id)), fixtureRead(stored - 1, { cropBytes: 20_000 }));

    // The ring now aims below what the disk holds: the next writes evict the oldest and succeed.
    for (let i = 1000; i < 1020; i++) await store.put(fixtureRead(i, { cropBytes: 20_000 }));
    assert.deepEqual(plain(await store.get(fixtureRead(1019, { cropBytes: 20_000 }).id)), fixtureRead(1019, { cropBytes: 20_000 }));
    assert.equal(await store.get(fixtureRead(0).id), null, 'the oldest read made room');
    assert.ok((await store.stats()).totals.lostNotUploaded > 0, 'and its loss is counted');
  });

  it('names the path when the data directory cannot be created', async () => {
    writeFileSync(path.join(h.dir, 'blocker'), 'a file where the directory should be');
    await rejectsWith(SqliteReadStore.open(path.join(h.dir, 'blocker', 'data')), 'STORE_OPEN_FAILED', path.join(h.dir, 'blocker'));
  });

  it('refuses use after close', async () => {
    const store = await openStore();
    await store.close();
    await rejectsWith(store.put(fixtureRead(1)), 'STORE_CLOSED');
    await rejectsWith(store.count(), 'STORE_CLOSED');
    await store.close();
  });
});
