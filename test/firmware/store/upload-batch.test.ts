import assert from 'node:assert/strict';
import { fixtureRead } from './read-fixtures';
import { rejectsWith, useStoreHarness } from './store-harness';

describe('SqliteReadStore upload queue (for the uplink)', function () {
  const h = useStoreHarness();
  const ids = (reads: { id: string }[]) => reads.map((r) => r.id);
  const of = (...i: number[]) => i.map((n) => fixtureRead(n).id);

  it('leaves out excluded ids (reads in flight) and still fills the batch', async () => {
    const store = await h.open();
    await store.putMany([0, 1, 2, 3, 4, 5].map((i) => fixtureRead(i)), 'read');
    await store.putMany([10, 11].map((i) => fixtureRead(i)), 'hit');
    assert.deepEqual(ids(await store.nextUploadBatch(3, { exclude: new Set(of(10, 0, 1)) })), of(11, 2, 3));
    assert.deepEqual(ids(await store.nextUploadBatch(10, { exclude: new Set() })), of(10, 11, 0, 1, 2, 3, 4, 5), 'an empty set excludes nothing');
    assert.deepEqual(ids(await store.nextUploadBatch(10, { exclude: new Set(['no-such-id', "it's \"quoted\""]) })), of(10, 11, 0, 1, 2, 3, 4, 5));
  });

  it('takes one class when asked: hits for the alert lane, reads for the backlog', async () => {
    const store = await h.open();
    await store.putMany([0, 1, 2].map((i) => fixtureRead(i)), 'read');
    await store.putMany([10, 11].map((i) => fixtureRead(i)), 'hit');
    assert.deepEqual(ids(await store.nextUploadBatch(10, { dataClass: 'hit' })), of(10, 11));
    assert.deepEqual(ids(await store.nextUploadBatch(2, { dataClass: 'read', exclude: new Set(of(0)) })), of(1, 2));
    await rejectsWith(store.nextUploadBatch(1, { dataClass: 'alert' as never }), 'STORE_BAD_QUERY', 'dataClass');
  });

  it('excludes thousands of ids in one query', async () => {
    const store = await h.open();
    await store.putMany(Array.from({ length: 50 }, (_, i) => fixtureRead(i, { cropBytes: 100 })), 'read');
    const exclude = new Set([...Array.from({ length: 40000 }, (_, i) => `other-${i}`), ...of(...Array.from({ length: 45 }, (_, i) => i))]);
    assert.deepEqual(ids(await store.nextUploadBatch(10, { exclude })), of(45, 46, 47, 48, 49));
  });

  it('counts reads not yet acknowledged, held ones included', async () => {
    const store = await h.open();
    await store.putMany([0, 1, 2, 3].map((i) => fixtureRead(i)), 'read');
    await store.hold(fixtureRead(1).id, { caseNumber: 'C-1', reason: 'evidence', by: 'tester' });
    assert.equal(await store.pendingUploads(), 4);
    await store.markAcknowledged(of(0, 1));
    assert.equal(await store.pendingUploads(), 2);
  });
});
