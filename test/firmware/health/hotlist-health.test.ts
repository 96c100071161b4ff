import assert from 'node:assert/strict';
import * as path from 'node:path';
import { HealthCollector } from '../../../firmware/health/health-collector';
import { healthReportSchema } from '../../../firmware/health/health-report';
import { NO_HOTLISTS_WARNING } from '../../../firmware/health/hotlist-warnings';
import { HotlistStore } from '../../../firmware/hotlist/hotlist-store';
import { listEntry } from '../hotlist/list-fixtures';
import { useTempDir } from '../../support/temp-dir';
import { useHealthInputs } from './health-inputs';

const HOUR_MS = 3_600_000;

describe('HealthCollector: hotlists and their warnings (POLICY P6)', function () {
  const inputs = useHealthInputs();
  const tmp = useTempDir('sightline-hotlist-health-');

  /** A real HotlistStore on the collector's clock, holding CA-SVS (central, 3 entries) and SAC-BOLO (file, 1 entry). */
  async function withLists(refreshed: { 'CA-SVS': number; 'SAC-BOLO': number }, staleAfterHours = 24) {
    const i = inputs();
    const store = await HotlistStore.open(path.join(tmp(), 'hotlists'), { now: () => i.clock.now, staleAfterMs: staleAfterHours * HOUR_MS });
    await store.replace('CA-SVS', [listEntry(1), listEntry(2), listEntry(3)], { source: 'central', version: 41, refreshedAt: refreshed['CA-SVS'] });
    await store.replace('SAC-BOLO', [listEntry(4, 'SAC-BOLO')], { source: 'file', version: null, refreshedAt: refreshed['SAC-BOLO'] });
    const collector = new HealthCollector({ ...i, hotlists: () => store.lists() });
    return { i, collector };
  }

  it('reports every list and no warning while all are fresh', async () => {
    const now = inputs().clock.now;
    const { collector } = await withLists({ 'CA-SVS': now - 2 * HOUR_MS, 'SAC-BOLO': now - 23 * HOUR_MS });
    const report = await collector.collect();
    assert.deepEqual(healthReportSchema.parse(report), report);
    assert.deepEqual(report.hotlists, [
      { name: 'CA-SVS', entries: 3, source: 'central', version: 41, refreshedAt: now - 2 * HOUR_MS, stale: false, staleSince: null },
      { name: 'SAC-BOLO', entries: 1, source: 'file', version: null, refreshedAt: now - 23 * HOUR_MS, stale: false, staleSince: null },
    ]);
    assert.deepEqual(report.warnings, []);
  });

  it('warns of a list older than the threshold, saying since when, for how long, and the policy', async () => {
    const now = inputs().clock.now;
    const { i, collector } = await withLists({ 'CA-SVS': now - 26 * HOUR_MS, 'SAC-BOLO': now - HOUR_MS });
    const report = await collector.collect();
    assert.deepEqual(healthReportSchema.parse(report), report);
    const staleSince = now - 2 * HOUR_MS;
    assert.deepEqual(report.hotlists?.map((l) => [l.name, l.stale, l.staleSince]), [
      ['CA-SVS', true, staleSince],
      ['SAC-BOLO', false, null],
    ]);
    assert.deepEqual(report.warnings, [`hotlist CA-SVS stale since ${new Date(staleSince).toISOString()} (not refreshed for 26 h; policy: at least daily)`]);

    // A day later both are stale; the hours follow the clock.
    i.clock.now += 24 * HOUR_MS;
    const later = await collector.collect();
    assert.deepEqual(later.warnings, [
      `hotlist CA-SVS stale since ${new Date(staleSince).toISOString()} (not refreshed for 50 h; policy: at least daily)`,
      `hotlist SAC-BOLO stale since ${new Date(now + 23 * HOUR_MS).toISOString()} (not refreshed for 25 h; policy: at least daily)`,
    ]);
  });

  it('says the configured threshold when it is not a day', async () => {
    const now = inputs().clock.now;
    const { collector } = await withLists({ 'CA-SVS': now - 13 * HOUR_MS, 'SAC-BOLO': now - HOUR_MS }, 12);
    assert.deepEqual((await collector.collect()).warnings, [
      `hotlist CA-SVS stale since ${new Date(now - HOUR_MS).toISOString()} (not refreshed for 13 h; warns after 12 h; policy: at least daily)`,
    ]);
  });

  it('warns that nothing is matched when no list is loaded', async () => {
    const i = inputs();
    const store = await HotlistStore.open(path.join(tmp(), 'empty'), { now: () => i.clock.now });
    const report = await new HealthCollector({ ...i, hotlists: () => store.lists() }).collect();
    assert.deepEqual(healthReportSchema.parse(report), report);
    assert.deepEqual(report.hotlists, []);
    assert.deepEqual(report.warnings, [NO_HOTLISTS_WARNING]);
    assert.equal(NO_HOTLISTS_WARNING, 'no hotlists loaded: reads are not being matched');
  });
});
