/**
 * The read store's throughput on this disk: sustained encrypted insert, purge of 100,000
 * expired reads (crypto-shredding, secure delete, WAL truncation), and insert while the ring
 * evicts at its quota. Real files in a throwaway directory, real fsyncs (synchronous=FULL).
 */
import { execFileSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import type { Logger } from '../../drivers/log';
import type { Read } from '../../firmware/pipeline/read';
import { SqliteReadStore } from '../../firmware/store/sqlite-read-store';
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
  /** Insert rate of the unconstrained run over the same stretch of reads the eviction run was timed on: its baseline. */
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
  const crops = Array.from({ length: 16 }, () => randomBytes(options.cropBytes));
  const start = Date.now();
  let clock = start;
  let seq = 0;
  const makeBatch = (n: number): Read[] =>
    Array.from({ length: n }, () => {
      const i = seq++;
      const firstSeen = start - 60_000 + (i % 60_000);
      return {
        id: randomUUID(),
        plate: `B${(100000 + (i % 900000)).toString()}`,
        confidence: 0.9,
        alternatives: [{ plate: `8${(100000 + (i % 900000)).toString()}`, confidence: 0.2 }],
        crop: crops[i % crops.length],
        quad: [{ x: 10, y: 20 }, { x: 110, y: 20 }, { x: 110, y: 50 }, { x: 10, y: 50 }],
        firstSeen,
        lastSeen: firstSeen + 800,
        frameCount: 5,
        sourceId: 'bench',
        format: 'us-standard',
      };
    });
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
    // When each batch of the unconstrained run ended: the eviction run is compared with the same
    // stretch of reads here (from where its ring filled up to its last read).
    const unconstrainedAt: number[] = [0];
    for (let done = 0; done < options.reads; done += options.batch) {
      await store.putMany(makeBatch(Math.min(options.batch, options.reads - done)));
      unconstrainedAt.push(Number(process.hrtime.bigint() - t0) / 1e9);
    }
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

    execFileSync('sync');
    options.onPhase?.(`inserting ${evictReads} reads into a ${round(quotaBytes / (1024 * 1024), 1)} MB ring`);
    clock = start;
    const ring = await SqliteReadStore.open(path.join(root, 'evict'), { now: () => clock, log: options.log, quotas: { ringBytes: quotaBytes } });
    let evicted = 0;
    let firstEvictingBatch = -1;
    let measuring = 0n;
    let batches = 0;
    for (let done = 0; done < evictReads; done += options.batch, batches++) {
      const { eviction } = await ring.putMany(makeBatch(Math.min(options.batch, evictReads - done)));
      const n = eviction.acknowledged + eviction.expired + eviction.notUploaded;
      evicted += n;
      // Timed from the end of the first batch that had to evict: the rate at the quota, not filling up to it.
      if (n > 0 && firstEvictingBatch < 0) {
        firstEvictingBatch = batches;
        measuring = process.hrtime.bigint();
      }
    }
    if (firstEvictingBatch < 0) throw new Error('the eviction run never reached its quota');
    const evictSeconds = Number(process.hrtime.bigint() - measuring) / 1e9;
    const measuredReads = (batches - firstEvictingBatch - 1) * options.batch;
    const atQuota = await ring.stats();
    await ring.close();

    const insertPerS = options.reads / insertSeconds;
    const evictPerS = measuredReads / evictSeconds;
    const last = Math.min(batches, unconstrainedAt.length - 1);
    const sameSizePerS = ((last - firstEvictingBatch - 1) * options.batch) / (unconstrainedAt[last] - unconstrainedAt[firstEvictingBatch + 1]);
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
