import { availableParallelism } from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { FrameImage } from '../drivers/camera/frame';
import { silentLogger, type Logger } from '../drivers/log';
import type { FrameRecognition } from './candidate';
import type { PlateReaderOptions } from './plate-reader';
import { RecognizerError } from './recognizer-error';
import { asBuffer, imageBytes, reviveRecognition, transferable, type FromWorker, type ToWorker, type WorkerInit } from './worker-protocol';

export interface RecognizerPoolOptions {
  /** Worker threads; default: cores minus one (the main thread needs one), at least one. */
  workers?: number;
  reader?: Partial<PlateReaderOptions>;
  /** Callers of `recognize` that may wait for a worker at once; more are refused (POOL_BUSY). */
  maxWaiting?: number;
  /** A worker that dies is replaced at most this many times per minute. */
  maxRestartsPerMinute?: number;
  log?: Logger;
}

export interface PoolStats {
  workers: number;
  busy: number;
  submitted: number;
  completed: number;
  failed: number;
  /** Frames refused because every worker was busy. */
  dropped: number;
  restarts: number;
}

interface Job {
  id: number;
  /** The frame sent, its pixels gone with it; kept to rebuild the image when they come back. */
  image: FrameImage;
  recycle: ((image: FrameImage) => void) | undefined;
  resolve: (result: FrameRecognition) => void;
  reject: (err: Error) => void;
}

interface Slot {
  worker: Worker;
  job: Job | null;
}

const WORKER_SCRIPT = path.join(__dirname, 'recognizer-worker.js');

export function defaultWorkerCount(): number {
  return Math.max(1, availableParallelism() - 1);
}

/**
 * A fixed set of recognizer worker threads. Live frames go to an idle worker or are dropped and
 * counted (`tryRecognize`); still images wait for a worker in a bounded line (`recognize`).
 * Nothing queues without bound.
 */
export interface RecognizeOptions {
  /**
   * Hand the frame back with its candidates (none come back for a frame without): the pipeline
   * asks while hotlists are loaded, so a hit can carry its full frame. Off, the worker frees it.
   */
  returnImage?: boolean;
  /**
   * Called with the frame's raw image once the worker is done with it, when it is not handed
   * back as the result's image: the camera source writes a later frame into the same buffer.
   */
  recycle?: (image: FrameImage) => void;
  /**
   * A frame of a live stream: with a motion gate configured (reader option `motionGate`), a frame
   * in which nothing moved since the worker's last frame read comes back `still`, unread.
   */
  gate?: boolean;
}

export class RecognizerPool {
  private readonly slots: Slot[] = [];
  private readonly waiting: (() => void)[] = [];
  private nextId = 1;
  private closed = false;
  private restartTimes: number[] = [];
  private readonly counters = { submitted: 0, completed: 0, failed: 0, dropped: 0, restarts: 0 };

  private constructor(
    private readonly init: WorkerInit,
    private readonly maxWaiting: number,
    private readonly maxRestartsPerMinute: number,
    private readonly log: Logger,
  ) {}

  /** Starts the workers and waits until each has verified and loaded its models. */
  static async start(options: RecognizerPoolOptions = {}): Promise<RecognizerPool> {
    const count = options.workers ?? defaultWorkerCount();
    if (!Number.isInteger(count) || count < 1) throw new RangeError(`recognizer workers must be an integer of at least 1, got ${count}`);
    const pool = new RecognizerPool({ reader: options.reader ?? {} }, options.maxWaiting ?? 64, options.maxRestartsPerMinute ?? 5, options.log ?? silentLogger);
    try {
      await Promise.all(Array.from({ length: count }, () => pool.addWorker()));
    } catch (err) {
      await pool.close();
      throw err;
    }
    return pool;
  }

  get size(): number {
    return this.slots.length;
  }

  stats(): PoolStats {
    return { workers: this.slots.length, busy: this.slots.filter((s) => s.job).length, ...this.counters };
  }

  /**
   * For live frames: hands the image to an idle worker, or returns null (the frame is dropped and
   * counted) when every worker is busy. Raw pixel buffers are transferred, not copied: the
   * caller must not use them afterwards, unless it asks for the image back (`returnImage`): a
   * frame with candidates then comes back in the result, again without a copy.
   */
  tryRecognize(image: FrameImage, options: RecognizeOptions = {}): Promise<FrameRecognition> | null {
    if (this.closed) return Promise.reject(new RecognizerError('POOL_CLOSED', 'recognizer pool is closed'));
    const slot = this.slots.find((s) => !s.job);
    if (!slot) {
      this.counters.dropped++;
      return null;
    }
    return this.dispatch(slot, image, options);
  }

  /** For still images: waits for a free worker (bounded line) and recognizes the image. */
  async recognize(image: FrameImage, options: RecognizeOptions = {}): Promise<FrameRecognition> {
    for (;;) {
      if (this.closed) throw new RecognizerError('POOL_CLOSED', 'recognizer pool is closed');
      const slot = this.slots.find((s) => !s.job);
      if (slot) return this.dispatch(slot, image, options);
      if (this.waiting.length >= this.maxWaiting) {
        throw new RecognizerError('POOL_BUSY', `recognizer pool busy: ${this.waiting.length} callers already waiting`);
      }
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const wake of this.waiting.splice(0)) wake();
    const slots = this.slots.splice(0);
    for (const slot of slots) slot.job?.reject(new RecognizerError('POOL_CLOSED', 'recognizer pool closed while a frame was being read'));
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }

  private dispatch(slot: Slot, image: FrameImage, options: RecognizeOptions): Promise<FrameRecognition> {
    this.counters.submitted++;
    return new Promise<FrameRecognition>((resolve, reject) => {
      const job: Job = { id: this.nextId++, image, recycle: options.recycle, resolve, reject };
      slot.job = job;
      const message: ToWorker = {
        type: 'recognize',
        id: job.id,
        image,
        returnImage: options.returnImage === true,
        returnPixels: options.recycle !== undefined && image.kind === 'bgr',
        gate: options.gate === true,
      };
      slot.worker.postMessage(message, transferable(imageBytes(image)));
    });
  }

  private recycle(job: Job, pixels: Buffer): void {
    if (job.image.kind !== 'bgr') return;
    try {
      job.recycle?.({ ...job.image, pixels });
    } catch (err) {
      // Only a buffer is lost; the frame's result still goes to its caller.
      this.log.warn({ err }, 'handing a frame buffer back to its camera failed');
    }
  }

  private finish(slot: Slot): Job | null {
    const job = slot.job;
    slot.job = null;
    this.waiting.shift()?.();
    return job;
  }

  private addWorker(): Promise<void> {
    return new Promise((resolve, reject) => {
      const worker = new Worker(WORKER_SCRIPT, { workerData: this.init });
      const slot: Slot = { worker, job: null };
      let started = false;
      worker.on('message', (message: FromWorker) => {
        switch (message.type) {
          case 'ready':
            started = true;
            this.slots.push(slot);
            this.waiting.shift()?.();
            resolve();
            break;
          case 'startFailed':
            reject(new RecognizerError(message.error.code, message.error.message));
            void worker.terminate();
            break;
          case 'result': {
            this.counters.completed++;
            const job = this.finish(slot);
            if (job === null) break;
            if (message.spare !== undefined) this.recycle(job, asBuffer(message.spare));
            job.resolve(reviveRecognition(message.result));
            break;
          }
          case 'error': {
            this.counters.failed++;
            this.finish(slot)?.reject(new RecognizerError(message.error.code, message.error.message));
            break;
          }
        }
      });
      worker.on('error', (err) => {
        this.log.error({ err }, 'recognizer worker failed');
        if (!started) reject(new RecognizerError('WORKER_FAILED', `recognizer worker failed to start: ${err.message}`));
      });
      worker.on('exit', (code) => {
        const index = this.slots.indexOf(slot);
        if (index < 0) return;
        this.slots.splice(index, 1);
        const job = this.finish(slot);
        if (job) {
          this.counters.failed++;
          job.reject(new RecognizerError('WORKER_FAILED', `recognizer worker exited (code ${code}) while reading a frame`));
        }
        if (!this.closed) this.replaceWorker(code);
      });
    });
  }

  private replaceWorker(code: number): void {
    const now = Date.now();
    this.restartTimes = this.restartTimes.filter((t) => now - t < 60_000);
    if (this.restartTimes.length >= this.maxRestartsPerMinute) {
      this.log.error({ code, workers: this.slots.length }, 'recognizer worker exited; restart budget spent, running with fewer workers');
      return;
    }
    this.restartTimes.push(now);
    this.counters.restarts++;
    this.log.warn({ code }, 'recognizer worker exited; starting a replacement');
    this.addWorker().catch((err: Error) => this.log.error({ err }, 'replacement recognizer worker failed to start'));
  }
}
