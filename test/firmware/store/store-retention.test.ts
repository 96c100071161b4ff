import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { readOf } from '../../../firmware/store/record-row';
import { all } from '../../../firmware/store/sqlite-async';
import { fixtureRead } from './read-fixtures';
import { DAY_MS, encodings, everyByte, FIXTURE_T0, rejectsWith, useStoreHarness, withRawDb } from './store-harness';

describe('read store retention, purge, holds and corrections', () => {
  const h = useStoreHarness();

  it('purges expired reads: destroys the epoch key, leaves no trace of plate, ciphertext or key anywhere in the data directory', async () => {
    const store = await h.open();
    const secret = { ...fixtureRead(7), plate: 'ZQ4X9KW', alternatives: [{ plate: 'ZQ4X9KV', confidence: 0.1 }] };
    await store.put(secret);
    for (let i = 20; i < 60; i++) await store.put(fixtureRead(i));
    // Fresh reads of a later epoch stay, and so does their key.
    const fresh = fixtureRead(100, { firstSeen: FIXTURE_T0 + 31 * DAY_MS });
    const { sealed, wrapped } = await withRawDb(h.file, async (db) => ({
      sealed: (await all<{ sealed: Buffer }>(db, 'SELECT p.sealed FROM payloads p JOIN records r ON r.seq = p.seq WHERE r.id = ?', [secret.id]))[0].sealed,
      wrapped: (await all<{ wrapped: Buffer }>(db, 'SELECT wrapped FROM data_keys'))[0].wrapped,
    }));
    const before = everyByte(h.dataDir);
    assert.notEqual(before.indexOf(sealed.subarray(40, 72)), -1, 'the test can find the ciphertext on disk before the purge');
    assert.notEqual(before.indexOf(wrapped), -1, 'and the wrapped key');

    h.clock = FIXTURE_T0 + 32 * DAY_MS;
    await store.put(fresh);
    const result = await store.purge();
    assert.equal(result.recordsPurged, 41);
    assert.equal(result.keysDestroyed, 1);
    assert.equal(result.walTruncated, true);
    assert.equal(await store.get(secret.id), null);
    assert.equal((await store.get(fresh.id))?.plate, fresh.plate);
    // Searched while the store is still open, as a thief pulling the card from a running appliance would.
    assert.equal(statSync(`${h.file}-wal`).size, 0, 'the WAL is truncated');
    const after = everyByte(h.dataDir);
    for (const plate of [secret.plate, secret.alternatives[0].plate]) {
      for (const form of encodings(plate)) assert.equal(after.indexOf(form), -1, `found ${plate} as ${form.toString('hex')}`);
    }
    for (let off = 0; off + 32 <= sealed.length; off += 997) {
      assert.equal(after.indexOf(sealed.subarray(off, off + 32)), -1, `ciphertext bytes at ${off} are still on disk`);
    }
    assert.equal(after.indexOf(wrapped), -1, 'the destroyed key is on disk');
    assert.equal(after.indexOf(wrapped.subarray(12, 44)), -1, 'the destroyed key\'s ciphertext is on disk');
    await store.close();
    assert.equal(everyByte(h.dataDir).indexOf(wrapped), -1, 'nor after close');
  });

  it('keeps held reads through purge and ring pressure until released; then normal retention applies', async () => {
    const store = await h.open();
    for (let i = 0; i < 3; i++) await store.put(fixtureRead(i));
    await store.hold(fixtureRead(1).id, { caseNumber: '2026-000123', reason: 'hit-and-run evidence', by: 'det.alvarez' });
    await rejectsWith(store.hold(fixtureRead(1).id, { caseNumber: 'X', reason: 'again', by: 'someone' }), 'STORE_CONFLICT', '2026-000123');

    h.clock = FIXTURE_T0 + 400 * DAY_MS;
    const purged = await store.purge();
    assert.equal(purged.recordsPurged, 2);
    const held = await store.get(fixtureRead(1).id);
    assert.ok(held);
    assert.deepEqual(readOf(held), fixtureRead(1), 'the held read opens under its own key after its epoch key was destroyed');
    assert.equal(held.held, true);

    h.clock += 1000;
    await store.release(fixtureRead(1).id, 'det.alvarez');
    await rejectsWith(store.release(fixtureRead(1).id, 'det.alvarez'), 'STORE_CONFLICT', 'not on hold');
    const holds = await store.holds(fixtureRead(1).id);
    assert.deepEqual(holds, [
      {
        recordId: fixtureRead(1).id,
        caseNumber: '2026-000123',
        reason: 'hit-and-run evidence',
        placedBy: 'det.alvarez',
        placedAt: FIXTURE_T0 + 3_600_000,
        releasedBy: 'det.alvarez',
        releasedAt: FIXTURE_T0 + 400 * DAY_MS + 1000,
      },
    ]);
    const after = await store.purge();
    assert.deepEqual([after.recordsPurged, after.keysDestroyed], [1, 1], 'released and expired: purged with its own key');
    assert.equal(await store.count(), 0);
    assert.equal((await store.stats()).dataKeys, 0);
  });

  it('refuses hold, release, delete and correct of unknown ids and without who and why', async () => {
    const store = await h.open();
    await store.put(fixtureRead(1));
    await rejectsWith(store.hold('nope', { caseNumber: 'C', reason: 'r', by: 'u' }), 'STORE_NOT_FOUND', 'nope');
    await rejectsWith(store.release('nope', 'u'), 'STORE_NOT_FOUND', 'nope');
    await rejectsWith(store.delete('nope', { by: 'u', reason: 'r' }), 'STORE_NOT_FOUND', 'nope');
    await rejectsWith(store.hold(fixtureRead(1).id, { caseNumber: '', reason: 'r', by: 'u' }), 'STORE_BAD_QUERY', 'caseNumber');
    await rejectsWith(store.delete(fixtureRead(1).id, { by: 'u', reason: '   ' }), 'STORE_BAD_QUERY', 'reason');
    await rejectsWith(store.correct(fixtureRead(1).id, 'abc-1', { by: 'u', reason: 'r' }), 'STORE_BAD_QUERY', 'A-Z');
    assert.equal(await store.count(), 1);
  });

  it('deletes a read by id with who, when and why recorded, and no trace of its plate', async () => {
    const store = await h.open();
    const wrong = { ...fixtureRead(3), plate: 'PRIV8TE', alternatives: [] };
    await store.put(wrong);
    await store.put(fixtureRead(4));
    await store.hold(fixtureRead(4).id, { caseNumber: 'C-4', reason: 'evidence', by: 'sgt.kim' });
    await rejectsWith(store.delete(fixtureRead(4).id, { by: 'sgt.kim', reason: 'oops' }), 'STORE_CONFLICT', 'C-4', 'release');

    await store.delete(wrong.id, { by: 'sgt.kim', reason: 'captured on private property (P1)' });
    assert.equal(await store.get(wrong.id), null);
    const events = await withRawDb(h.file, (db) => all<Record<string, unknown>>(db, 'SELECT record_id, action, actor, at, reason FROM record_events'));
    assert.deepEqual(events, [{ record_id: wrong.id, action: 'delete', actor: 'sgt.kim', at: h.clock, reason: 'captured on private property (P1)' }]);
    assert.equal((await store.stats()).totals.deleted, 1);
    await store.close();
    const bytes = everyByte(h.dataDir);
    for (const form of encodings(wrong.plate)) assert.equal(bytes.indexOf(form), -1);
  });

  it('corrects a wrong read, keeping what the recognizer read sealed beside it, and uploads it again', async () => {
    const store = await h.open();
    await store.put(fixtureRead(1));
    await store.markAcknowledged([fixtureRead(1).id]);
    await store.correct(fixtureRead(1).id, 'ABC1O01', { by: 'tech.lee', reason: 'O read as 0' });
    await store.correct(fixtureRead(1).id, 'ABC1001', { by: 'tech.lee', reason: 'second look' });
    const corrected = await store.get(fixtureRead(1).id);
    assert.equal(corrected?.plate, 'ABC1001');
    assert.equal(corrected?.originalPlate, fixtureRead(1).plate, 'the first reading is kept, not the intermediate one');
    assert.equal(corrected?.uploaded, false, 'central gets the corrected read');
    const events = await withRawDb(h.file, (db) => all<{ action: string; actor: string; reason: string }>(db, 'SELECT action, actor, reason FROM record_events ORDER BY event_id'));
    assert.deepEqual(events.map((e) => `${e.action}/${e.actor}/${e.reason}`), ['correct/tech.lee/O read as 0', 'correct/tech.lee/second look']);
  });

  it('sees keys another connection made or destroyed (the CLI beside the running appliance)', async () => {
    const appliance = await h.open();
    await appliance.put(fixtureRead(1));
    await appliance.put(fixtureRead(2));
    const cli = await h.open();
    await cli.hold(fixtureRead(1).id, { caseNumber: 'C-9', reason: 'evidence', by: 'cli' });
    assert.equal((await appliance.get(fixtureRead(1).id))?.plate, fixtureRead(1).plate, 'the held read opens under the key the CLI made');

    // The CLI purges the epoch whose key the appliance still has cached; a late read of that epoch gets a new key.
    h.clock = FIXTURE_T0 + 32 * DAY_MS;
    await cli.purge();
    await appliance.put(fixtureRead(3));
    await appliance.close();
    const reopened = await h.open();
    assert.equal((await reopened.get(fixtureRead(3).id))?.plate, fixtureRead(3).plate, 'never sealed under a destroyed key');
  });
});
