import { performance } from 'node:perf_hooks';
import type { Logger } from '../../drivers/log';

/** Kinds of failure remembered at once; a new kind beyond this forgets the oldest. */
const MAX_KINDS = 32;

/**
 * Warns of frames that could not be recognized without writing a line per frame: a failure that
 * repeats on every frame (a region of interest too large for the camera's frames, a corrupt
 * stream) would otherwise write 25 lines a second to the device's flash. The first failure of a
 * kind (its error code, else its name) is logged at once; after that, at most one line per
 * interval, with how many frames failed the same way since the last line.
 */
export class FrameFailureLog {
  private readonly kinds = new Map<string, { loggedAt: number; since: number }>();

  constructor(
    private readonly log: Logger,
    private readonly intervalMs = 10_000,
    private readonly now: () => number = () => performance.now(),
  ) {}

  frameFailed(err: Error, fields: Record<string, unknown>): void {
    const code = (err as { code?: unknown }).code;
    const kind = typeof code === 'string' ? code : err.name;
    const at = this.now();
    const seen = this.kinds.get(kind);
    if (seen && at - seen.loggedAt < this.intervalMs) {
      seen.since++;
      return;
    }
    const repeats = seen && seen.since > 0 ? { sameFailuresSinceLastLine: seen.since } : {};
    this.log.warn({ err, ...fields, ...repeats }, 'frame could not be recognized');
    this.kinds.delete(kind);
    this.kinds.set(kind, { loggedAt: at, since: 0 });
    if (this.kinds.size > MAX_KINDS) this.kinds.delete(this.kinds.keys().next().value!);
  }
}
