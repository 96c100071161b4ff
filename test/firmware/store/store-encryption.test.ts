import assert from 'node:assert/strict';
import { createDecipheriv, createHash } from 'node:crypto';
import { readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { inspect } from 'node:util';
import type { Logger } from '../../../drivers/log';
import { encodeReadPayload } from '../../../firmware/store/read-payload';
import { PlainCodec } from '../../../firmware/store/record-codec';
import { readOf } from '../../../firmware/store/record-row';
import { all, exec, run } from '../../../firmware/store/sqlite-async';
import { KEK_FILE, SqliteReadStore } from '../../../firmware/store/sqlite-read-store';
import { MIGRATIONS } from '../../../firmware/store/migrations';
import { fixtureRead } from './read-fixtures';
import { encodings, everyByte, rejectsWith, useStoreHarness, withRawDb } from './store-harness';

/** Every byte of every file in the directory, so a test can tell whether something was written. */
function snapshot(dir: string): Map<string, string> {
  return new Map(readdirSync(dir).map((name) => [name, createHash('sha256').update(readFileSync(path.join(dir, name))).digest('hex')]));
}

/** A logger that keeps every line it is given, as text. */
function recordingLogger(lines: string[]): Logger {
  const log = (level: string) => (obj: unknown, msg?: string) => lines.push(`${level} ${typeof obj === 'string' ? obj : JSON.stringify(obj)} ${msg ?? ''}`);
  const logger: Logger = { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error'), child: () => logger };
  return logger;
}

/** The store's data keys in clear, unwrapped here the way an attacker holding the KEK file would. */
async function unwrapDataKeys(file: string, kek: Buffer): Promise<Buffer[]> {
  const rows = await withRawDb(file, (db) =>
    all<{ kind: string; data_class: string; epoch: number; created_at: number; wrapped: Buffer }>(db, 'SELECT kind, data_class, epoch, created_at, wrapped FROM data_keys'),
  );
  return rows.map((row) => {
    const d = createDecipheriv('aes-256-gcm', kek, row.wrapped.subarray(0, 12));
    d.setAAD(Buffer.from(`sightline data key v1\0${row.kind}\0${row.data_class}\0${row.epoch}\0${row.created_at}`));
    d.setAuthTag(row.wrapped.subarray(44));
    return Buffer.concat([d.update(row.wrapped.subarray(12, 44)), d.final()]);
  });
}

describe('read store encryption at rest', () => {
  const h = useStoreHarness();

  it('writes no plate text, in any encoding, anywhere in the data directory', async () => {
    const store = await h.open();
    const read = { ...fixtureRead(1), plate: 'QZX7731', alternatives: [{ plate: 'QZX7781', confidence: 0.2 }] };
    await store.put(read);
    await store.close();
    const bytes = everyByte(h.dataDir);
    for (const needle of ['QZX7731', 'QZX7781', 'QZX773']) {
      for (const encoded of encodings(needle)) {
        assert.equal(bytes.indexOf(encoded), -1, `found ${needle} (${encoded.toString('hex')}) on disk`);
      }
    }
    assert.equal(bytes.indexOf(read.crop.subarray(0, 64)), -1, 'the crop is not on disk in clear');
  });

  it('refuses a wrong key-encryption key with a clear error, and changes nothing', async () => {
    const store = await h.open();
    for (let i = 0; i < 5; i++) await store.put(fixtureRead(i));
    await store.close();
    const kekFile = path.join(h.dataDir, KEK_FILE);
    const own = readFileSync(kekFile);
    writeFileSync(kekFile, Buffer.alloc(32, 7), { mode: 0o600 });
    const before = snapshot(h.dataDir);

    await rejectsWith(SqliteReadStore.open(h.dataDir), 'STORE_WRONG_KEY', h.file, kekFile, 'nothing was changed');
    assert.deepEqual(snapshot(h.dataDir), before, 'no file in the data directory changed');

    writeFileSync(kekFile, own);
    const reopened = await h.open();
    assert.deepEqual(readOf((await reopened.get(fixtureRead(3).id))!), fixtureRead(3));
  });

  it('refuses to open when the key file is missing or malformed, and never makes a new key for an existing store', async () => {
    const store = await h.open();
    await store.put(fixtureRead(1));
    await store.close();
    const kekFile = path.join(h.dataDir, KEK_FILE);
    renameSync(kekFile, `${kekFile}.away`);
    await rejectsWith(SqliteReadStore.open(h.dataDir), 'STORE_KEY_FAILED', kekFile, 'missing');
    assert.throws(() => statSync(kekFile), /ENOENT/, 'no new key file was made');
    writeFileSync(kekFile, 'not a key', { mode: 0o600 });
    await rejectsWith(SqliteReadStore.open(h.dataDir), 'STORE_KEY_FAILED', kekFile, '9 bytes');
  });

  it('keeps a record whose wrapped data key was damaged unreadable, naming the key, while other epochs work', async () => {
    const store = await h.open();
    await store.put(fixtureRead(1));
    await store.put(fixtureRead(2, { firstSeen: fixtureRead(1).firstSeen + 3 * 86_400_000 }));
    await store.close();
    await withRawDb(h.file, (db) => run(db, "UPDATE data_keys SET wrapped = zeroblob(60) WHERE key_id = (SELECT key_id FROM records WHERE id = ?)", [fixtureRead(1).id]));

    const lines: string[] = [];
    const reopened = await h.open({ log: recordingLogger(lines) });
    assert.ok(lines.some((l) => l.includes('data key fails to unwrap')), lines.join('\n'));
    await rejectsWith(reopened.get(fixtureRead(1).id), 'STORE_RECORD_UNREADABLE', fixtureRead(1).id, 'cannot be unwrapped');
    assert.equal((await reopened.get(fixtureRead(2).id))?.plate, fixtureRead(2).plate);
    assert.equal((await reopened.stats()).brokenDataKeys, 1);
  });

  it('never shows a data key or the key-encryption key in logs, errors or inspected objects', async () => {
    const lines: string[] = [];
    const store = await h.open({ log: recordingLogger(lines) });
    for (let i = 0; i < 3; i++) await store.put(fixtureRead(i));
    await store.putMany([fixtureRead(5)], 'hit');
    await store.hold(fixtureRead(1).id, { caseNumber: 'C-1', reason: 'evidence', by: 'tester' });
    const errors: string[] = [];
    const attempts = [() => store.hold(fixtureRead(1).id, { caseNumber: 'C-2', reason: 'again', by: 'tester' }), () => store.get(42 as unknown as string)];
    for (const attempt of attempts) await attempt().catch((err: Error) => errors.push(inspect(err, { depth: 10 }), String(err.stack)));
    h.clock += 400 * 86_400_000;
    await store.release(fixtureRead(1).id, 'tester');
    const kek = readFileSync(path.join(h.dataDir, KEK_FILE));
    const keys = await unwrapDataKeys(h.file, kek);
    assert.ok(keys.length >= 3, 'the test has real keys to look for');
    await store.purge();
    const text = [...lines, ...errors, inspect(store, { depth: 20, showHidden: true }), JSON.stringify(await store.stats())].join('\n');
    for (const key of [kek, ...keys]) {
      for (const form of [key.toString('hex'), key.toString('base64'), key.toString('base64url'), key.toString('latin1')]) {
        assert.ok(!text.includes(form), 'a key appears in the output');
      }
    }
    assert.ok(errors.length >= 2 && lines.length > 3, 'the test saw errors and log lines');
  });

  it('seals the clear payloads of a schema 1 store on upgrade and leaves no clear plate behind', async () => {
    // A store as schema 1 wrote it: the reads table with payloads in clear under a CRC-32.
    const { mkdirSync } = await import('node:fs');
    mkdirSync(h.dataDir, { recursive: true, mode: 0o700 });
    const { openDatabase, closeDatabase } = await import('../../../firmware/store/sqlite-async');
    const { OPEN_CREATE, OPEN_READWRITE } = await import('sqlite3');
    const db = await openDatabase(h.file, OPEN_READWRITE | OPEN_CREATE);
    await exec(db, `PRAGMA journal_mode = WAL; ${MIGRATIONS[0].sql} PRAGMA user_version = 1;`);
    const codec = new PlainCodec();
    const old = [fixtureRead(1), { ...fixtureRead(2), plate: 'LEGACY42' }];
    for (const r of old) {
      const payload = codec.seal(r.id, encodeReadPayload(r));
      await run(db, 'INSERT INTO reads (id, first_seen, last_seen, confidence, frame_count, source_id, format, payload, payload_size, created_at) VALUES (?,?,?,?,?,?,?,?,?,?)', [
        r.id, r.firstSeen, r.lastSeen, r.confidence, r.frameCount, r.sourceId, r.format, payload, payload.length, 1,
      ]);
    }
    await closeDatabase(db);
    assert.notEqual(readFileSync(h.file).indexOf('LEGACY42'), -1, 'the test starts with a clear plate on disk');

    const store = await h.open();
    for (const r of old) assert.deepEqual(readOf((await store.get(r.id))!), r);
    const tables = await withRawDb(h.file, (raw) => all<{ name: string }>(raw, "SELECT name FROM sqlite_master WHERE type = 'table'"));
    assert.ok(!tables.some((t) => t.name === 'reads'), 'the schema 1 table is gone');
    await store.close();
    const bytes = everyByte(h.dataDir);
    assert.equal(bytes.indexOf('LEGACY42'), -1, 'no clear plate left in the files');
  });
});
