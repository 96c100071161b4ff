import assert from 'node:assert/strict';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { SqliteReadStore } from '../../firmware/store/sqlite-read-store';
import { fixtureRead } from '../firmware/store/read-fixtures';
import { lastJson, runCli } from '../support/run-cli';
import { useTempDir } from '../support/temp-dir';

describe('sightline store (real processes, real store files)', function () {
  this.timeout(120_000);
  const tmp = useTempDir();
  let dataDir = '';
  let config = '';
  const now = Date.now();
  // Seen an hour ago: inside the retention; read 9 forty days ago: past the 30-day default.
  const recent = (i: number) => fixtureRead(i, { firstSeen: now - 3_600_000 + i });

  beforeEach(async () => {
    dataDir = path.join(tmp(), 'data');
    config = path.join(tmp(), 'sightline.yaml');
    writeFileSync(config, `store:\n  dataDir: ${dataDir}\nlog:\n  level: warn\n`);
    const store = await SqliteReadStore.open(dataDir);
    for (let i = 0; i < 4; i++) await store.put(recent(i));
    await store.put(fixtureRead(9, { firstSeen: now - 40 * 86_400_000 }));
    await store.putMany([recent(5)], 'hit');
    await store.markAcknowledged([recent(0).id]);
    await store.close();
  });

  async function reopen<T>(fn: (store: SqliteReadStore) => Promise<T>): Promise<T> {
    const store = await SqliteReadStore.open(dataDir);
    try {
      return await fn(store);
    } finally {
      await store.close();
    }
  }

  it('stats: counts and bytes per class and state, quota use and losses, as text or JSON', async () => {
    const json = await runCli(['store', 'stats', '--config', config, '--json']);
    assert.equal(json.code, 0, json.stderr);
    const stats = lastJson<{ reads: number; byClassAndState: { dataClass: string; state: string; records: number }[]; pools: { ring: { quotaBytes: number } }; totals: { lostNotUploaded: number } }>(json);
    assert.equal(stats.reads, 6);
    assert.deepEqual(stats.byClassAndState.map((g) => `${g.dataClass}/${g.state}:${g.records}`).sort(), ['hit/pending:1', 'read/pending:4', 'read/uploaded:1']);
    assert.equal(stats.pools.ring.quotaBytes, 1024 * 1024 * 1024);
    assert.equal(stats.totals.lostNotUploaded, 0);
    const text = await runCli(['store', 'stats', '--config', config]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /records +6 /);
    assert.match(text.stdout, /losses +0 reads evicted before central acknowledged them/);
    assert.ok(!text.stdout.includes(recent(1).plate) && !json.stdout.includes(recent(1).plate), 'stats show no plate');
  });

  it('purge: removes the expired read and reports it', async () => {
    const result = await runCli(['store', 'purge', '--config', config, '--json']);
    assert.equal(result.code, 0, result.stderr);
    const summary = lastJson<{ recordsPurged: number; keysDestroyed: number; walTruncated: boolean }>(result);
    assert.deepEqual([summary.recordsPurged, summary.keysDestroyed, summary.walTruncated], [1, 1, true]);
    assert.equal(await reopen((s) => s.get(fixtureRead(9).id)), null);
    assert.equal(await reopen((s) => s.count()), 5);
  });

  it('hold, release, correct and delete by id, recording who and why', async () => {
    const id = recent(1).id;
    const hold = await runCli(['store', 'hold', id, '--case', '2026-0042', '--reason', 'stolen vehicle follow-up', '--user', 'det.ruiz', '--config', config]);
    assert.equal(hold.code, 0, hold.stderr);
    const holds = await reopen((s) => s.holds(id));
    assert.deepEqual(holds.map((h) => [h.caseNumber, h.reason, h.placedBy, h.releasedAt]), [['2026-0042', 'stolen vehicle follow-up', 'det.ruiz', null]]);

    const refused = await runCli(['store', 'delete', id, '--reason', 'test', '--user', 'det.ruiz', '--config', config]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /STORE_CONFLICT: .*on hold for case 2026-0042; release the hold before deleting it/);

    assert.equal((await runCli(['store', 'release', id, '--user', 'det.ruiz', '--config', config])).code, 0);
    const correct = await runCli(['store', 'correct', recent(2).id, '--plate', 'XYZ9876', '--reason', 'misread 8 as B', '--user', 'tech.ng', '--config', config]);
    assert.equal(correct.code, 0, correct.stderr);
    const deleted = await runCli(['store', 'delete', id, '--reason', 'captured on private property', '--user', 'det.ruiz', '--config', config]);
    assert.equal(deleted.code, 0, deleted.stderr);
    await reopen(async (s) => {
      assert.equal(await s.get(id), null);
      const corrected = await s.get(recent(2).id);
      assert.deepEqual([corrected?.plate, corrected?.originalPlate], ['XYZ9876', recent(2).plate]);
    });

    const missing = await runCli(['store', 'hold', 'no-such-read', '--case', 'C', '--reason', 'R', '--config', config]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /STORE_NOT_FOUND: hold: no read no-such-read/);
    const noCase = await runCli(['store', 'hold', recent(3).id, '--reason', 'R', '--config', config]);
    assert.equal(noCase.code, 2);
    assert.match(noCase.stderr, /--case/);
  });

  it('show: refuses without user, agency, purpose and case, or with "investigation" as the purpose; records each access before showing', async () => {
    const id = recent(3).id;
    const bare = await runCli(['store', 'show', id, '--config', config]);
    assert.equal(bare.code, 2);
    assert.match(bare.stderr, /user is required/);
    assert.equal(bare.stdout, '');
    const vague = await runCli(['store', 'show', id, '--user', 'u', '--agency', 'a', '--purpose', 'Investigation', '--case', 'c', '--config', config]);
    assert.equal(vague.code, 2);
    assert.match(vague.stderr, /"investigation" alone is not a purpose/);
    assert.throws(() => statSync(path.join(dataDir, 'access-log.jsonl')), /ENOENT/, 'refused requests show and record nothing');

    const crop = path.join(tmp(), 'crop.jpg');
    const args = ['store', 'show', id, '--user', 'det.ruiz', '--agency', 'Springfield PD', '--purpose', 'locate vehicle in armed robbery', '--case', '2026-0042'];
    const shown = await runCli([...args, '--crop', crop, '--config', config]);
    assert.equal(shown.code, 0, shown.stderr);
    const read = lastJson<{ id: string; plate: string; cropBytes: number }>(shown);
    assert.deepEqual([read.id, read.plate, read.cropBytes], [id, recent(3).plate, recent(3).crop.length]);
    assert.deepEqual(readFileSync(crop), recent(3).crop);
    const log = readFileSync(path.join(dataDir, 'access-log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(log.length, 1);
    assert.deepEqual(
      { ...log[0], at: undefined },
      { user: 'det.ruiz', agency: 'Springfield PD', purpose: 'locate vehicle in armed robbery', caseNumber: '2026-0042', at: undefined, via: 'cli', action: 'show read', terms: [id] },
    );
    assert.equal(statSync(path.join(dataDir, 'access-log.jsonl')).mode & 0o777, 0o600);
  });

  it('bench store: measures insert, purge and eviction on a throwaway store, JSON summary last', async () => {
    const result = await runCli(['bench', 'store', '--reads', '3000', '--crop-bytes', '2000', '--dir', tmp(), '--json']);
    assert.equal(result.code, 0, result.stderr);
    const full = JSON.parse(result.lines[result.lines.length - 2]) as { reads: number; purge_reads: number; evicted: number; crop_bytes: number };
    assert.deepEqual([full.reads, full.purge_reads, full.crop_bytes], [3000, 3000, 2000]);
    assert.ok(full.evicted > 0, 'the eviction run reached its quota');
    const summary = lastJson<Record<string, number>>(result);
    assert.deepEqual(Object.keys(summary), ['insert_per_s', 'purge_100k_s', 'evict_insert_per_s']);
    for (const value of Object.values(summary)) assert.ok(Number.isFinite(value) && value > 0, JSON.stringify(summary));
    const { readdirSync } = await import('node:fs');
    assert.deepEqual(readdirSync(tmp()).filter((n) => n.startsWith('sightline-store-bench-')), [], 'the throwaway stores are removed');
  });
});
