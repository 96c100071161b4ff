import assert from 'node:assert/strict';
import { once } from 'node:events';
import { silentLogger } from '../../../drivers/log';
import { HotlistReloader } from '../../../firmware/hotlist/hotlist-reloader';
import { HotlistStore, type HotlistChange } from '../../../firmware/hotlist/hotlist-store';
import { useTempDir } from '../../support/temp-dir';
import { listEntry } from './list-fixtures';

describe('HotlistReloader', () => {
  const dir = useTempDir('sightline-hotlist-reload-');

  it('brings a list another process loaded into the running appliance\'s lists, from the file system\'s change notice', async () => {
    const appliance = await HotlistStore.open(dir());
    // The timer alone would take a minute: a change within the test's time is the watcher's.
    const reloader = new HotlistReloader(appliance, { intervalMs: 60_000, debounceMs: 50, log: silentLogger });
    reloader.start();
    try {
      const cli = await HotlistStore.open(dir());
      const changed = once(appliance, 'changed') as Promise<[HotlistChange]>;
      await cli.replace('COUNTY-BOLO', [listEntry(1, 'COUNTY-BOLO'), listEntry(2, 'COUNTY-BOLO')], { source: 'file', version: null, refreshedAt: Date.now() });
      const [change] = await changed;
      assert.deepEqual(change, { list: 'COUNTY-BOLO', entries: 2, removed: false });
      assert.equal(appliance.entries('COUNTY-BOLO').length, 2);
    } finally {
      await reloader.stop();
    }
  });

  it('reloads on its timer too, and a reload that finds nothing new changes nothing', async () => {
    const appliance = await HotlistStore.open(dir());
    const cli = await HotlistStore.open(dir());
    await cli.replace('CA-SVS', [listEntry(1)], { source: 'file', version: null, refreshedAt: Date.now() });
    const changes: HotlistChange[] = [];
    appliance.on('changed', (c: HotlistChange) => changes.push(c));
    const reloader = new HotlistReloader({ dir: '/nonexistent/not-watchable', reload: () => appliance.reload() }, { intervalMs: 50, log: silentLogger });
    reloader.start();
    try {
      for (let i = 0; i < 100 && changes.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
      assert.deepEqual(changes, [{ list: 'CA-SVS', entries: 1, removed: false }]);
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(changes.length, 1, 'later reloads of the same files report nothing');
    } finally {
      await reloader.stop();
    }
  });
});
