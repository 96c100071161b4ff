import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import type { Frame, FrameImage, FrameSource } from '../../drivers/camera/frame';
import type { Logger } from '../../drivers/log';
import type { FrameRecognition } from '../../recognizer/candidate';
import type { RecognizerPool } from '../../recognizer/recognizer-pool';
import type { ReadSink } from '../store/read-store';
import type { Alert } from '../hotlist/alert';
import type { AlertRaiser } from '../hotlist/alert-raiser';
import type { HotlistMatch } from '../hotlist/hotlist-matcher';
import { FrameFailureLog } from './frame-failure-log';
import type { Read } from './read';
import type { FrameStamp, PlateTracker, TrackedRead } from './tracker';

/** What the pipeline needs to turn hits into alerts: the raiser, or a stand-in in tests. */
export type AlertCheck = Pick<AlertRaiser, 'match' | 'raise' | 'watching' | 'mayHit'>;

/** What the pipeline needs of the recognizer: the pool, or a stand-in in tests. */
export type FrameRecognizer = Pick<RecognizerPool, 'size' | 'tryRecognize' | 'recognize'>;

export interface ReadPipelineOptions {
  /**
   * drop: frames arrive on the camera's clock; when every worker is busy the frame is dropped
   * and counted. wait: the source waits for the reader (an unpaced replay), so the pipeline waits
   * for a free worker instead of dropping.
   */
  whenBusy: 'drop' | 'wait';
  /** How often idle tracks are ended, ms. */
  flushIntervalMs: number;
  /** Reads the store refused are retried; beyond this many waiting, the oldest are lost (and counted). */
  maxPendingReads: number;
  /** Hotlist matching: every read is matched as the tracker emits it; hits are stored as alerts, first. */
  alerts: AlertCheck | null;
}

export interface PipelineStats {
  frames: number;
  dropped: number;
  recognized: number;
  /** Recognized frames the motion gate passed unread: nothing moved since the last frame read. */
  still: number;
  failed: number;
  reads: number;
  /** Reads that hit a hotlist and were stored as alerts (counted in `reads` too). */
  alerts: number;
  /** Reads the store refused and could not keep even after retrying: counted, logged, never silent. */
  lostReads: number;
  pendingReads: number;
  sourceEnded: boolean;
}

export interface PipelineEvents {
  /** A read stored (alerts included); latency is from the capture of the frame that decided it to stored. */
  read: [read: Read, latencyMs: number];
  /** A hit stored as an alert (after which 'read' follows for the same read); latency as for 'read'. */
  alert: [alert: Alert, latencyMs: number];
  /**
   * One frame recognized, and how long the tracker took to vote it in (ms): for benchmarks and
   * diagnostics. `result.image` may be written over by a later frame once the listener returns.
   */
  recognized: [frame: FrameStamp, result: FrameRecognition, voteMs: number];
}

const DEFAULTS: ReadPipelineOptions = { whenBusy: 'drop', flushIntervalMs: 250, maxPendingReads: 1000, alerts: null };

/** A read that hit, waiting to be stored as an alert: its matches and the frame for evidence. */
interface PendingAlert {
  tracked: TrackedRead;
  matches: HotlistMatch[];
  /** Once raised (frame encoded), kept for retries. */
  alert?: Alert;
}

/**
 * The path of a plate on the device: frames from the source go to the recognizer pool, candidates
 * to the tracker, reads to the store. One capture loop; recognition runs in the workers; nothing
 * in here blocks the event loop for long.
 */
export class ReadPipeline extends EventEmitter<PipelineEvents> {
  private readonly options: ReadPipelineOptions;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly pending: TrackedRead[] = [];
  /** Hits go before every plain read waiting. */
  private readonly pendingAlerts: PendingAlert[] = [];
  private flushTimer: NodeJS.Timeout | null = null;
  private loop: Promise<void> | null = null;
  private stopping = false;
  private storing: Promise<void> = Promise.resolve();
  private readonly failures: FrameFailureLog;
  /** Frame buffers nothing keeps go back to the camera, to be written over (when it reuses them). */
  private readonly recycle: ((image: FrameImage) => void) | undefined;
  private readonly counters: PipelineStats = {
    frames: 0, dropped: 0, recognized: 0, still: 0, failed: 0, reads: 0, alerts: 0, lostReads: 0, pendingReads: 0, sourceEnded: false,
  };

  constructor(
    private readonly source: FrameSource,
    private readonly pool: FrameRecognizer,
    private readonly tracker: PlateTracker,
    private readonly store: ReadSink,
    private readonly log: Logger,
    options: Partial<ReadPipelineOptions> = {},
  ) {
    super({ captureRejections: true });
    this.options = { ...DEFAULTS, ...options };
    this.failures = new FrameFailureLog(log);
    this.recycle = source.recycle?.bind(source);
  }

  stats(): PipelineStats {
    return { ...this.counters, pendingReads: this.pending.length + this.pendingAlerts.length };
  }

  /** Opens the source and starts the capture loop; resolves once the source is open. */
  async start(): Promise<void> {
    await this.source.open();
    this.flushTimer = setInterval(() => this.accept(this.tracker.flush(Date.now())), this.options.flushIntervalMs);
    this.loop = this.captureLoop();
  }

  /** Resolves when a finite source has ended and every frame and read is through. */
  async finished(): Promise<void> {
    await this.loop;
  }

  /** Stops capturing, finishes frames in the workers, ends every track and stores its read. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.flushTimer) clearInterval(this.flushTimer);
    this.flushTimer = null;
    await this.source.close().catch((err: Error) => this.log.warn({ err }, 'camera source did not close cleanly'));
    await this.loop;
  }

  private async captureLoop(): Promise<void> {
    while (!this.stopping) {
      let frame: Frame | null;
      try {
        frame = await this.source.read();
      } catch (err) {
        if (this.stopping) break;
        // Live cameras retry inside their ReconnectingSource; anything reaching here is final.
        this.log.error({ err, source: this.source.id }, 'camera source failed; no more frames from it');
        break;
      }
      if (!frame) {
        this.counters.sourceEnded = true;
        this.log.info({ source: this.source.id, frames: this.counters.frames }, 'camera source ended');
        break;
      }
      this.counters.frames++;
      await this.submit(frame);
    }
    await Promise.all(this.inFlight);
    this.accept(this.tracker.flushAll());
    await this.storing;
    if (this.flushTimer) clearInterval(this.flushTimer);
    this.flushTimer = null;
  }

  private async submit(frame: Frame): Promise<void> {
    const stamp: FrameStamp = { sourceId: frame.sourceId, seq: frame.seq, capturedAt: frame.capturedAt, capturedMono: frame.capturedMono };
    let job: Promise<FrameRecognition> | null;
    // Frames come back from the workers only while there is a list to hit.
    const returnImage = this.options.alerts?.watching() ?? false;
    if (this.options.whenBusy === 'wait') {
      // Bounded by the pool's worker count: wait for a slot before reading the next frame.
      while (this.inFlight.size >= this.pool.size && this.inFlight.size > 0) await Promise.race(this.inFlight);
      job = this.pool.recognize(frame.image, { returnImage, recycle: this.recycle, gate: true });
    } else {
      job = this.pool.tryRecognize(frame.image, { returnImage, recycle: this.recycle, gate: true });
    }
    if (!job) {
      this.counters.dropped++;
      this.recycle?.(frame.image);
      return;
    }
    const done = job.then(
      (result) => {
        this.counters.recognized++;
        if (result.still) this.counters.still++;
        const voteStart = performance.now();
        const evidence = this.evidence(result);
        const decided = this.tracker.observe(stamp, result.candidates, evidence);
        this.emit('recognized', stamp, result, performance.now() - voteStart);
        // A frame that came back but is kept by nobody (no candidate may hit) is reused too.
        if (result.image !== undefined && evidence === null) this.recycle?.(result.image);
        this.accept(decided);
      },
      (err: Error) => {
        this.counters.failed++;
        this.failures.frameFailed(err, { source: frame.sourceId, seq: frame.seq });
      },
    );
    const tracked = done.finally(() => this.inFlight.delete(tracked));
    this.inFlight.add(tracked);
  }

  /**
   * Matches each decided read against the hotlists at once, then queues it for storing: hits
   * ahead of every plain read waiting, one write at a time. Plain reads drop their frame here.
   */
  private accept(reads: TrackedRead[]): void {
    if (reads.length === 0 && this.pending.length === 0 && this.pendingAlerts.length === 0) return;
    for (const tracked of reads) {
      const matches = this.match(tracked.read);
      if (matches.length > 0) this.pendingAlerts.push({ tracked, matches });
      else this.pending.push({ ...tracked, frame: null });
    }
    this.bound(this.pendingAlerts, (lost) => lost.tracked.read.id, 'ALERT lost: the store has refused writes for too long and the pending alerts are full');
    this.bound(this.pending, (lost) => lost.read.id, 'read lost: the store has refused reads for too long and the pending list is full');
    this.storing = this.storing.then(() => this.storePending());
  }

  /**
   * The frame, kept only when one of its candidates' readings may hit a list: the tracker holds
   * a frame of several MB per kept sighting, which every other frame would cost for nothing.
   */
  private evidence(result: FrameRecognition): FrameImage | null {
    const alerts = this.options.alerts;
    if (result.image === undefined || alerts === null) return null;
    const texts = result.candidates.flatMap((c) => [c.text, ...c.alternatives.map((a) => a.text)]);
    try {
      return alerts.mayHit(texts) ? result.image : null;
    } catch (err) {
      this.log.error({ err }, 'hotlist check of a frame failed; its frame is not kept');
      return null;
    }
  }

  /** The read's hotlist matches; a matcher failure is logged and the read is kept as a plain read. */
  private match(read: Read): HotlistMatch[] {
    if (this.options.alerts === null) return [];
    try {
      return this.options.alerts.match(read);
    } catch (err) {
      this.log.error({ err, readId: read.id }, 'hotlist matching failed for a read; it is stored without an alert');
      return [];
    }
  }

  private bound<T>(queue: T[], idOf: (item: T) => string, message: string): void {
    while (queue.length > this.options.maxPendingReads) {
      const lost = queue.shift()!;
      this.counters.lostReads++;
      this.log.error({ readId: idOf(lost) }, message);
    }
  }

  /** Stores what waits, alerts first (also those decided while plain reads are being stored), until done or refused. */
  private async storePending(): Promise<void> {
    for (;;) {
      if (this.pendingAlerts.length > 0) {
        if (!(await this.storeAlert(this.pendingAlerts[0]))) return;
        this.pendingAlerts.shift();
      } else if (this.pending.length > 0) {
        if (!(await this.storeRead(this.pending[0]))) return;
        this.pending.shift();
      } else return;
    }
  }

  /** False when the store refused it (kept for the next flush). */
  private async storeAlert(next: PendingAlert): Promise<boolean> {
    const { read, decidedBy, frame } = next.tracked;
    let alert: Alert;
    try {
      alert = next.alert ??= await this.options.alerts!.raise(read, next.matches, frame);
      await this.store.putAlert(alert);
    } catch (err) {
      this.log.error({ err, readId: read.id, pending: this.pendingAlerts.length }, 'alert could not be stored; will retry');
      return false;
    }
    this.counters.reads++;
    this.counters.alerts++;
    const latencyMs = performance.now() - decidedBy.capturedMono;
    this.emit('alert', alert, latencyMs);
    this.emit('read', read, latencyMs);
    return true;
  }

  /** False when the store refused it (kept for the next flush). */
  private async storeRead(next: TrackedRead): Promise<boolean> {
    try {
      await this.store.put(next.read);
    } catch (err) {
      // Kept for the next flush: a full disk may clear once the ring evicts or space is freed.
      this.log.error({ err, readId: next.read.id, pending: this.pending.length }, 'read could not be stored; will retry');
      return false;
    }
    this.counters.reads++;
    this.emit('read', next.read, performance.now() - next.decidedBy.capturedMono);
    return true;
  }
}
