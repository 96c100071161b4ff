import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CaMaterial } from '../../../ops/fleet/certificate-authority';
import type { HotlistEntry } from '../../../firmware/hotlist/hotlist-entry';
import type { HotlistError } from '../../../firmware/hotlist/hotlist-error';
import { signSnapshot } from '../../../firmware/hotlist/hotlist-signature';
import { HotlistStore } from '../../../firmware/hotlist/hotlist-store';
import { receiveHotlist } from '../../../firmware/uplink/hotlist-inbox';
import { testCa } from '../../support/test-pki';
import { useTempDir } from '../../support/temp-dir';
import { listEntry } from './list-fixtures';

const T0 = Date.UTC(2024, 4, 2);

function snapshotOf(list: string, entries: unknown[], extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ list, ...extra, entries });
}

function code(expected: string) {
  return (err: HotlistError) => {
    assert.equal(err.code, expected, err.message);
    return true;
  };
}

describe('signed hotlist snapshots from central', function () {
  const tmp = useTempDir();
  let ca: CaMaterial;
  let other: CaMaterial;
  let store: HotlistStore;
  const good: HotlistEntry[] = [listEntry(1), listEntry(2)];

  before(async () => {
    [ca, other] = await Promise.all([testCa(), testCa('Not The Fleet CA')]);
  });

  beforeEach(async () => {
    store = await HotlistStore.open(path.join(tmp(), 'hotlists'), { now: () => T0 });
    const snapshot = snapshotOf('CA-SVS', good, { version: 5 });
    await receiveHotlist(store, { list: 'CA-SVS', snapshot, signature: signSnapshot(snapshot, ca.keyPem) }, ca.certPem, T0);
  });

  /** The list held is still the first one, in memory and on disk. */
  async function assertKept(): Promise<void> {
    assert.deepEqual(store.entries('CA-SVS'), good);
    assert.deepEqual((await HotlistStore.open(store.dir)).entries('CA-SVS'), good);
    assert.equal(store.summary('CA-SVS')?.version, 5);
  }

  it('stores a verified snapshot as a central list, with its version and signature', async () => {
    assert.deepEqual(store.summary('CA-SVS'), { name: 'CA-SVS', entries: 2, source: 'central', version: 5, refreshedAt: T0, stale: false, staleSince: null });
    const kept = JSON.parse(fs.readFileSync(path.join(store.dir, 'CA-SVS.json'), 'utf8')) as { signature: string; entries: HotlistEntry[] };
    assert.equal(typeof kept.signature, 'string');
    assert.deepEqual(kept.entries, good);

    // Entries without a list take the snapshot's; the list is as fresh as central says it is.
    const { list: _l, ...bare } = listEntry(3);
    const newer = snapshotOf('CA-SVS', [bare], { version: 6, generatedAt: T0 - 3_600_000 });
    const held = await receiveHotlist(store, { list: 'CA-SVS', snapshot: newer, signature: signSnapshot(newer, ca.keyPem) }, ca.certPem, T0);
    assert.deepEqual([held.entries, held.version, held.refreshedAt], [1, 6, T0 - 3_600_000]);
    assert.deepEqual(store.entries('CA-SVS'), [listEntry(3)]);
  });

  it('refuses a tampered snapshot, one signed with another key, and an unsigned one; the old list is kept', async () => {
    const snapshot = snapshotOf('CA-SVS', [listEntry(9)], { version: 6 });
    const signature = signSnapshot(snapshot, ca.keyPem);
    const tampered = snapshot.replace('7ABC009', '7ABC666');
    await assert.rejects(receiveHotlist(store, { list: 'CA-SVS', snapshot: tampered, signature }, ca.certPem, T0), code('HOTLIST_BAD_SIGNATURE'));
    await assert.rejects(receiveHotlist(store, { list: 'CA-SVS', snapshot, signature: signSnapshot(snapshot, other.keyPem) }, ca.certPem, T0), code('HOTLIST_BAD_SIGNATURE'));
    await assert.rejects(receiveHotlist(store, { list: 'CA-SVS', snapshot, signature: null }, ca.certPem, T0), code('HOTLIST_BAD_SIGNATURE'));
    await assertKept();
  });

  it('refuses a signed snapshot pushed under another name, without a signed name, older than the one held, or with bad rows', async () => {
    const push = (list: string, snapshot: string) => receiveHotlist(store, { list, snapshot, signature: signSnapshot(snapshot, ca.keyPem) }, ca.certPem, T0);
    await assert.rejects(push('CA-SVS', snapshotOf('county-bolo', [listEntry(9, 'county-bolo')], { version: 9 })), code('HOTLIST_INVALID'));
    await assert.rejects(push('CA-SVS', JSON.stringify([listEntry(9)])), /its name is signed/);
    await assert.rejects(push('CA-SVS', snapshotOf('CA-SVS', [listEntry(9)], { version: 4 })), code('HOTLIST_OLDER'));
    const { caseNumber: _c, ...noCase } = listEntry(8);
    await assert.rejects(push('CA-SVS', snapshotOf('CA-SVS', [listEntry(7), noCase], { version: 9 })), (err: HotlistError) => {
      assert.equal(err.code, 'HOTLIST_INVALID');
      assert.match(err.message, /row 2, caseNumber: required/);
      assert.deepEqual(err.rows.map((r) => `${r.row} ${r.field}`), ['2 caseNumber']);
      return true;
    });
    await assert.rejects(push('CA-SVS', '{"list":"CA-SVS","entries":['), code('HOTLIST_INVALID'));
    await assertKept();
  });
});
