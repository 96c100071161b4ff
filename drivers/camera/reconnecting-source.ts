import type { Logger } from '../log';
import { silentLogger } from '../log';
import { abortableDelay } from './abortable-delay';
import { fullJitterBackoff } from './backoff';
import { CameraError } from './camera-error';
import type { Frame, FrameImage, FrameSource } from './frame';
import { SerialReads } from './serial-reads';

export interface ReconnectingSourceOptions {
  id: string;
  description: string;
  /** First backoff step; each further consecutive failure doubles it. Default 500 ms. */
  initialDelayMs?: number;
  /** Backoff cap. Default 30 s. */
  maxDelayMs?: number;
  /**
   * A read that gives nothing for this long counts as a failure (a stalled camera). Default 10 s;
   * 0 disables. Note a stalled OpenCV read keeps its libuv pool thread until it returns.
   */
  readTimeoutMs?: number;
  /** Uniform [0, 1) source for the jitter; injected by tests. */
  random?: () => number;
}

/** Health of the camera connection, for the health report. */
export interface ReconnectingState {
  connected: boolean;
  /** Open and read failures since start. */
  failures: number;
  /** Successful opens that followed a failure (the camera came back). */
  reconnects: number;
  lastError: string | null;
  /** Date.now() when `connected` last changed (or the wrapper was created). */
  since: number;
}

function describeError(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Keeps a live camera going: when opening or reading fails it logs and counts the failure, closes
 * the broken source, waits (exponential backoff, full jitter), builds a fresh source from the
 * factory and carries on. read() therefore only rejects once the wrapper itself is closed.
 * The backoff restarts from the first step once a frame has been read, not merely after a
 * successful open, so a camera that opens but never delivers keeps backing off.
 *
 * One exception: a PIPELINE_INVALID error on the first open() is thrown, because no amount of
 * retrying fixes a malformed pipeline and the operator should see it at start-up.
 */
export class ReconnectingSource implements FrameSource {
  readonly id: string;
  readonly description: string;
  readonly live = true;
  private readonly initialDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly readTimeoutMs: number;
  private readonly random: () => number;
  private readonly closing = new AbortController();
  private inner: FrameSource | null = null;
  private opened = false;
  private closed = false;
  private consecutiveFailures = 0;
  private failedSinceConnect = false;
  // Set by a failure: the wait before the next attempt. Even 0 goes through a timer, so
  // back-to-back failures can never spin the event loop.
  private pendingDelayMs: number | null = null;
  private seq = 0;
  private readonly health: ReconnectingState = {
    connected: false,
    failures: 0,
    reconnects: 0,
    lastError: null,
    since: Date.now(),
  };
  private readonly reads = new SerialReads();

  constructor(
    private readonly factory: () => FrameSource,
    options: ReconnectingSourceOptions,
    private readonly log: Logger = silentLogger,
  ) {
    this.id = options.id;
    this.description = options.description;
    this.initialDelayMs = options.initialDelayMs ?? 500;
    this.maxDelayMs = options.maxDelayMs ?? 30_000;
    this.readTimeoutMs = options.readTimeoutMs ?? 10_000;
    this.random = options.random ?? Math.random;
    // Fail on bad settings now rather than at the first camera failure.
    fullJitterBackoff(0, this.initialDelayMs, this.maxDelayMs, () => 0);
    if (!Number.isFinite(this.readTimeoutMs) || this.readTimeoutMs < 0) {
      throw new RangeError(`readTimeoutMs must be a non-negative number, got ${this.readTimeoutMs}`);
    }
  }

  state(): ReconnectingState {
    return { ...this.health };
  }

  /** Connects once; on failure the error is logged and counted and read() keeps retrying. */
  async open(): Promise<void> {
    if (this.closed) throw this.closedError();
    if (this.opened) return;
    this.opened = true;
    if (this.inner) return;
    try {
      await this.connect();
    } catch (err) {
      if (this.closed) throw this.closedError();
      if (err instanceof CameraError && err.code === 'PIPELINE_INVALID') {
        this.opened = false;
        throw err;
      }
    }
  }

  read(): Promise<Frame | null> {
    return this.reads.run(() => this.readOne());
  }

  /** To the camera connected now: after a reconnect its buffers are as good as the old one's. */
  recycle(image: FrameImage): void {
    this.inner?.recycle?.(image);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.closing.abort(this.closedError());
    const inner = this.inner;
    this.inner = null;
    this.setConnected(false);
    if (inner) await this.closeQuietly(inner);
  }

  private async readOne(): Promise<Frame | null> {
    for (;;) {
      if (this.closed) throw this.closedError();
      if (!this.inner) {
        if (this.pendingDelayMs !== null) await abortableDelay(this.pendingDelayMs, this.closing.signal);
        this.pendingDelayMs = null;
        try {
          await this.connect();
        } catch {
          if (this.closed) throw this.closedError();
          continue; // counted and logged by connect(); the next pass waits out the backoff
        }
      }
      const inner = this.inner;
      if (!inner) continue;
      try {
        const frame = await this.guard(inner.read(), this.readTimeoutMs, inner);
        if (frame === null) {
          throw new CameraError('CAMERA_READ_FAILED', `live source ${inner.id} ended its stream`);
        }
        this.consecutiveFailures = 0;
        return { ...frame, sourceId: this.id, seq: this.seq++ };
      } catch (err) {
        if (this.closed) throw this.closedError();
        this.inner = null;
        await this.recordFailure(inner, err, 'read');
      }
    }
  }

  private async connect(): Promise<void> {
    let source: FrameSource;
    try {
      source = this.factory();
    } catch (err) {
      await this.recordFailure(null, err, 'create');
      throw err;
    }
    try {
      await this.guard(source.open(), 0, source);
    } catch (err) {
      if (this.closed) {
        await this.closeQuietly(source);
        throw this.closedError();
      }
      await this.recordFailure(source, err, 'open');
      throw err;
    }
    if (this.closed) {
      await this.closeQuietly(source);
      throw this.closedError();
    }
    this.inner = source;
    if (this.failedSinceConnect) this.health.reconnects++;
    this.failedSinceConnect = false;
    this.setConnected(true);
    this.log.info({ source: this.id, reconnects: this.health.reconnects }, 'camera connected');
  }

  private async recordFailure(source: FrameSource | null, err: unknown, during: string): Promise<void> {
    this.health.failures++;
    this.health.lastError = describeError(err);
    this.failedSinceConnect = true;
    this.setConnected(false);
    this.pendingDelayMs = fullJitterBackoff(this.consecutiveFailures, this.initialDelayMs, this.maxDelayMs, this.random);
    this.consecutiveFailures++;
    this.log.warn(
      {
        source: this.id,
        during,
        err: this.health.lastError,
        code: err instanceof CameraError ? err.code : undefined,
        failures: this.health.failures,
        retryInMs: this.pendingDelayMs,
      },
      'camera failed; reconnecting after backoff',
    );
    if (source) await this.closeQuietly(source);
  }

  /** Settles with `work`, unless the wrapper closes first or (timeoutMs > 0) it takes too long. */
  private guard<T>(work: Promise<T>, timeoutMs: number, source: FrameSource): Promise<T> {
    const signal = this.closing.signal;
    return new Promise<T>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const finish = (): void => {
        if (timer) clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
      };
      const onAbort = (): void => {
        finish();
        reject(signal.reason);
      };
      work.then(
        (value) => {
          finish();
          resolve(value);
        },
        (err: unknown) => {
          finish();
          reject(err);
        },
      );
      if (signal.aborted) {
        onAbort();
        return;
      }
      signal.addEventListener('abort', onAbort, { once: true });
      if (timeoutMs > 0) {
        timer = setTimeout(() => {
          finish();
          reject(new CameraError('CAMERA_READ_FAILED', `${source.description} gave no frame within ${timeoutMs} ms`));
        }, timeoutMs);
      }
    });
  }

  private setConnected(connected: boolean): void {
    if (this.health.connected === connected) return;
    this.health.connected = connected;
    this.health.since = Date.now();
  }

  private async closeQuietly(source: FrameSource): Promise<void> {
    try {
      await source.close();
    } catch (err) {
      this.log.debug({ source: this.id, err: describeError(err) }, 'closing the failed camera source failed too');
    }
  }

  private closedError(): CameraError {
    return new CameraError('SOURCE_CLOSED', `camera source ${this.id} is closed`);
  }
}
