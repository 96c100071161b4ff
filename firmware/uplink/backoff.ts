/**
 * Reconnect delays for the uplink: exponential with FULL jitter, capped (the formula lives in
 * drivers/camera/backoff.ts, shared with the camera's reconnects): delay = random() *
 * min(maxMs, initialMs * 2^attempt). Full jitter spreads a fleet that lost its hub at the same
 * moment over the whole window instead of letting it return in synchronized waves.
 */
import { fullJitterBackoff } from '../../drivers/camera/backoff';

export interface BackoffSettings {
  /** The ceiling of the first delay, ms. */
  initialMs: number;
  /** The ceiling never grows past this, ms. */
  maxMs: number;
}

/** The attempt counter around fullJitterBackoff: next() grows it, reset() after a connection that stayed up. */
export class Backoff {
  private attempt = 0;

  constructor(
    private readonly settings: BackoffSettings,
    private readonly random: () => number = Math.random,
  ) {
    // Checks the settings now (attempt 0), not at the first reconnect.
    fullJitterBackoff(0, settings.initialMs, settings.maxMs, () => 0);
  }

  /** The delay before the next attempt, ms. */
  next(): number {
    return fullJitterBackoff(this.attempt++, this.settings.initialMs, this.settings.maxMs, this.random);
  }

  /** Attempts since the last reset. */
  get attempts(): number {
    return this.attempt;
  }

  reset(): void {
    this.attempt = 0;
  }
}
