/**
 * The alert half of `bench hotlist`: time from the tracker emitting a read that hits to the hub
 * acknowledging its alert, while the uplink works through an upload backlog.
 *
 * Everything on the path is the appliance's own: the PlateTracker, the ReadPipeline matching
 * each read against the device's HotlistStore (100,000 entries by default) through the
 * AlertRaiser, the full 1080p frame encoded as JPEG for evidence, the encrypted store
 * (`putAlert`), the UplinkClient's alert lane, and a real hub (`sightline hub serve`, its own
 * process) over mutual TLS, which commits before it acks. Only recognition is left out: frames
 * come from a queue and a stand-in recognizer returns each frame's planted plate, so the figure
 * is the alert path alone (recognition time is `bench pipeline`'s).
 *
 * Traffic: one vehicle every `vehicleEveryMs`, three frames 40 ms apart, alternating a plate on
 * the list and a plate that is not. The backlog: `backlog` stored reads wait for upload when the
 * first vehicle passes, and are topped up as central acknowledges them (in writes of 50 reads),
 * so every alert is sent with about that many reads queued behind (or ahead of) it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Frame, FrameImage, FrameSource } from '../../drivers/camera/frame';
import type { Logger } from '../../drivers/log';
import { Random } from '../../drivers/camera/synthetic/random';
import { SyntheticTrafficSource } from '../../drivers/camera/synthetic/synthetic-source';
import type { FrameRecognition, PlateCandidate } from '../../recognizer/candidate';
import { AlertRaiser } from '../../firmware/hotlist/alert-raiser';
import { HotlistStore } from '../../firmware/hotlist/hotlist-store';
import { PlateFormatRules } from '../../firmware/pipeline/plate-format';
import { ReadPipeline, type FrameRecognizer } from '../../firmware/pipeline/read-pipeline';
import { PlateTracker, type FrameStamp, type TrackedRead, type TrackerOptions } from '../../firmware/pipeline/tracker';
import { SqliteReadStore } from '../../firmware/store/sqlite-read-store';
import type { HubProcess } from '../hub/hub-process';
import { PeakRss, startBenchHub } from './bench-hub';
import { benchReads } from './bench-reads';
import { benchEntries } from './hotlist-bench';
import { latencySummary, round, type LatencySummary } from './stats';
import { benchUplinkClient, storeReads } from './uplink-bench';

export interface AlertBenchOptions {
  dir: string;
  /** Hotlist entries the device holds. */
  entries: number;
  /** Reads stored and waiting to upload when the alerts begin. */
  backlog: number;
  alerts: number;
  vehicleEveryMs: number;
  cropBytes: number;
  seed: number;
  tracker: TrackerOptions;
  batchReads: number;
  windowBatches: number;
  maxBufferedBytes: number;
  log: Logger;
  onPhase?: (phase: string) => void;
}

export interface AlertBenchResult {
  entries: number;
  backlog: number;
  alerts: number;
  /** Tracker emitted the read to the hub's ack received by the device. */
  alert_ms: LatencySummary;
  alert_p99_ms: number;
  /** Tracker emitted to the alert stored (matched, frame encoded, sealed, committed). */
  stored_ms: LatencySummary;
  /** The fewest backlog reads waiting to upload when an alert was acknowledged. */
  backlog_min_queued: number;
  /** Backlog reads central acknowledged while the alerts were measured. */
  backlog_uploaded: number;
  frame_jpeg_kb_median: number;
  /** Alerts that went without their frame (should be 0). */
  frames_missing: number;
  rss_mb: number;
}

const FRAME_GAP_MS = 40;
const LANES = 8;
const TOP_UP_READS = 50;
const FRAMES_PER_VEHICLE = 3;
const MB = 1024 * 1024;

export async function runAlertBench(o: AlertBenchOptions): Promise<AlertBenchResult> {
  if (o.vehicleEveryMs * LANES <= o.tracker.windowMs) {
    throw new RangeError(`bench hotlist: one vehicle every ${o.vehicleEveryMs} ms reuses a place within the tracker's ${o.tracker.windowMs} ms window; use at least ${Math.ceil(o.tracker.windowMs / LANES) + 1} ms`);
  }
  const root = mkdtempSync(path.join(o.dir, 'sightline-alert-bench-'));
  let hub: HubProcess | null = null;
  let store: SqliteReadStore | null = null;
  let raiser: AlertRaiser | null = null;
  try {
    o.onPhase?.('starting the hub and enrolling the device');
    const started = await startBenchHub(root, o.log);
    hub = started.hub;
    // Room for the backlog twice over: acknowledged reads are evicted first as it is topped up.
    store = await SqliteReadStore.open(path.join(root, 'device'), { quotas: { ringBytes: 2 * (o.backlog + 4 * o.alerts) * (o.cropBytes + 1024) + 64 * MB, protectedBytes: 512 * MB }, log: o.log });

    o.onPhase?.(`loading ${o.entries} hotlist entries`);
    const rng = Random.stream(o.seed, 'alert-bench');
    const entries = benchEntries(rng, o.entries, Date.now());
    const hotlists = await HotlistStore.open(path.join(root, 'device', 'hotlists'));
    for (const list of new Set(entries.map((e) => e.list))) {
      await hotlists.replace(list, entries.filter((e) => e.list === list), { source: 'central', version: 1, refreshedAt: Date.now() });
    }
    raiser = new AlertRaiser(hotlists);
    const listed = entries.filter((e) => e.expiresAt === null && !/[?*]/.test(e.plate)).map((e) => e.plate);

    o.onPhase?.(`storing a backlog of ${o.backlog} reads`);
    const backlogReads = benchReads(o.cropBytes, () => Date.now() - 1000);
    await storeReads(store, backlogReads, o.backlog);

    o.onPhase?.('rendering a 1920x1080 frame');
    const image = await sceneFrame(o.seed);
    const result = await measure(o, store, raiser, started.identity, hub.port, image, () => rng.pick(listed), rng, backlogReads);
    return { entries: o.entries, backlog: o.backlog, ...result };
  } finally {
    raiser?.close();
    await store?.close();
    await hub?.stop();
    rmSync(root, { recursive: true, force: true });
  }
}

async function measure(
  o: AlertBenchOptions,
  store: SqliteReadStore,
  raiser: AlertRaiser,
  identity: Parameters<typeof benchUplinkClient>[1],
  port: number,
  image: FrameImage,
  listedPlate: () => string,
  rng: Random,
  backlogReads: ReturnType<typeof benchReads>,
): Promise<Omit<AlertBenchResult, 'entries' | 'backlog'>> {
  const source = new QueueSource();
  const tracker = new TimedTracker(o.tracker, new PlateFormatRules({ region: 'us', mode: 'downrank', custom: [] }));
  const pipeline = new ReadPipeline(source, new PlantedRecognizer(o.cropBytes), tracker, store, o.log, { whenBusy: 'wait', alerts: raiser });
  const uplink = benchUplinkClient(store, identity, port, o);
  const rss = new PeakRss();
  const emitted = tracker.emittedAt;
  const stored: number[] = [];
  const acked: number[] = [];
  const frameBytes: number[] = [];
  let framesMissing = 0;
  let backlogAcked = 0;
  /** Backlog-lane reads stored and not yet acknowledged: the stored backlog, top-ups, and passing vehicles that hit nothing. */
  let queued = o.backlog;
  let minQueued = Number.POSITIVE_INFINITY;
  const alertIds = new Set<string>();
  // Tops the backlog up as central acknowledges it, write after write, so it never runs dry.
  let measuring = true;
  const refill = (async () => {
    while (measuring) {
      if (queued >= o.backlog) {
        await sleep(20);
        continue;
      }
      // In writes of at most 50 reads (1 MB): the appliance itself stores reads one at a time.
      const n = Math.min(TOP_UP_READS, o.backlog - queued);
      queued += n;
      try {
        await storeReads(store, backlogReads, n);
        uplink.notify();
      } catch (err) {
        o.log.error({ err: (err as Error).message }, 'bench hotlist: topping up the backlog failed');
        await sleep(100);
      }
    }
  })();
  let allAcked!: () => void;
  const finished = new Promise<void>((resolve) => (allAcked = resolve));
  pipeline.on('read', (read) => {
    if (!alertIds.has(read.id)) queued++;
    uplink.notify();
  });
  pipeline.on('alert', ({ read, details }) => {
    alertIds.add(read.id);
    stored.push(performance.now() - (emitted.get(read.id) ?? Number.NaN));
    if (details.frame) frameBytes.push(details.frame.jpeg.length);
    else framesMissing++;
  });
  uplink.on('ackReceived', (ids, lane) => {
    const now = performance.now();
    if (lane !== 'alert') {
      backlogAcked += ids.length;
      queued -= ids.length;
      return;
    }
    minQueued = Math.min(minQueued, queued);
    for (const id of ids) {
      const t0 = emitted.get(id);
      if (t0 === undefined) continue;
      acked.push(now - t0);
      emitted.delete(id);
    }
    if (acked.length >= o.alerts) allAcked();
  });

  try {
    await drive(o, pipeline, uplink, source, rss, image, listedPlate, () => unlistedPlate(rng, raiser));
    const timeout = setTimeout(allAcked, 60_000);
    await finished;
    clearTimeout(timeout);
  } finally {
    measuring = false;
    await refill;
  }
  rss.stop();
  source.end();
  await pipeline.stop();
  await uplink.stop();
  if (acked.length < o.alerts) {
    const p = pipeline.stats();
    const r = raiser.stats();
    throw new Error(
      `bench hotlist: only ${acked.length} of ${o.alerts} alerts were acknowledged within 60 s of the last ` +
        `(pipeline: ${p.frames} frames, ${p.reads} reads, ${p.alerts} alerts stored, ${p.lostReads} lost; matcher: ${r.readsMatched} reads matched, ${r.hits} hits)`,
    );
  }
  const alertMs = latencySummary(acked);
  return {
    alerts: acked.length,
    alert_ms: alertMs,
    alert_p99_ms: alertMs.p99,
    stored_ms: latencySummary(stored),
    backlog_min_queued: Number.isFinite(minQueued) ? minQueued : 0,
    backlog_uploaded: backlogAcked,
    frame_jpeg_kb_median: round(latencySummary(frameBytes).median / 1024, 1),
    frames_missing: framesMissing,
    rss_mb: round(rss.peak / MB, 1),
  };
}

/** Starts the pipeline and the uplink, then sends the traffic: a listed plate and an unlisted one, in turn. */
async function drive(
  o: AlertBenchOptions,
  pipeline: ReadPipeline,
  uplink: ReturnType<typeof benchUplinkClient>,
  source: QueueSource,
  rss: PeakRss,
  image: FrameImage,
  listedPlate: () => string,
  unlisted: () => string,
): Promise<void> {
  await pipeline.start();
  rss.start();
  uplink.start();
  o.onPhase?.(`${o.alerts} hits among passing traffic, one vehicle every ${o.vehicleEveryMs} ms, while the backlog uploads`);
  // Let the backlog get going (window full, socket busy) before the first vehicle.
  await sleep(500);
  for (let i = 0; i < o.alerts * 2; i++) {
    const plate = i % 2 === 0 ? listedPlate() : unlisted();
    for (let k = 0; k < FRAMES_PER_VEHICLE; k++) {
      source.push(image, { plate, vehicle: i, step: k });
      await sleep(FRAME_GAP_MS);
    }
    await sleep(Math.max(0, o.vehicleEveryMs - FRAMES_PER_VEHICLE * FRAME_GAP_MS));
  }
}

/** One 1920x1080 frame of the synthetic scene: what a hit's evidence JPEG is encoded from. */
async function sceneFrame(seed: number): Promise<FrameImage> {
  const scene = new SyntheticTrafficSource({ seed, realtime: false, width: 1920, height: 1080 });
  await scene.open();
  try {
    for (let i = 0; i < 200; i++) {
      const frame = await scene.read();
      if (frame && (frame.truth?.length ?? 0) > 0) return frame.image;
    }
    throw new Error('bench hotlist: the synthetic scene showed no plate in 200 frames');
  } finally {
    await scene.close();
  }
}

/** A plate that hits nothing on the lists (drawn again until the matcher agrees). */
function unlistedPlate(rng: Random, raiser: AlertRaiser): string {
  for (;;) {
    const plate = `${rng.pick([...'ABCDEFGHJKMNPRUVWXY'])}${rng.pick([...'ABCDEFGHJKMNPRUVWXY'])}${rng.int(10000, 99999)}`;
    if (raiser.match({ plate, alternatives: [] }).length === 0) return plate;
  }
}

/** The tracker, noting when each read left it: where the measured path begins. */
class TimedTracker extends PlateTracker {
  readonly emittedAt = new Map<string, number>();

  override observe(frame: FrameStamp, candidates: PlateCandidate[], image: FrameImage | null = null): TrackedRead[] {
    return this.stamp(super.observe(frame, candidates, image));
  }

  override flush(now: number): TrackedRead[] {
    return this.stamp(super.flush(now));
  }

  override flushAll(): TrackedRead[] {
    return this.stamp(super.flushAll());
  }

  private stamp(reads: TrackedRead[]): TrackedRead[] {
    const now = performance.now();
    for (const r of reads) this.emittedAt.set(r.read.id, now);
    return reads;
  }
}

interface Planted {
  plate: string;
  /** Which vehicle: each crosses its own part of the picture, so the tracker keeps them apart. */
  vehicle: number;
  /** Frame of the vehicle, 0..2: the plate moves across the picture. */
  step: number;
}

/** Frames pushed by the bench; the plate each shows travels beside it. */
class QueueSource implements FrameSource {
  readonly id = 'bench';
  readonly description = 'benchmark frames';
  readonly live = true;
  static readonly planted = new WeakMap<FrameImage, Planted>();
  private readonly frames: Frame[] = [];
  private waiting: ((frame: Frame | null) => void) | null = null;
  private ended = false;
  private seq = 0;

  async open(): Promise<void> {}

  push(image: FrameImage, planted: Planted): void {
    const copy: FrameImage = { ...image };
    QueueSource.planted.set(copy, planted);
    const frame: Frame = { sourceId: this.id, seq: this.seq++, capturedAt: Date.now(), capturedMono: performance.now(), image: copy };
    if (this.waiting) {
      const wake = this.waiting;
      this.waiting = null;
      wake(frame);
    } else this.frames.push(frame);
  }

  end(): void {
    this.ended = true;
    this.waiting?.(null);
    this.waiting = null;
  }

  read(): Promise<Frame | null> {
    const next = this.frames.shift();
    if (next) return Promise.resolve(next);
    if (this.ended) return Promise.resolve(null);
    return new Promise((resolve) => (this.waiting = resolve));
  }

  async close(): Promise<void> {
    this.end();
  }
}

/** Returns the frame's planted plate as the recognizer would: a candidate, a crop, the frame handed back. */
class PlantedRecognizer implements FrameRecognizer {
  readonly size = 1;
  private readonly crop: Buffer;

  constructor(cropBytes: number) {
    this.crop = Buffer.alloc(cropBytes, 0x5a);
  }

  tryRecognize(image: FrameImage): Promise<FrameRecognition> {
    return this.recognize(image);
  }

  async recognize(image: FrameImage): Promise<FrameRecognition> {
    const planted = QueueSource.planted.get(image);
    const timings = { decode: 0, preprocess: 0, localize: 0, ocr: 0, total: 0 };
    if (!planted) return { width: 1920, height: 1080, candidates: [], timings };
    // Eight places (two rows of four, 450 px apart): a place is used again only after the
    // tracker's window, so vehicles are never joined into one track.
    const lane = planted.vehicle % LANES;
    const x = 60 + (lane % 4) * 450 + planted.step * 20;
    const y = lane < 4 ? 300 : 750;
    const candidate: PlateCandidate = {
      text: planted.plate,
      confidence: 0.93,
      charConfidences: [...planted.plate].map(() => 0.93),
      alternatives: [],
      quad: [{ x, y }, { x: x + 180, y }, { x: x + 180, y: y + 60 }, { x, y: y + 60 }],
      crop: this.crop,
    };
    return { width: 1920, height: 1080, candidates: [candidate], timings, image };
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
