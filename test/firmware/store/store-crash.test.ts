import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fork } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import type { StoredRead } from '../../../firmware/store/read-store';
import { readOf } from '../../../firmware/store/record-row';
import type { SqliteReadStore } from '../../../firmware/store/sqlite-read-store';
import { StoreError } from '../../../firmware/store/store-error';
import { fixtureRead } from './read-fixtures';
import { useStoreHarness } from './store-harness';

/** Kills in `make test`; `make test-long` sets SIGHTLINE_CRASH_KILLS=50. */
const KILLS = Number(process.env.SIGHTLINE_CRASH_KILLS ?? 8);

/** Index of a fixture read from its id (fixtureRead ids end in the zero-padded index). */
function indexOf(id: string): number {
  return Number(id.slice(-12));
}

async function everyRead(store: SqliteReadStore): Promise<StoredRead[]> {
  const reads: StoredRead[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await store.list({ limit: 1000, after });
    reads.push(...page);
    if (page.length < 1000) return reads;
    after = `${page[page.length - 1].firstSeen}.${page[page.length - 1].id}`;
  }
}

interface ChildLife {
  lastInserted: number;
  acked: string[];
}

/** Runs the crash-loop child from `first`, kills it with SIGKILL after `killAfterMs`, and returns what it had reported. */
async function runAndKill(dataDir: string, first: number, quota: number, killAfterMs: number): Promise<ChildLife> {
  const child = fork(path.join(__dirname, 'fixtures', 'crash-loop-child.js'), [dataDir, String(first), String(quota)], { stdio: 'pipe' });
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  const life: ChildLife = { lastInserted: first - 1, acked: [] };
  let error: string | undefined;
  child.on('message', (m: { ready?: boolean; inserted?: number; acked?: string[]; error?: string }) => {
    if (m.ready) setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    if (m.inserted !== undefined) life.lastInserted = m.inserted;
    if (m.acked) life.acked.push(...m.acked);
    if (m.error) error = m.error;
  });
  const signal = await new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_c, s) => resolve(s)));
  assert.equal(error, undefined, `the child failed: ${error}\n${stderr}`);
  assert.equal(signal, 'SIGKILL', stderr);
  return life;
}

describe('read store under crashes and a full disk (real processes, real files)', () => {
  const h = useStoreHarness();

  it(`keeps every read and acknowledgement that had returned across ${KILLS} SIGKILLs at random moments, while it evicts`, async function () {
    this.timeout(30_000 + KILLS * 5_000);
    const quota = 300 * 1024; // about 150 reads: every batch evicts once the ring is full
    let next = 0;
    const acked = new Set<string>();
    let evictingKills = 0;
    for (let kill = 0; kill < KILLS; kill++) {
      const life = await runAndKill(h.dataDir, next, quota, 50 + Math.floor(Math.random() * 400));
      life.acked.forEach((id) => acked.add(id));

      const store = await h.open({ quotas: { ringBytes: quota } });
      await store.checkIntegrity();
      const reads = await everyRead(store);
      const present = new Set(reads.map((r) => indexOf(r.id)));
      const stats = await store.stats();
      const evicted = stats.totals.evictedAcknowledged + stats.totals.lostNotUploaded;
      assert.equal(stats.totals.inserted, reads.length + evicted, 'every insert is either there or counted as evicted');
      if (evicted > 0) evictingKills++;

      // Eviction only ever takes the oldest (acknowledgements go oldest first), so what is left
      // is every read from the oldest present one to the newest, with no gap.
      const oldest = Math.min(...present);
      const newest = Math.max(...present);
      assert.ok(life.lastInserted < 0 || life.lastInserted <= newest, `read ${life.lastInserted} had returned but the newest stored is ${newest}`);
      for (let i = oldest; i <= newest; i++) assert.ok(present.has(i), `read ${i} is missing after kill ${kill + 1}`);
      if (life.lastInserted >= 0) {
        assert.deepEqual(readOf(reads.find((r) => indexOf(r.id) === life.lastInserted)!), fixtureRead(life.lastInserted, { cropBytes: 1500, firstSeen: reads.find((r) => indexOf(r.id) === life.lastInserted)!.firstSeen }));
      }
      for (const read of reads) if (acked.has(read.id)) assert.equal(read.uploaded, true, `acknowledgement of ${read.id} was lost`);
      await store.close();
      next = Math.max(next, newest + 1, life.lastInserted + 1);
    }
    assert.ok(evictingKills >= KILLS / 2, `the ring was evicting in only ${evictingKills} of ${KILLS} runs`);
  });

  describe('on a small tmpfs', () => {
    let mountPoint = '';
    beforeEach(function () {
      mountPoint = path.join(h.dir, 'small-disk');
      mkdirSync(mountPoint);
      try {
        execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=32m,mode=0700', 'tmpfs', mountPoint], { stdio: 'pipe' });
      } catch (err) {
        // Needs root (CAP_SYS_ADMIN); the size-cap test in sqlite-read-store.test.ts covers the same path without it.
        this.skip();
      }
    });
    afterEach(() => {
      try {
        execFileSync('umount', [mountPoint], { stdio: 'pipe' });
      } catch {
        // Not mounted (skipped).
      }
      rmSync(mountPoint, { recursive: true, force: true });
    });

    it('refuses inserts on a full disk with a clear error, damages nothing, and evicts to make room again', async () => {
      const dataDir = path.join(mountPoint, 'data');
      const { SqliteReadStore } = await import('../../../firmware/store/sqlite-read-store');
      const store = await SqliteReadStore.open(dataDir, { quotas: { ringBytes: 1024 * 1024 * 1024 }, now: () => h.clock });
      try {
        let stored = 0;
        let failure: unknown;
        for (let i = 0; i < 2000 && failure === undefined; i++) {
          try {
            await store.putMany([0, 1, 2, 3].map((j) => fixtureRead(i * 4 + j, { cropBytes: 20_000 })));
            stored += 4;
          } catch (err) {
            failure = err;
          }
        }
        assert.ok(failure instanceof StoreError, `expected the disk to fill, stored ${stored}`);
        assert.equal(failure.code, 'STORE_DISK_FULL');
        assert.match(failure.message, /disk is full/);
        assert.ok(failure.message.includes(path.join(dataDir, 'reads.sqlite')), failure.message);
        // Nothing is damaged: every read is either still there and intact, or was evicted (oldest
        // first) to make room, and counted as lost.
        const afterFull = await store.stats();
        assert.equal(afterFull.totals.inserted, stored);
        assert.equal(await store.count(), stored - afterFull.totals.lostNotUploaded);
        await store.checkIntegrity();
        for (const i of [afterFull.totals.lostNotUploaded, Math.floor(stored / 2), stored - 1]) {
          assert.deepEqual(readOf((await store.get(fixtureRead(i).id))!), fixtureRead(i, { cropBytes: 20_000 }));
        }
        for (let i = 10_000; i < 10_200; i += 4) await store.putMany([0, 1, 2, 3].map((j) => fixtureRead(i + j, { cropBytes: 20_000 })));
        assert.equal((await store.get(fixtureRead(10_199).id))?.plate, fixtureRead(10_199).plate, 'eviction made room');
        assert.ok((await store.stats()).totals.lostNotUploaded > 0, 'the reads that made room are counted as lost');
        await store.checkIntegrity();
      } finally {
        await store.close();
      }
    });
  });
});
