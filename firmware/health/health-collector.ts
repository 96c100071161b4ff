/**
 * The device's health report for central: system figures from systeminformation and os, the
 * pipeline's counters, recent read latencies, the store's use and losses, the uplink's queue,
 * the certificate's expiry, and the hotlists with warnings about them. Every input is a function,
 * so the composition root passes the live parts and tests pass fixed ones. A figure the board
 * cannot give is null, never made up.
 */
import { realpathSync, statfsSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as si from 'systeminformation';
import type { PipelineStats } from '../pipeline/read-pipeline';
import type { ReadStoreStats } from '../store/read-store';
import type { HotlistSummary } from '../hotlist/hotlist-store';
import { HEALTH_LIST_LIMIT, healthReportSchema, type HealthReport } from './health-report';
import { hotlistWarnings } from './hotlist-warnings';
import { percentile } from './percentile';

export interface HealthInputs {
  deviceId: () => string;
  softwareVersion: string;
  /** The data directory: the disk figures are of its file system. */
  dataDir: string;
  /** The camera source, as configured ("usb:/dev/video0"). */
  cameraSource: () => string;
  pipeline: () => Pick<PipelineStats, 'frames' | 'dropped' | 'still' | 'failed' | 'lostReads'>;
  /** Frame-to-stored-read latencies of recent reads, ms (RecentLatencies.values). */
  latencies: () => readonly number[];
  store: () => Promise<ReadStoreStats>;
  /** Reads stored and not yet acknowledged by central (SqliteReadStore.pendingUploads). */
  queueDepth: () => Promise<number>;
  uplink: () => { reconnects: number; lastUploadAt: number | null };
  certificateNotAfter: () => number | null;
  /**
   * The hotlists (HotlistStore.lists()): reported, and a stale or missing list raises a warning
   * (POLICY P6). The appliance always passes it; a test rig without a hotlist store may leave it
   * out, and the report then says nothing of hotlists.
   */
  hotlists?: () => HotlistSummary[];
  now?: () => number;
  /** Longest wait for one system probe (some boards answer slowly), ms; default 5000. */
  probeTimeoutMs?: number;
}

export class HealthCollector {
  private readonly now: () => number;
  /** The previous report's time and frame count: fps is over the interval since. */
  private previous: { at: number; frames: number };

  constructor(private readonly inputs: HealthInputs) {
    this.now = inputs.now ?? Date.now;
    // The first report's fps is over the time since the collector was made (the appliance's start).
    this.previous = { at: this.now(), frames: 0 };
  }

  async collect(): Promise<HealthReport> {
    const i = this.inputs;
    const timeout = i.probeTimeoutMs ?? 5000;
    const [memory, disk, temperature, store, queueDepth] = await Promise.all([
      withTimeout(si.mem(), timeout, null),
      diskOf(i.dataDir, timeout),
      withTimeout(si.cpuTemperature(), timeout, null),
      i.store(),
      i.queueDepth(),
    ]);
    const time = this.now();
    const pipeline = i.pipeline();
    const elapsedS = (time - this.previous.at) / 1000;
    const fps = elapsedS > 0 ? Math.max(0, pipeline.frames - this.previous.frames) / elapsedS : 0;
    this.previous = { at: time, frames: pipeline.frames };
    const latencies = [...i.latencies()].filter((ms) => Number.isFinite(ms) && ms >= 0).sort((a, b) => a - b);
    const load = os.loadavg();
    const uplink = i.uplink();
    const hotlists = i.hotlists?.();
    const warnings = hotlists === undefined ? [] : hotlistWarnings(hotlists, time);
    const report: HealthReport = {
      deviceId: i.deviceId(),
      time,
      software: { version: i.softwareVersion, node: process.version },
      system: {
        uptimeS: os.uptime(),
        processUptimeS: process.uptime(),
        load: [load[0], load[1], load[2]],
        memory: {
          totalBytes: memory?.total ?? os.totalmem(),
          // os.freemem leaves out reclaimable cache; systeminformation's `available` counts it.
          availableBytes: memory?.available ?? os.freemem(),
          processRssBytes: process.memoryUsage.rss(),
        },
        disk,
        cpuTemperatureC: celsius(temperature?.main),
      },
      camera: { source: i.cameraSource().slice(0, 512), fps, frames: pipeline.frames, dropped: pipeline.dropped },
      recognizer: { latencyMsMedian: percentile(latencies, 0.5), latencyMsP95: percentile(latencies, 0.95), failed: pipeline.failed, stillFrames: pipeline.still },
      store: {
        reads: store.reads,
        bytes: store.bytes,
        ringBytes: store.pools.ring.bytes,
        ringQuotaBytes: store.pools.ring.quotaBytes,
        protectedBytes: store.pools.protected.bytes,
        protectedQuotaBytes: store.pools.protected.quotaBytes,
        lostNotUploaded: store.totals.lostNotUploaded,
        lostReads: pipeline.lostReads,
        unreadableSkipped: store.unreadableSkipped,
      },
      uplink: { queueDepth, lastUploadAt: uplink.lastUploadAt, certificateNotAfter: i.certificateNotAfter(), reconnects: uplink.reconnects },
      ...(hotlists === undefined ? {} : { hotlists: hotlists.slice(0, HEALTH_LIST_LIMIT).map((l) => ({ ...l })) }),
      warnings: warnings.slice(0, HEALTH_LIST_LIMIT),
    };
    // The hub validates with the same schema: a report that breaks it fails here, naming the field.
    return healthReportSchema.parse(report);
  }
}

/** The last `size` read latencies (ms), for the health report's median and p95. */
export class RecentLatencies {
  private readonly ring: number[] = [];
  private next = 0;

  constructor(private readonly size = 1000) {}

  add(ms: number): void {
    if (this.ring.length < this.size) this.ring.push(ms);
    else this.ring[this.next] = ms;
    this.next = (this.next + 1) % this.size;
  }

  values(): readonly number[] {
    return this.ring;
  }
}


/** A temperature reading, or null where the board has none (systeminformation gives null or -1). */
function celsius(value: number | null | undefined): number | null {
  return typeof value === 'number' && Number.isFinite(value) && value > -100 && value !== -1 ? value : null;
}

/** Size and free space of the file system holding `dir`: systeminformation's mount, else statfs. */
async function diskOf(dir: string, timeoutMs: number): Promise<HealthReport['system']['disk']> {
  const real = realOrResolved(dir);
  const mounts = await withTimeout(si.fsSize(), timeoutMs, []);
  const mount = mounts
    .filter((m) => typeof m.mount === 'string' && isInside(real, m.mount) && Number.isFinite(m.size) && Number.isFinite(m.available))
    .sort((a, b) => b.mount.length - a.mount.length)[0];
  if (mount !== undefined) return { path: real, totalBytes: Math.round(mount.size), freeBytes: Math.round(Math.max(0, mount.available)) };
  const fs = statfsSync(real);
  return { path: real, totalBytes: fs.blocks * fs.bsize, freeBytes: fs.bavail * fs.bsize };
}

function realOrResolved(dir: string): string {
  try {
    return realpathSync(dir);
  } catch {
    return path.resolve(dir);
  }
}

function isInside(file: string, mount: string): boolean {
  const relative = path.relative(mount, file);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

function withTimeout<T, F>(promise: Promise<T>, ms: number, fallback: F): Promise<T | F> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(fallback), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      () => {
        clearTimeout(timer);
        resolve(fallback);
      },
    );
  });
}
