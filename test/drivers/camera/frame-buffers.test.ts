import assert from 'node:assert/strict';
import { MessageChannel } from 'node:worker_threads';
import { FrameBuffers } from '../../../drivers/camera/frame-buffers';

describe('FrameBuffers', () => {
  it('hands back the buffer given, then new ones, each owning its whole ArrayBuffer', () => {
    const buffers = new FrameBuffers();
    const first = buffers.take(1000);
    assert.equal(first.length, 1000);
    assert.deepEqual([first.byteOffset, first.buffer.byteLength], [0, 1000]);
    buffers.give(first);
    assert.equal(buffers.take(1000), first);
    const second = buffers.take(1000);
    assert.notEqual(second.buffer, first.buffer);
    assert.equal(second.buffer.byteLength, 1000, 'small sizes get their own ArrayBuffer too, not a slice of a shared pool');
  });

  it('keeps only the current size, at most its limit, each buffer once', () => {
    const buffers = new FrameBuffers(2);
    const a = buffers.take(64);
    buffers.give(Buffer.alloc(32));
    assert.equal(buffers.idle, 0, 'another size is not kept');
    buffers.give(a);
    buffers.give(Buffer.from(a.buffer));
    assert.equal(buffers.idle, 1, 'the same memory given twice is kept once');
    buffers.give(Buffer.allocUnsafeSlow(64));
    buffers.give(Buffer.allocUnsafeSlow(64));
    assert.equal(buffers.idle, 2, 'no more than the limit');
    buffers.take(128);
    assert.equal(buffers.idle, 0, 'a new frame size drops the old buffers');
  });

  it('takes a raw frame\'s pixels back from its image, and nothing from an encoded file', () => {
    const buffers = new FrameBuffers();
    const pixels = buffers.take(2 * 2 * 3);
    buffers.giveImage({ kind: 'encoded', name: 'a.jpg', bytes: Buffer.allocUnsafeSlow(12) });
    assert.equal(buffers.idle, 0);
    buffers.giveImage({ kind: 'bgr', width: 2, height: 2, pixels });
    assert.equal(buffers.take(12), pixels);
  });

  it('refuses views into a larger buffer and buffers transferred away', () => {
    const buffers = new FrameBuffers();
    buffers.take(64);
    buffers.give(Buffer.alloc(128).subarray(0, 64));
    assert.equal(buffers.idle, 0, 'a view would let the next frame write over someone else\'s bytes');
    const gone = buffers.take(64);
    const { port1, port2 } = new MessageChannel();
    port1.postMessage(gone, [gone.buffer as ArrayBuffer]);
    port1.close();
    port2.close();
    buffers.give(gone);
    assert.equal(buffers.idle, 0, 'a detached buffer has no bytes left to write into');
  });
});
