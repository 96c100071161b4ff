import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { SyntheticTrafficSource } from '../../drivers/camera/synthetic/synthetic-source';
import type { Logger } from '../../drivers/log';
import type { Config } from '../../firmware/config/schema';
import { Appliance } from '../../firmware/main/appliance';
import { editDistance } from '../../firmware/pipeline/edit-distance';
import { quantile, round } from './stats';
import { DEMO_FEATURED_PLATES } from '../../drivers/camera/synthetic/featured-plates';
import { Random } from '../../drivers/camera/synthetic/random';
import { HotlistStore } from '../../firmware/hotlist/hotlist-store';
import { benchEntries } from './hotlist-bench';
import { demoHotlist } from '../hub/demo-hotlist';

/** `count` random entries over three lists, and the demo hub's DEMO list (its plates by each rule), in the appliance's hotlist directory. */
async function writeBenchHotlist(dir: string, count: number, seed: number): Promise<void> {
  const now = Date.now();
  const entries = benchEntries(Random.stream(seed, 'pipeline-hotlist'), count, now);
  const hotlists = await HotlistStore.open(dir);
  for (const list of new Set(entries.map((e) => e.list))) {
    await hotlists.replace(list, entries.filter((e) => e.list === list), { source: 'file', version: null, refreshedAt: now });
  }
  const demo = demoHotlist(now);
  await hotlists.replace(demo.list, demo.entries, { source: 'file', version: null, refreshedAt: now });
}

export interface PipelineBenchOptions {
  seconds: number;
  /** Scene seed, fixed by default so runs are comparable. */
  seed: number;
  config: Config;
  log: Logger;
  /**
   * Hotlist entries the appliance holds (0: none, the figures comparable with runs before
   * hotlists). With some, the demo hub's DEMO list too, its plates shown on 10% of vehicles, so the
   * run includes alerts: frames handed back, evidence kept and encoded, alerts stored.
   */
  hotlistEntries?: number;
  onProgress?: (elapsedSeconds: number, reads: number) => void;
}

export interface PipelineBenchResult {
  /** Frames through the recognizer per second, those the motion gate passed unread (`still_frames`) included. */
  fps: number;
  /** Frames read (finder and OCR run) per second. */
  read_fps: number;
  frames: number;
  /** Frames the motion gate passed unread: nothing moved since the last frame read (recognizer.motionGate). */
  still_frames: number;
  dropped: number;
  vehicles: number;
  reads: number;
  correct: number;
  latency_ms: { p50: number; p99: number };
  /**
   * Median time of each stage per frame read (still frames not counted), ms; ocr over frames with
   * a plate candidate, vote is the tracker's, on the main thread (every frame).
   */
  stages_ms: { decode: number; preprocess: number; localize: number; ocr: number; vote: number };
  rss_mb: number;
  /** Reads whose plate matched no vehicle of the scene. */
  wrong: number;
  /** Reads of a vehicle that had been read already (one vehicle, two reads). */
  duplicates: number;
  /** Vehicles that crossed and were never read correctly. */
  missed: { plate: string; readAs: string[] }[];
  /** Entries held and alerts raised (hotlistEntries). */
  hotlist_entries: number;
  alerts: number;
}

/**
 * The synthetic camera, live at its frame rate, through the whole appliance (workers, tracker,
 * SQLite store in a throwaway directory), scored against the scene's ground truth.
 */
export async function runPipelineBench(options: PipelineBenchOptions): Promise<PipelineBenchResult> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'sightline-bench-'));
  const config: Config = { ...options.config, store: { ...options.config.store, dataDir, keyFile: null } };
  const entries = options.hotlistEntries ?? 0;
  if (entries > 0) await writeBenchHotlist(path.join(dataDir, 'hotlists'), entries, options.seed);
  const source = new SyntheticTrafficSource(
    // Without hotlists no featured (demo) plates: each vehicle a new plate, so duplicate reads are counted right and runs compare with earlier ones.
    { ...config.camera.synthetic, featuredShare: entries > 0 ? 0.1 : 0, seed: options.seed, realtime: true, durationSeconds: options.seconds },
    options.log.child({ part: 'camera' }),
  );
  const reads: string[] = [];
  const latencies: number[] = [];
  const stages: Record<keyof PipelineBenchResult['stages_ms'], number[]> = { decode: [], preprocess: [], localize: [], ocr: [], vote: [] };
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 100);
  const start = performance.now();
  const progress = options.onProgress
    ? setInterval(() => options.onProgress!((performance.now() - start) / 1000, reads.length), 500)
    : null;
  let appliance: Appliance | null = null;
  try {
    appliance = await Appliance.start(config, options.log, { source });
    const runStart = performance.now();
    appliance.pipeline.on('read', (read, latencyMs) => {
      reads.push(read.plate);
      latencies.push(latencyMs);
    });
    appliance.pipeline.on('recognized', (_frame, result, voteMs) => {
      stages.vote.push(voteMs);
      if (result.still) return;
      for (const stage of ['decode', 'preprocess', 'localize'] as const) stages[stage].push(result.timings[stage]);
      // Most frames show no plate and read nothing: OCR's median is over the frames that had one.
      if (result.candidates.length > 0) stages.ocr.push(result.timings.ocr);
    });
    await appliance.pipeline.finished();
    const seconds = (performance.now() - runStart) / 1000;
    const stats = appliance.pipeline.stats();
    const hotlistEntries = appliance.alerts.stats().entries;
    await appliance.stop();
    appliance = null;

    const crossed = source.vehiclesCompleted();
    const unmatched = [...reads];
    let correct = 0;
    const missed: PipelineBenchResult['missed'] = [];
    for (const vehicle of crossed) {
      const i = unmatched.indexOf(vehicle.text);
      if (i >= 0) {
        unmatched.splice(i, 1);
        correct++;
      } else missed.push({ plate: vehicle.text, readAs: [] });
    }
    const allTexts = new Set(source.vehicles().map((v) => v.text));
    for (const m of missed) m.readAs = unmatched.filter((r) => !allTexts.has(r) && editDistance(r, m.plate, 3) <= 3);
    return {
      fps: round(stats.recognized / seconds, 2),
      read_fps: round((stats.recognized - stats.still) / seconds, 2),
      frames: stats.frames,
      still_frames: stats.still,
      dropped: stats.dropped,
      vehicles: crossed.length,
      reads: reads.length,
      correct,
      latency_ms: { p50: round(quantile(latencies, 0.5)), p99: round(quantile(latencies, 0.99)) },
      stages_ms: {
        decode: round(quantile(stages.decode, 0.5), 2),
        preprocess: round(quantile(stages.preprocess, 0.5), 2),
        localize: round(quantile(stages.localize, 0.5), 2),
        ocr: round(quantile(stages.ocr, 0.5), 2),
        vote: round(quantile(stages.vote, 0.5), 3),
      },
      rss_mb: round(peakRss / (1024 * 1024)),
      wrong: reads.filter((r) => !allTexts.has(r)).length,
      // The demo plates recur by design when hotlists are on: repeats of them are not duplicates.
      duplicates: reads.filter((r) => !DEMO_FEATURED_PLATES.includes(r)).length - new Set(reads.filter((r) => !DEMO_FEATURED_PLATES.includes(r))).size,
      missed,
      hotlist_entries: hotlistEntries,
      alerts: stats.alerts,
    };
  } finally {
    clearInterval(sampler);
    if (progress) clearInterval(progress);
    await appliance?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
