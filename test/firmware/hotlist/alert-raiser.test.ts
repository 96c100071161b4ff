import assert from 'node:assert/strict';
import { AlertRaiser } from '../../../firmware/hotlist/alert-raiser';
import { CONFIRM_ADVISORY } from '../../../firmware/hotlist/alert';
import { HotlistStore } from '../../../firmware/hotlist/hotlist-store';
import type { Read } from '../../../firmware/pipeline/read';
import { fixtureRead } from '../store/read-fixtures';
import { useTempDir } from '../../support/temp-dir';
import { listEntry } from './list-fixtures';

const HOUR = 3_600_000;

function readOf(plate: string): Read {
  return { ...fixtureRead(1), plate, alternatives: [] };
}

describe('AlertRaiser', () => {
  const dir = useTempDir('sightline-alert-raiser-');
  let clock = Date.UTC(2026, 10, 26, 12);
  const now = () => clock;

  it('says in the alert that its list is stale, and since when', async () => {
    const hotlists = await HotlistStore.open(dir(), { now, staleAfterMs: 24 * HOUR });
    await hotlists.replace('CA-SVS', [listEntry(7)], { source: 'central', version: 3, refreshedAt: clock - 30 * HOUR });
    await hotlists.replace('AGENCY', [listEntry(7, 'AGENCY')], { source: 'file', version: null, refreshedAt: clock - HOUR });
    const raiser = new AlertRaiser(hotlists, { now, encodeFrame: async () => ({ jpeg: Buffer.from('jpeg'), width: 4, height: 3 }) });
    const read = readOf('7ABC007');
    const alert = await raiser.raise(read, raiser.match(read), { kind: 'encoded', name: 'f', bytes: Buffer.from('x') });
    const byList = new Map(alert.details.matches.map((m) => [m.entry.list, m]));
    assert.equal(byList.get('CA-SVS')?.listStaleSince, clock - 6 * HOUR);
    assert.equal(byList.get('AGENCY')?.listStaleSince, null);
    assert.deepEqual(alert.details.advisory.split('\n'), [CONFIRM_ADVISORY, `hotlist CA-SVS stale since ${new Date(clock - 6 * HOUR).toISOString()}`]);
    assert.equal(alert.details.raisedAt, clock);
    assert.deepEqual(alert.details.frame, { jpeg: Buffer.from('jpeg'), width: 4, height: 3 });
    raiser.close();
  });

  it('matches the new list as soon as it replaces the old, and no longer the old one', async () => {
    const hotlists = await HotlistStore.open(dir(), { now });
    await hotlists.replace('CA-SVS', [listEntry(1)], { source: 'central', version: 1, refreshedAt: clock });
    const raiser = new AlertRaiser(hotlists, { now });
    assert.equal(raiser.match(readOf('7ABC001')).length, 1);
    await hotlists.replace('CA-SVS', [listEntry(2)], { source: 'central', version: 2, refreshedAt: clock });
    assert.equal(raiser.match(readOf('7ABC001')).length, 0, 'the replaced entry is gone');
    assert.equal(raiser.match(readOf('7ABC002')).length, 1);
    assert.equal(raiser.stats().rebuilds, 1);
    raiser.close();
    await hotlists.replace('CA-SVS', [listEntry(3)], { source: 'central', version: 3, refreshedAt: clock });
    assert.equal(raiser.stats().rebuilds, 1, 'closed: it no longer follows the lists');
  });

  it('stops matching an entry once it expires', async () => {
    const hotlists = await HotlistStore.open(dir(), { now });
    await hotlists.replace('CA-SVS', [listEntry(4, 'CA-SVS', { expiresAt: clock + HOUR })], { source: 'central', version: 1, refreshedAt: clock });
    const raiser = new AlertRaiser(hotlists, { now });
    assert.equal(raiser.match(readOf('7ABC004')).length, 1);
    clock += HOUR;
    assert.equal(raiser.match(readOf('7ABC004')).length, 0);
    raiser.close();
  });
});
