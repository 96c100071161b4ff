/**
 * One operation at a time on a shared SQLite connection (transactions must not interleave), in
 * call order, except that urgent operations (alerts) go ahead of every operation still waiting.
 * A running operation is never interrupted: an alert waits at most for the one in progress, not
 * for a queue of backlog writes, upload batches and ack marks. The device's store and the hub's
 * write queue both run on it.
 */
export class OperationQueue {
  private readonly urgent: (() => void)[] = [];
  private readonly normal: (() => void)[] = [];
  private running = false;
  private readonly idleWaiters: (() => void)[] = [];

  /** Runs `fn` once every operation before it in its lane (and every urgent one) has finished. */
  run<T>(fn: () => Promise<T>, urgent = false): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const job = () => {
        Promise.resolve()
          .then(fn)
          .then(resolve, reject)
          .finally(() => {
            this.running = false;
            this.next();
          });
      };
      (urgent ? this.urgent : this.normal).push(job);
      if (!this.running) this.next();
    });
  }

  /** Operations waiting, not counting the one running. */
  depth(): { urgent: number; normal: number } {
    return { urgent: this.urgent.length, normal: this.normal.length };
  }

  /** Resolves when nothing runs and nothing waits. */
  idle(): Promise<void> {
    if (!this.running && this.urgent.length === 0 && this.normal.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private next(): void {
    const job = this.urgent.shift() ?? this.normal.shift();
    if (job === undefined) {
      for (const wake of this.idleWaiters.splice(0)) wake();
      return;
    }
    this.running = true;
    job();
  }
}
