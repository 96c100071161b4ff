import type { Lane } from '../../firmware/uplink/protocol';

/**
 * The hub's write queue: one task at a time (one writer on the database), alert-lane tasks taken
 * before any queued backlog task. An alert therefore waits for at most the one batch being
 * committed, however much backlog the devices have queued.
 */
export class LaneQueue {
  private readonly lanes: Record<Lane, (() => void)[]> = { alert: [], backlog: [] };
  private busy = false;
  private idleWaiters: (() => void)[] = [];

  enqueue<T>(lane: Lane, task: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.lanes[lane].push(() => {
        Promise.resolve()
          .then(task)
          .then(resolve, reject)
          .finally(() => {
            this.busy = false;
            this.next();
          });
      });
      this.next();
    });
  }

  /** Tasks waiting (not counting the one running). */
  depth(): Record<Lane, number> {
    return { alert: this.lanes.alert.length, backlog: this.lanes.backlog.length };
  }

  /** Resolves once nothing is queued or running. */
  idle(): Promise<void> {
    if (!this.busy) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private next(): void {
    if (this.busy) return;
    const job = this.lanes.alert.shift() ?? this.lanes.backlog.shift();
    if (job === undefined) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      waiters.forEach((w) => w());
      return;
    }
    this.busy = true;
    job();
  }
}
