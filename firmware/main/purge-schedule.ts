import type { Logger } from '../../drivers/log';
import type { SqliteReadStore } from '../store/sqlite-read-store';

/** Purges expired records at start and then every interval while the appliance runs (POLICY P2). */
export class PurgeSchedule {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: SqliteReadStore,
    private readonly intervalMs: number,
    private readonly log: Logger,
  ) {}

  /** Runs the first purge (awaited, so a device that was off for weeks starts clean) and schedules the rest. */
  async start(): Promise<void> {
    await this.purgeOnce();
    this.timer = setInterval(() => {
      this.running = this.running.then(() => this.purgeOnce());
    }, this.intervalMs);
    this.timer.unref();
  }

  /** Stops scheduling and waits for a purge in progress. */
  async stop(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  private async purgeOnce(): Promise<void> {
    try {
      await this.store.purge();
    } catch (err) {
      // A failed purge is retried at the next interval; the store stays usable meanwhile.
      this.log.error({ err: (err as Error).message }, 'scheduled purge failed');
    }
  }
}
