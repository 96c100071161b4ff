import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import * as path from 'node:path';
import type { Read } from '../../../firmware/pipeline/read';
import type { SqliteReadStore } from '../../../firmware/store/sqlite-read-store';
import { fixtureRead } from './read-fixtures';
import { DAY_MS, FIXTURE_T0, rejectsWith, useStoreHarness } from './store-harness';

/** Reads of one size, so quotas can be set in whole reads. */
function sized(i: number, firstSeen?: number): Read {
  return { ...fixtureRead(i, { cropBytes: 4000, firstSeen }), plate: `PL${String(i).padStart(5, '0')}` };
}

async function bytesPerRead(h: ReturnType<typeof useStoreHarness>): Promise<number> {
  const probe = await h.open();
  await probe.put(sized(99_999));
  const bytes = (await probe.stats()).bytes;
  await probe.close();
  const { rmSync } = await import('node:fs');
  rmSync(h.dataDir, { recursive: true, force: true });
  return bytes;
}

async function present(store: SqliteReadStore, ids: number[]): Promise<number[]> {
  const found: number[] = [];
  for (const i of ids) if ((await store.get(sized(i).id)) !== null) found.push(i);
  return found;
}

describe('read store ring and upload bookkeeping', () => {
  const h = useStoreHarness();

  it('evicts expired reads first, then the oldest acknowledged, then the oldest not uploaded, counting those as lost', async () => {
    const b = await bytesPerRead(h);
    const store = await h.open({ quotas: { ringBytes: Math.floor(10.5 * b) } });
    await store.put(sized(0, FIXTURE_T0 - 40 * DAY_MS)); // past the 30-day retention
    for (let i = 1; i <= 9; i++) await store.put(sized(i));
    await store.markAcknowledged([sized(5).id, sized(6).id]);
    await store.hold(sized(2).id, { caseNumber: 'C-7', reason: 'evidence', by: 'tester' });
    await store.putMany([sized(50), sized(51)], 'hit');

    const all = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
    await store.put(sized(10)); // room for the held read's place and one more: nothing goes yet
    await store.put(sized(11));
    assert.deepEqual(await present(store, all), [1, 2, 3, 4, 5, 6, 7, 8, 9], 'the expired read went first');
    await store.put(sized(12));
    assert.deepEqual(await present(store, all), [1, 2, 3, 4, 6, 7, 8, 9], 'then the oldest acknowledged');
    await store.put(sized(13));
    await store.put(sized(14));
    assert.deepEqual(await present(store, all), [2, 3, 4, 7, 8, 9], 'then the oldest not uploaded');

    const stats = await store.stats();
    assert.deepEqual(
      [stats.totals.evictedExpired, stats.totals.evictedAcknowledged, stats.totals.lostNotUploaded],
      [1, 2, 1],
    );
    assert.ok(stats.pools.ring.bytes <= stats.pools.ring.quotaBytes);
    assert.deepEqual(await present(store, [50, 51]), [50, 51], 'alerts are never evicted');
    assert.equal((await store.get(sized(2).id))?.held, true, 'the held read stayed');
  });

  it('refuses alerts past the protected quota without touching the ring', async () => {
    const b = await bytesPerRead(h);
    const store = await h.open({ quotas: { ringBytes: 100 * b, protectedBytes: Math.floor(3.5 * b) } });
    for (let i = 0; i < 5; i++) await store.put(sized(i));
    await store.putMany([sized(10), sized(11), sized(12)], 'hit');
    await rejectsWith(store.putMany([sized(13)], 'hit'), 'STORE_QUOTA_FULL', 'protected quota');
    await rejectsWith(store.hold(sized(1).id, { caseNumber: 'C-1', reason: 'r', by: 'tester' }), 'STORE_QUOTA_FULL', 'protected quota');
    assert.deepEqual(await present(store, [0, 1, 2, 3, 4, 10, 11, 12, 13]), [0, 1, 2, 3, 4, 10, 11, 12]);
    assert.equal((await store.get(sized(1).id))?.held, false);
  });

  it('gives the uplink alerts first, then reads oldest first, and forgets acknowledged ones', async () => {
    const store = await h.open();
    for (let i = 0; i < 6; i++) await store.put(sized(i));
    await store.putMany([sized(20), sized(21)], 'hit');
    const first = await store.nextUploadBatch(4);
    assert.deepEqual(first.map((r) => r.id), [sized(20), sized(21), sized(0), sized(1)].map((r) => r.id));
    assert.equal(first[0].dataClass, 'hit');
    assert.equal(first[0].plate, sized(20).plate, 'a batch carries the opened read');

    assert.equal(await store.markAcknowledged([sized(20).id, sized(0).id, 'no-such-id']), 2);
    assert.equal(await store.markAcknowledged([sized(20).id]), 0, 'acknowledging twice is harmless');
    const second = await store.nextUploadBatch(10);
    assert.deepEqual(second.map((r) => r.id), [sized(21), sized(1), sized(2), sized(3), sized(4), sized(5)].map((r) => r.id));
    assert.equal((await store.get(sized(0).id))?.uploaded, true);
    await rejectsWith(store.nextUploadBatch(0), 'STORE_BAD_QUERY', 'limit');
  });

  it('keeps an acknowledgement that had returned when the process is killed right after', async () => {
    const child = fork(path.join(__dirname, 'fixtures', 'put-reads-child.js'), [h.dataDir, '6', 'ack'], { stdio: 'pipe' });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const reply = await new Promise<unknown>((resolve, reject) => {
      child.once('message', resolve);
      child.once('exit', (code) => reject(new Error(`child exited (${code}): ${stderr}`)));
    });
    assert.deepEqual(reply, { stored: 6, acknowledged: 3 });
    const exited = new Promise((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
    child.kill('SIGKILL');
    assert.equal(await exited, 'SIGKILL');

    const store = await h.open();
    const pending = await store.nextUploadBatch(10);
    assert.deepEqual(pending.map((r) => r.id), [3, 4, 5].map((i) => fixtureRead(i).id));
  });
});
