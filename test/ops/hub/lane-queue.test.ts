import assert from 'node:assert/strict';
import { LaneQueue } from '../../../ops/hub/lane-queue';

describe('LaneQueue (the hub write queue)', () => {
  it('runs one task at a time, alert tasks before queued backlog tasks, and reports idle', async () => {
    const queue = new LaneQueue();
    const order: string[] = [];
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const task = (name: string, wait?: Promise<void>) => async () => {
      order.push(`start ${name}`);
      await wait;
      order.push(`end ${name}`);
      return name;
    };
    const done = [
      queue.enqueue('backlog', task('b1', gate)),
      queue.enqueue('backlog', task('b2')),
      queue.enqueue('backlog', task('b3')),
      queue.enqueue('alert', task('a1')),
    ];
    assert.deepEqual(queue.depth(), { alert: 1, backlog: 2 });
    release();
    assert.deepEqual(await Promise.all(done), ['b1', 'b2', 'b3', 'a1']);
    await queue.idle();
    assert.deepEqual(order, ['start b1', 'end b1', 'start a1', 'end a1', 'start b2', 'end b2', 'start b3', 'end b3']);
  });

  it('a failing task rejects its own promise only', async () => {
    const queue = new LaneQueue();
    const failed = queue.enqueue('alert', () => Promise.reject(new Error('disk full')));
    const next = queue.enqueue('backlog', async () => 'ok');
    await assert.rejects(failed, /disk full/);
    assert.equal(await next, 'ok');
  });
});
