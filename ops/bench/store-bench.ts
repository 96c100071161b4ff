/**
 * The read store's throughput on this disk: sustained encrypted insert, purge of 100,000
 * expired reads (crypto-shredding, secure delete, WAL truncation), and insert while the ring
 * evicts at its quota. Real files in a throwaway directory, real fsyncs (synchronous=FULL).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import type { Logger } from '../../drivers/log';
import { SqliteReadStore } from '../../firmware/store/sqlite-read-store';
import { benchReads } from './bench-reads';
import { round } from './stats';

export interface StoreBenchOptions {
  /** Parent of the throwaway store directories: put it on the disk the appliance uses. */
  dir: string;
  /** Reads inserted, then purged (the purge figure is for 100,000). */
  reads: number;
  /** Reads per putMany transaction. */
  batch: number;
  cropBytes: number;
  /** Ring quota of the eviction run, MB (at most a fifth of what `reads` hold); it inserts five times as much. */
  evictQuotaMB: number;
  log: Logger;
  onPhase?: (phase: string) => void;
}

export interface StoreBenchResult {
  batch: number;
  durability: string;
  crop_bytes: number;
  reads: number;
  insert_per_s: number;
  purge_reads: number;
  purge_100k_s: number;
  evict_quota_mb: number;
  evict_reads: number;
  evict_insert_per_s: number;
  /** The same reads into a store without a quota, timed over the same stretch: the eviction run's baseline. */
  unconstrained_same_size_per_s: number;
  /** evict_insert_per_s / unconstrained_same_size_per_s: the target is at least 0.8. */
  evict_ratio: number;
  evicted: number;
  file_mb_at_quota: number;
  peak_rss_mb: number;
}

const DAY_MS = 86_400_000;

export async function runStoreBench(options: StoreBenchOptions): Promise<StoreBenchResult> {
  const root = mkdtempSync(path.join(options.dir, 'sightline-store-bench-'));
  const start = Date.now();
  let clock = start;
  const makeBatch = benchReads(options.cropBytes, (i) => start - 60_000 + (i % 60_000));
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 100);
  try {
    // Five quotas' worth of reads, no more than the unconstrained run had (its baseline): small
    // crops get a smaller quota.
    const approxReadBytes = options.cropBytes + 600;
    const quotaBytes = Math.min(options.evictQuotaMB * 1024 * 1024, Math.floor((options.reads * approxReadBytes) / 5));
    const evictReads = Math.min(options.reads, Math.ceil((5 * quotaBytes) / approxReadBytes));
    options.onPhase?.(`inserting ${options.reads} reads of ${options.cropBytes} bytes, ${options.batch} per transaction`);
    const store = await SqliteReadStore.open(path.join(root, 'insert'), { now: () => clock, log: options.log, quotas: { ringBytes: 1024 ** 4 } });
    let t0 = process.hrtime.bigint();
    for (let done = 0; done < options.reads; done += options.batch) await store.putMany(makeBatch(Math.min(options.batch, options.reads - done)));
    const insertSeconds = Number(process.hrtime.bigint() - t0) / 1e9;

    options.onPhase?.(`purging ${options.reads} expired reads`);
    // Let the insert run's writes reach the disk first (and, below, the purged store's deletion):
    // each phase is timed on its own, not while the kernel still flushes the one before.
    execFileSync('sync');
    clock = start + 32 * DAY_MS;
    t0 = process.hrtime.bigint();
    const purge = await store.purge();
    const purgeSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
    if (purge.recordsPurged !== options.reads) throw new Error(`purge removed ${purge.recordsPurged} of ${options.reads} expired reads`);
    await store.close();
    rmSync(path.join(root, 'insert'), { recursive: true, force: true });

    // The same reads into a store without a quota and into one at its quota, each on a fresh
    // directory after a sync; both timed over the same stretch: from the batch after the ring
    // first evicted to the end.
    const runInto = async (name: string, ringBytes: number) => {
      execFileSync('sync');
      clock = start;
      const target = await SqliteReadStore.open(path.join(root, name), { now: () => clock, log: options.log, quotas: { ringBytes } });
      const endedAt: number[] = [];
      let evicted = 0;
      let firstEvicting = -1;
      const began = process.hrtime.bigint();
      for (let done = 0, batch = 0; done < evictReads; done += options.batch, batch++) {
        const { eviction } = await target.putMany(makeBatch(Math.min(options.batch, evictReads - done)));
        const n = eviction.acknowledged + eviction.expired + eviction.notUploaded;
        evicted += n;
        if (n > 0 && firstEvicting < 0) firstEvicting = batch;
        endedAt.push(Number(process.hrtime.bigint() - began) / 1e9);
      }
      const stats = await target.stats();
      await target.close();
      rmSync(path.join(root, name), { recursive: true, force: true });
      return { endedAt, evicted, firstEvicting, stats };
    };
    options.onPhase?.(`inserting ${evictReads} reads without a quota, then into a ${round(quotaBytes / (1024 * 1024), 1)} MB ring`);
    const baseline = await runInto('baseline', 1024 ** 4);
    const ring = await runInto('evict', quotaBytes);
    if (ring.firstEvicting < 0) throw new Error('the eviction run never reached its quota');
    const from = ring.firstEvicting;
    const to = ring.endedAt.length - 1;
    const measuredReads = evictReads - (from + 1) * options.batch;
    const rate = (endedAt: number[]) => measuredReads / (endedAt[to] - endedAt[from]);

    const insertPerS = options.reads / insertSeconds;
    const evictPerS = rate(ring.endedAt);
    const sameSizePerS = rate(baseline.endedAt);
    const evicted = ring.evicted;
    const atQuota = ring.stats;
    return {
      batch: options.batch,
      durability: 'WAL, synchronous=FULL (fsync at every commit)',
      crop_bytes: options.cropBytes,
      reads: options.reads,
      insert_per_s: round(insertPerS, 0),
      purge_reads: purge.recordsPurged,
      purge_100k_s: round((purgeSeconds * 100_000) / options.reads, 2),
      evict_quota_mb: round(quotaBytes / (1024 * 1024), 1),
      evict_reads: evictReads,
      evict_insert_per_s: round(evictPerS, 0),
      unconstrained_same_size_per_s: round(sameSizePerS, 0),
      evict_ratio: round(evictPerS / sameSizePerS, 3),
      evicted,
      file_mb_at_quota: round((atQuota.fileBytes + atQuota.walBytes) / (1024 * 1024), 1),
      peak_rss_mb: round(peakRss / (1024 * 1024), 0),
    };
  } finally {
    clearInterval(sampler);
    rmSync(root, { recursive: true, force: true });
  }
}
