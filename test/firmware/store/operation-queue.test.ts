import assert from 'node:assert/strict';
import { OperationQueue } from '../../../firmware/store/operation-queue';

describe('OperationQueue', () => {
  it('runs operations one at a time in call order, urgent ones ahead of every one waiting', async () => {
    const queue = new OperationQueue();
    const order: string[] = [];
    let active = 0;
    const op = (name: string) => async () => {
      active++;
      assert.equal(active, 1, 'never two at once');
      await new Promise((r) => setTimeout(r, 5));
      order.push(name);
      active--;
      return name;
    };
    const results = await Promise.all([
      queue.run(op('backlog 1')),
      queue.run(op('backlog 2')),
      queue.run(op('backlog 3')),
      queue.run(op('alert 1'), true),
      queue.run(op('alert 2'), true),
    ]);
    assert.deepEqual(order, ['backlog 1', 'alert 1', 'alert 2', 'backlog 2', 'backlog 3'], 'the running one finishes; the alerts go next');
    assert.deepEqual(results, ['backlog 1', 'backlog 2', 'backlog 3', 'alert 1', 'alert 2']);
  });

  it('passes a failure to its own caller only, and goes on', async () => {
    const queue = new OperationQueue();
    const failing = queue.run(async () => {
      throw new Error('disk full');
    });
    const throwing = queue.run(() => {
      throw new Error('thrown before any promise');
    });
    const next = queue.run(async () => 'next');
    await assert.rejects(failing, /disk full/);
    await assert.rejects(throwing, /thrown before/);
    assert.equal(await next, 'next');
  });

  it('is idle once everything queued has run', async () => {
    const queue = new OperationQueue();
    await queue.idle();
    let done = 0;
    for (let i = 0; i < 3; i++) void queue.run(async () => void done++);
    await queue.idle();
    assert.equal(done, 3);
  });
});
