import type { Lane } from '../../firmware/uplink/protocol';
import { OperationQueue } from '../../firmware/store/operation-queue';

/**
 * The hub's write queue: one task at a time (one writer on the database), alert-lane tasks taken
 * before any queued backlog task. An alert therefore waits for at most the one batch being
 * committed, however much backlog the devices have queued. The store's OperationQueue, by lane.
 */
export class LaneQueue {
  private readonly queue = new OperationQueue();

  enqueue<T>(lane: Lane, task: () => Promise<T>): Promise<T> {
    return this.queue.run(task, lane === 'alert');
  }

  /** Tasks waiting (not counting the one running). */
  depth(): Record<Lane, number> {
    const { urgent, normal } = this.queue.depth();
    return { alert: urgent, backlog: normal };
  }

  /** Resolves once nothing is queued or running. */
  idle(): Promise<void> {
    return this.queue.idle();
  }
}
