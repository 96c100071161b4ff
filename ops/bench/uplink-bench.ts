/**
 * The uplink's throughput and alert latency on loopback: a real hub (`sightline hub serve`, its
 * own process, its own SQLite committing before each ack), a device enrolled with a one-time
 * token, the device's real encrypted store, and the real mutual-TLS WebSocket between them.
 *
 * 1. Throughput: `reads` reads with random (incompressible, like JPEG) crops are stored, then
 *    the uplink starts; reads/s is from start to the last acknowledgement.
 * 2. Alert latency: a `backlog` of reads is stored and the uplink starts on it; while it uploads,
 *    a hotlist hit is stored every `alertEveryMs`; each alert's latency is from the moment its
 *    store write begins to the hub's acknowledgement reaching the device (the hub has committed
 *    it). The time until the device has also marked it uploaded, durably, is reported beside.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import type { Logger } from '../../drivers/log';
import type { Read } from '../../firmware/pipeline/read';
import { SqliteReadStore } from '../../firmware/store/sqlite-read-store';
import { CommandHandler } from '../../firmware/uplink/command-handler';
import { UplinkClient } from '../../firmware/uplink/uplink-client';
import type { DeviceIdentity } from '../../provisioning/identity-files';
import type { HubProcess } from '../hub/hub-process';
import { PeakRss, startBenchHub } from './bench-hub';
import { benchReads } from './bench-reads';
import { latencySummary, round, type LatencySummary } from './stats';

export interface UplinkBenchOptions {
  dir: string;
  reads: number;
  backlog: number;
  cropBytes: number;
  alerts: number;
  alertEveryMs: number;
  batchReads: number;
  windowBatches: number;
  maxBufferedBytes: number;
  log: Logger;
  onPhase?: (phase: string) => void;
}

export interface UplinkBenchResult {
  reads: number;
  crop_bytes: number;
  batch_reads: number;
  window_batches: number;
  max_buffered_mb: number;
  reads_per_s: number;
  upload_mb_per_s: number;
  backlog: number;
  alerts: number;
  /** Backlog reads still not acknowledged when the last alert was acknowledged. */
  backlog_left_at_last_alert: number;
  /** Store write begun to the hub's ack received. */
  alert_ms: LatencySummary;
  alert_p99_ms: number;
  /** Store write begun to the device's durable mark of the ack. */
  alert_marked_ms: LatencySummary;
  /** Peak resident memory of the device (this process) while uploading, MB. */
  rss_mb: number;
  hub_peak_rss_mb: number | null;
}

const MB = 1024 * 1024;

export async function runUplinkBench(o: UplinkBenchOptions): Promise<UplinkBenchResult> {
  const root = mkdtempSync(path.join(o.dir, 'sightline-uplink-bench-'));
  const deviceDir = path.join(root, 'device');
  let hub: HubProcess | null = null;
  let store: SqliteReadStore | null = null;
  try {
    o.onPhase?.('starting the hub and enrolling the device');
    const started = await startBenchHub(root, o.log);
    hub = started.hub;
    const identity = started.identity;
    const needed = (o.reads + o.backlog) * (o.cropBytes + 1024) + 64 * MB;
    store = await SqliteReadStore.open(deviceDir, { quotas: { ringBytes: needed, protectedBytes: 256 * MB }, log: o.log });

    // Seen a second ago: fresh, not expired.
    const reads = benchReads(o.cropBytes, () => Date.now() - 1000);
    o.onPhase?.(`storing ${o.reads} reads with ${o.cropBytes}-byte crops`);
    await storeReads(store, reads, o.reads);
    const rss = new PeakRss();
    o.onPhase?.(`uploading ${o.reads} reads`);
    const throughput = await uploadAll(store, identity, hub.port, o, rss);

    o.onPhase?.(`storing a backlog of ${o.backlog} reads`);
    await storeReads(store, reads, o.backlog);
    o.onPhase?.(`uploading the backlog with an alert every ${o.alertEveryMs} ms`);
    const alerts = await alertsDuringBacklog(store, identity, hub.port, o, rss, reads);
    rss.stop();
    const alertMs = latencySummary(alerts.received);
    return {
      reads: o.reads,
      crop_bytes: o.cropBytes,
      batch_reads: o.batchReads,
      window_batches: o.windowBatches,
      max_buffered_mb: round(o.maxBufferedBytes / MB, 2),
      reads_per_s: Math.round(o.reads / throughput.seconds),
      upload_mb_per_s: round((o.reads * o.cropBytes) / MB / throughput.seconds, 1),
      backlog: o.backlog,
      alerts: alerts.received.length,
      backlog_left_at_last_alert: alerts.backlogLeft,
      alert_ms: alertMs,
      alert_p99_ms: alertMs.p99,
      alert_marked_ms: latencySummary(alerts.marked),
      rss_mb: round(rss.peak / MB, 1),
      hub_peak_rss_mb: hub.peakRssMb() === null ? null : round(hub.peakRssMb()!, 1),
    };
  } finally {
    await store?.close();
    await hub?.stop();
    rmSync(root, { recursive: true, force: true });
  }
}

export async function storeReads(store: SqliteReadStore, next: (count: number) => Read[], count: number): Promise<void> {
  for (let done = 0; done < count; done += 500) await store.putMany(next(Math.min(500, count - done)));
}

/** The uplink client a bench uses: the appliance's, with the bench's batching settings. */
export function benchUplinkClient(store: SqliteReadStore, identity: DeviceIdentity, port: number, o: Pick<UplinkBenchOptions, 'dir' | 'batchReads' | 'windowBatches' | 'maxBufferedBytes' | 'log'>): UplinkClient {
  const commands = new CommandHandler({ store, health: () => Promise.reject(new Error('no health in the bench')), hotlistDir: path.join(o.dir, 'unused-hotlists'), log: o.log });
  return new UplinkClient({
    identity: () => identity,
    store,
    commands,
    options: { url: `wss://localhost:${port}`, batchReads: o.batchReads, windowBatches: o.windowBatches, maxBufferedBytes: o.maxBufferedBytes },
    log: o.log,
  });
}

async function uploadAll(store: SqliteReadStore, identity: DeviceIdentity, port: number, o: UplinkBenchOptions, rss: PeakRss): Promise<{ seconds: number }> {
  const uplink = benchUplinkClient(store, identity, port, o);
  let acked = 0;
  const done = new Promise<void>((resolve) =>
    uplink.on('acked', (ids) => {
      acked += ids.length;
      if (acked >= o.reads) resolve();
    }),
  );
  rss.start();
  const start = performance.now();
  uplink.start();
  await done;
  const seconds = (performance.now() - start) / 1000;
  await uplink.stop();
  return { seconds };
}

async function alertsDuringBacklog(
  store: SqliteReadStore,
  identity: DeviceIdentity,
  port: number,
  o: UplinkBenchOptions,
  rss: PeakRss,
  next: (count: number) => Read[],
): Promise<{ received: number[]; marked: number[]; backlogLeft: number }> {
  const uplink = benchUplinkClient(store, identity, port, o);
  const started = new Map<string, number>();
  const received: number[] = [];
  const marked: number[] = [];
  let backlogAcked = 0;
  let backlogLeft = 0;
  let allAcked!: () => void;
  const finished = new Promise<void>((resolve) => (allAcked = resolve));
  uplink.on('ackReceived', (ids, lane) => {
    const now = performance.now();
    if (lane !== 'alert') return;
    for (const id of ids) {
      const t0 = started.get(id);
      if (t0 !== undefined) received.push(now - t0);
    }
  });
  uplink.on('acked', (ids, lane) => {
    const now = performance.now();
    if (lane !== 'alert') {
      backlogAcked += ids.length;
      return;
    }
    for (const id of ids) {
      const t0 = started.get(id);
      if (t0 === undefined) continue;
      marked.push(now - t0);
      started.delete(id);
    }
    if (marked.length >= o.alerts) {
      backlogLeft = o.backlog - backlogAcked;
      allAcked();
    }
  });
  uplink.start();
  // Let the backlog get going (window full, socket busy) before the first alert.
  await new Promise((resolve) => setTimeout(resolve, 500));
  for (let i = 0; i < o.alerts; i++) {
    const [read] = next(1);
    started.set(read.id, performance.now());
    await store.putMany([read], 'hit');
    uplink.notify();
    await new Promise((resolve) => setTimeout(resolve, o.alertEveryMs));
  }
  await finished;
  rss.sample();
  await uplink.stop();
  return { received, marked, backlogLeft };
}
