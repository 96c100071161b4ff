/**
 * Exponential backoff with full jitter: a uniformly random delay in [0, min(max, initial * 2^n)).
 * Full jitter spreads reconnect attempts out, so a fleet that lost the same camera server (or
 * the same central service) does not come back in lock step.
 *
 * `attempt` counts from 0 (the first retry). `random` returns a number in [0, 1); it is injected
 * so tests can pin the delay (random = () => 1 gives the cap of each step).
 */
export function fullJitterBackoff(
  attempt: number,
  initialMs: number,
  maxMs: number,
  random: () => number = Math.random,
): number {
  if (!Number.isInteger(attempt) || attempt < 0) {
    throw new RangeError(`backoff attempt must be a non-negative integer, got ${attempt}`);
  }
  if (!Number.isFinite(initialMs) || initialMs <= 0) {
    throw new RangeError(`backoff initialMs must be a positive number, got ${initialMs}`);
  }
  if (!Number.isFinite(maxMs) || maxMs < initialMs) {
    throw new RangeError(`backoff maxMs must be a number >= initialMs (${initialMs}), got ${maxMs}`);
  }
  // Capping the exponent keeps the product finite for absurd attempt counts.
  const ceiling = Math.min(maxMs, initialMs * 2 ** Math.min(attempt, 52));
  const r = random();
  const fraction = Number.isFinite(r) ? Math.min(1, Math.max(0, r)) : 0;
  return Math.round(ceiling * fraction);
}
