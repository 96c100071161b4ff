import { existsSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { PlateFormatRules } from '../../firmware/pipeline/plate-format';
import { RecognizerPool } from '../../recognizer/recognizer-pool';
import { runAccuracyBench } from '../bench/accuracy-bench';
import { runPipelineBench } from '../bench/pipeline-bench';
import { runOcrBench } from '../bench/ocr-bench';
import { runStoreBench } from '../bench/store-bench';
import type { Split } from '../bench/holdout';
import { PlateReader } from '../../recognizer/plate-reader';
import { CliError } from './cli-error';
import { loadContext, out } from './cli-context';
import { progressBar, type Progress } from './progress';
import { readerOptions } from '../../firmware/main/reader-options';

/** `dir` when it is a directory. @throws CliError naming the command and the path otherwise. */
function existingDirectory(command: string, dir: string): string {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new CliError(`${command}: ${dir} is not a directory`);
  return dir;
}

/** Where a bench's throwaway directories go: --dir, or the temp directory. */
function workDirectory(command: string, dir: string | undefined): string {
  return existingDirectory(command, path.resolve(dir ?? tmpdir()));
}

export interface AccuracyBenchOptions {
  config?: string;
  workers?: number;
  split?: Split;
  json?: boolean;
}

/** `sightline bench accuracy DIR`: each labelled image's best reading and time, then a summary. */
export async function benchAccuracyCommand(dir: string, options: AccuracyBenchOptions): Promise<number> {
  existingDirectory('bench accuracy', dir);
  const { config, log } = loadContext(options.config, 'warn');
  const pool = await RecognizerPool.start({
    workers: options.workers ?? 1,
    reader: readerOptions(config.recognizer),
    log,
  });
  const progress: { bar: Progress | null } = { bar: null };
  let correct = 0;
  try {
    const split = options.split ?? 'all';
    const { summary, unlabelled } = await runAccuracyBench(path.resolve(dir), pool, new PlateFormatRules(config.pipeline.plateFormat), split, (o, done, total) => {
      if (o.top1) correct++;
      progress.bar ??= progressBar(total, 'bench accuracy [{bar}] {value}/{total} images | top1 {top1}');
      progress.bar.update(done, { top1: (correct / done).toFixed(3) });
      const verdict = o.error ? `ERROR ${o.error}` : o.top1 ? 'ok' : !o.found ? 'not found' : o.topN ? 'misread (label among candidates)' : 'misread';
      out(`${path.basename(o.image)}\t${o.label}\t${o.best ?? '-'}\t${o.latencyMs.toFixed(0)} ms\t${verdict}`);
    });
    progress.bar?.stop();
    if (unlabelled.length > 0) process.stderr.write(`bench accuracy: ${unlabelled.length} image(s) without a .txt label skipped\n`);
    if (summary.images === 0) throw new CliError(`bench accuracy: no labelled images in ${dir} (split ${split})`);
    out(
      options.json
        ? JSON.stringify(summary)
        : `${summary.images} images: top1 ${summary.top1}, topN ${summary.topN}, latency median ${summary.latency_ms.median} ms, p95 ${summary.latency_ms.p95} ms`,
    );
  } finally {
    progress.bar?.stop();
    await pool.close();
  }
  return 0;
}

export interface OcrBenchOptions {
  config?: string;
  split: Split;
  json?: boolean;
}

/** `sightline bench ocr DIR`: the plate OCR alone on each labelled crop, one thread, then a summary. */
export async function benchOcrCommand(dir: string, options: OcrBenchOptions): Promise<number> {
  existingDirectory('bench ocr', dir);
  const { config } = loadContext(options.config, 'warn');
  // One reader in this thread: the figure is the OCR's own time, without worker hand-offs.
  const reader = await PlateReader.load({ ...readerOptions(config.recognizer), threads: 1, localizer: 'finder', textFallbackBelow: 0 });
  let bar: Progress | null = null;
  let correct = 0;
  try {
    const { summary } = await runOcrBench(path.resolve(dir), reader, new PlateFormatRules(config.pipeline.plateFormat), options.split, (o, done, total) => {
      if (o.top1) correct++;
      bar ??= progressBar(total, 'bench ocr [{bar}] {value}/{total} crops | top1 {top1}');
      bar.update(done, { top1: (correct / done).toFixed(3) });
      const verdict = o.error ? `ERROR ${o.error}` : o.top1 ? 'ok' : o.topN ? 'in candidates' : 'MISS';
      out(`${path.basename(o.image)}\t${o.label}\t${o.best ?? '-'}\t${o.ocrMs === null ? '-' : o.ocrMs.toFixed(2)} ms\t${verdict}`);
    });
    (bar as Progress | null)?.stop();
    if (summary.crops === 0) throw new CliError(`bench ocr: no labelled crops in ${dir} (split ${options.split})`);
    out(
      options.json
        ? JSON.stringify(summary)
        : `${summary.crops} crops (${summary.split}): top1 ${summary.top1}, topN ${summary.topN}, OCR median ${summary.ocr_ms.median} ms, p95 ${summary.ocr_ms.p95} ms`,
    );
  } finally {
    (bar as Progress | null)?.stop();
  }
  return 0;
}

export interface PipelineBenchOptions {
  config?: string;
  seconds?: number;
  seed?: number;
  hotlistEntries?: number;
  json?: boolean;
}

/** `sightline bench pipeline`: the synthetic camera through the whole appliance, scored. */
export async function benchPipelineCommand(options: PipelineBenchOptions): Promise<number> {
  const { config, log } = loadContext(options.config, 'warn');
  const seconds = options.seconds ?? 30;
  const bar = progressBar(Math.ceil(seconds), 'bench pipeline [{bar}] {value}/{total} s | {reads} reads');
  try {
    const result = await runPipelineBench({
      seconds,
      seed: options.seed ?? 1,
      config,
      log,
      hotlistEntries: options.hotlistEntries ?? 0,
      onProgress: (elapsed, reads) => bar.update(Math.min(Math.floor(elapsed), Math.ceil(seconds)), { reads }),
    });
    bar.stop();
    for (const m of result.missed) out(`missed ${m.plate}${m.readAs.length ? ` (read as ${m.readAs.join(', ')})` : ''}`);
    const { missed: _missed, wrong, duplicates, ...summary } = result;
    out(
      options.json
        ? JSON.stringify({ ...summary, wrong, duplicates })
        : `${summary.vehicles} vehicles, ${summary.correct} read correctly, ${wrong} wrong reads, ${duplicates} duplicates; ${summary.fps} fps (${summary.read_fps} read), ` +
            `${summary.frames} frames, ${summary.still_frames} still (motion gate), ${summary.dropped} dropped; latency p50 ${summary.latency_ms.p50} ms, p99 ${summary.latency_ms.p99} ms; peak RSS ${summary.rss_mb} MB` +
            (summary.hotlist_entries > 0 ? `; ${summary.alerts} alerts against ${summary.hotlist_entries} hotlist entries` : ''),
    );
  } finally {
    bar.stop();
  }
  return 0;
}

export interface StoreBenchCommandOptions {
  config?: string;
  dir?: string;
  reads: number;
  batch: number;
  cropBytes: number;
  json?: boolean;
}

/** `sightline bench store`: insert, purge and eviction throughput of the encrypted store. */
export async function benchStoreCommand(options: StoreBenchCommandOptions): Promise<number> {
  // Error level: the eviction run loses reads by design, and a warning for each batch says nothing new.
  const { log } = loadContext(options.config, 'error');
  const dir = workDirectory('bench store', options.dir);
  const result = await runStoreBench({
    dir,
    reads: options.reads,
    batch: options.batch,
    cropBytes: options.cropBytes,
    evictQuotaMB: 200,
    log,
    onPhase: (phase) => process.stderr.write(`bench store: ${phase}\n`),
  });
  if (!options.json) {
    out(`insert: ${result.insert_per_s} reads/s (${result.crop_bytes}-byte crops, ${result.batch} per transaction, ${result.durability})`);
    out(`purge of ${result.purge_reads} expired reads: ${result.purge_100k_s} s per 100,000`);
    out(`insert at a ${result.evict_quota_mb} MB ring quota: ${result.evict_insert_per_s} reads/s (${(100 * result.evict_ratio).toFixed(1)}% of the ${result.unconstrained_same_size_per_s} reads/s of as many reads without a quota), ${result.evicted} evicted, ${result.file_mb_at_quota} MB on disk`);
  } else {
    out(JSON.stringify(result));
  }
  out(JSON.stringify({ insert_per_s: result.insert_per_s, purge_100k_s: result.purge_100k_s, evict_insert_per_s: result.evict_insert_per_s }));
  return 0;
}

export interface UplinkBenchCommandOptions {
  config?: string;
  dir?: string;
  reads: number;
  backlog: number;
  cropBytes: number;
  alerts: number;
  alertEveryMs: number;
  batchReads?: number;
  windowBatches?: number;
  maxBufferedMb?: number;
  json?: boolean;
}

/** `sightline bench uplink`: reads/s to a real hub on loopback, and alert latency behind a backlog. */
export async function benchUplinkCommand(options: UplinkBenchCommandOptions): Promise<number> {
  const { config, log } = loadContext(options.config, 'error');
  const dir = workDirectory('bench uplink', options.dir);
  const { runUplinkBench } = await import('../bench/uplink-bench');
  // The appliance's own uplink settings, unless the command line overrides them.
  const result = await runUplinkBench({
    ...options,
    batchReads: options.batchReads ?? config.uplink.batchReads,
    windowBatches: options.windowBatches ?? config.uplink.windowBatches,
    maxBufferedBytes: Math.round((options.maxBufferedMb ?? config.uplink.maxBufferedMB) * 1024 * 1024),
    dir,
    log, onPhase: (phase) => process.stderr.write(`bench uplink: ${phase}\n`) });
  if (!options.json) {
    out(`upload: ${result.reads_per_s} reads/s acknowledged (${result.upload_mb_per_s} MB/s of crops; ${result.crop_bytes}-byte crops, ${result.batch_reads} per batch, ${result.window_batches} batches in flight, ${result.max_buffered_mb} MB socket buffer)`);
    out(`alerts behind a ${result.backlog}-read backlog, stored to the hub's ack: median ${result.alert_ms.median} ms, p95 ${result.alert_ms.p95} ms, p99 ${result.alert_ms.p99} ms, max ${result.alert_ms.max} ms (${result.alerts} alerts; ${result.backlog_left_at_last_alert} backlog reads still queued at the last)`);
    out(`  ... to marked uploaded on the device: median ${result.alert_marked_ms.median} ms, p99 ${result.alert_marked_ms.p99} ms`);
    out(`device peak RSS while uploading: ${result.rss_mb} MB; hub peak RSS ${result.hub_peak_rss_mb ?? '?'} MB`);
  } else {
    out(JSON.stringify(result));
  }
  out(JSON.stringify({ reads_per_s: result.reads_per_s, alert_p99_ms: result.alert_p99_ms, rss_mb: result.rss_mb }));
  return 0;
}

export interface HotlistBenchCommandOptions {
  config?: string;
  dir?: string;
  entries: number;
  reads: number;
  pairs: number;
  backlog: number;
  alerts: number;
  vehicleEveryMs: number;
  seed: number;
  json?: boolean;
}

/**
 * `sightline bench hotlist`: match time per read against a large set of lists, fuzzy false
 * positives on random plate pairs, and the time from the tracker emitting a hit to the hub's
 * acknowledgement of its alert behind an upload backlog.
 */
export async function benchHotlistCommand(options: HotlistBenchCommandOptions): Promise<number> {
  const { config, log } = loadContext(options.config, 'error');
  const dir = workDirectory('bench hotlist', options.dir);
  const progress = (phase: string) => process.stderr.write(`bench hotlist: ${phase}\n`);
  const { runMatchBench } = await import('../bench/hotlist-bench');
  const { runAlertBench } = await import('../bench/alert-bench');
  progress(`matching ${options.reads} reads against ${options.entries} entries; ${options.pairs} random pairs for fuzzy false positives`);
  const match = runMatchBench({ entries: options.entries, reads: options.reads, seed: options.seed, pairs: options.pairs });
  const alert = await runAlertBench({
    dir,
    entries: options.entries,
    backlog: options.backlog,
    alerts: options.alerts,
    vehicleEveryMs: options.vehicleEveryMs,
    cropBytes: 20 * 1024,
    seed: options.seed,
    tracker: config.pipeline.tracker,
    batchReads: config.uplink.batchReads,
    windowBatches: config.uplink.windowBatches,
    maxBufferedBytes: Math.round(config.uplink.maxBufferedMB * 1024 * 1024),
    log,
    onPhase: progress,
  });
  if (!options.json) {
    out(`match: ${match.entries} entries (built in ${match.build_ms} ms), ${match.reads} reads of ${match.texts_per_read} texts each: median ${match.match_median_ms} ms, p99 ${match.match_p99_ms} ms, max ${match.match_max_ms} ms`);
    out(`  hits by rule: exact ${match.hits.exact}, alternative ${match.hits.alternative}, wildcard ${match.hits.wildcard}, fuzzy ${match.hits.fuzzy}`);
    out(`fuzzy false positives on ${match.fuzzy_pairs} random pairs differing in 2+ characters: ${match.fuzzy_false_positives} (with two confusables allowed: ${match.fuzzy_false_positives_cap2})`);
    out(`alerts behind a ${alert.backlog}-read backlog, tracker emit to hub ack: median ${alert.alert_ms.median} ms, p95 ${alert.alert_ms.p95} ms, p99 ${alert.alert_ms.p99} ms, max ${alert.alert_ms.max} ms (${alert.alerts} alerts; at least ${alert.backlog_min_queued} backlog reads queued at each, ${alert.backlog_uploaded} uploaded meanwhile)`);
    out(`  ... emit to stored (matched, frame encoded, sealed): median ${alert.stored_ms.median} ms, p99 ${alert.stored_ms.p99} ms; frame JPEG median ${alert.frame_jpeg_kb_median} kB; ${alert.frames_missing} without a frame; device peak RSS ${alert.rss_mb} MB`);
  } else {
    out(JSON.stringify({ match, alert }));
  }
  out(JSON.stringify({ match_p99_ms: match.match_p99_ms, alert_p99_ms: alert.alert_p99_ms, fuzzy_false_positives: match.fuzzy_false_positives }));
  return 0;
}
