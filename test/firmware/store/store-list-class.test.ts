import assert from 'node:assert/strict';
import type { DataClass } from '../../../firmware/store/retention';
import { readCursor, type StoredRead } from '../../../firmware/store/read-store';
import { fixtureAlert } from './alert-fixture';
import { fixtureRead } from './read-fixtures';
import { FIXTURE_T0, rejectsWith, useStoreHarness } from './store-harness';

describe('SqliteReadStore list() by class', () => {
  const h = useStoreHarness();

  /** 30 reads and, between them, 6 alerts (every fifth slot): as the pipeline interleaves them. */
  async function mixedStore() {
    const store = await h.open();
    const alertIds: string[] = [];
    for (let i = 0; i < 36; i++) {
      const firstSeen = FIXTURE_T0 + i * 1000;
      if (i % 6 === 5) {
        const alert = fixtureAlert({ id: `alert-${String(i).padStart(2, '0')}`, plate: `7ABC${100 + i}`, firstSeen });
        await store.putAlert(alert);
        alertIds.push(alert.read.id);
      } else {
        await store.put(fixtureRead(i, { firstSeen }));
      }
    }
    return { store, alertIds };
  }

  it("dataClass 'hit' returns only hits, newest first, with their alert details, across pages and with a time window", async () => {
    const { store, alertIds } = await mixedStore();
    const hits = await store.list({ dataClass: 'hit', limit: 100 });
    assert.deepEqual(hits.map((r) => r.id), [...alertIds].reverse());
    assert.ok(hits.every((r) => r.dataClass === 'hit' && r.alert !== null && r.alert.matches.length > 0));

    // Pages of 4 over 6 hits: a full page then the rest, nothing repeated or skipped.
    const first = await store.list({ dataClass: 'hit', limit: 4 });
    const rest = await store.list({ dataClass: 'hit', limit: 4, after: readCursor(first[first.length - 1]) });
    assert.deepEqual([...first, ...rest].map((r) => r.id), hits.map((r) => r.id));

    const windowed = await store.list({ dataClass: 'hit', since: FIXTURE_T0 + 12_000, until: FIXTURE_T0 + 30_000, limit: 100 });
    assert.deepEqual(windowed.map((r) => r.id), ['alert-29', 'alert-23', 'alert-17']);
  });

  it("dataClass 'read' returns only the rest; no filter returns both", async () => {
    const { store } = await mixedStore();
    const reads: StoredRead[] = await store.list({ dataClass: 'read', limit: 100 });
    assert.equal(reads.length, 30);
    assert.ok(reads.every((r) => r.dataClass === 'read' && r.alert === null));
    assert.equal((await store.list({ limit: 100 })).length, 36);
  });

  it('refuses an unknown class', async () => {
    const store = await h.open();
    await rejectsWith(store.list({ dataClass: 'alert' as DataClass, limit: 10 }), 'STORE_BAD_QUERY', 'dataClass', "'hit'");
  });
});
