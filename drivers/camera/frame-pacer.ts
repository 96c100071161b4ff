import { abortableDelay } from './abortable-delay';

/**
 * Spaces replayed frames `1000 / fps` ms apart in wall time, the way a camera would deliver them.
 * Slots are scheduled from a fixed start so timer lateness does not accumulate; a reader that
 * falls more than a frame behind is resynchronised instead of being handed a burst of frames.
 * fps 0 means no pacing: every wait() returns at once.
 */
export class FramePacer {
  private readonly intervalMs: number;
  private nextDue: number | null = null;

  constructor(
    fps: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    if (!Number.isFinite(fps) || fps < 0) {
      throw new RangeError(`fps must be a non-negative number, got ${fps}`);
    }
    this.intervalMs = fps > 0 ? 1000 / fps : 0;
  }

  get paced(): boolean {
    return this.intervalMs > 0;
  }

  /** Resolves when the next frame is due; rejects with the signal's reason if aborted first. */
  async wait(signal: AbortSignal): Promise<void> {
    if (this.intervalMs === 0) return;
    const t = this.now();
    if (this.nextDue === null || t - this.nextDue > this.intervalMs) this.nextDue = t;
    const waitMs = this.nextDue - t;
    this.nextDue += this.intervalMs;
    if (waitMs > 0) await abortableDelay(waitMs, signal);
  }

  /** Start a fresh schedule, e.g. after a pause. */
  reset(): void {
    this.nextDue = null;
  }
}
