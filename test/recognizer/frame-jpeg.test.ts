import assert from 'node:assert/strict';
import cv = require('../../drivers/opencv');
import type { FrameImage } from '../../drivers/camera/frame';
import { encodeFrameJpeg, jpegSize } from '../../recognizer/frame-jpeg';

/** A 320x240 test card: a bright rectangle on grey, so a decode can be checked by pixel. */
function rawCard(): FrameImage & { kind: 'bgr' } {
  const mat = new cv.Mat(240, 320, cv.CV_8UC3, [90, 90, 90]);
  mat.drawRectangle(new cv.Rect(100, 80, 120, 60), new cv.Vec3(255, 255, 255), -1);
  return { kind: 'bgr', width: 320, height: 240, pixels: mat.getData() };
}

describe('encodeFrameJpeg', () => {
  it('encodes raw pixels as a JPEG of the same size and content', async () => {
    const { jpeg, width, height } = await encodeFrameJpeg(rawCard());
    assert.deepEqual([width, height], [320, 240]);
    const decoded = cv.imdecode(jpeg);
    assert.deepEqual([decoded.cols, decoded.rows], [320, 240]);
    assert.ok((decoded.atRaw(110, 160) as unknown as number[])[0] > 240, 'the bright rectangle is there');
    assert.ok(Math.abs((decoded.atRaw(10, 10) as unknown as number[])[0] - 90) < 8, 'the grey background is there');
    assert.deepEqual(jpegSize(jpeg), { width: 320, height: 240 });
  });

  it('keeps a frame that already is a JPEG byte for byte, and re-encodes a PNG', async () => {
    const card = rawCard();
    const mat = new cv.Mat(card.pixels, 240, 320, cv.CV_8UC3);
    const jpegFile = cv.imencode('.jpg', mat);
    const kept = await encodeFrameJpeg({ kind: 'encoded', name: 'replay/1.jpg', bytes: jpegFile });
    assert.equal(kept.jpeg, jpegFile);
    assert.deepEqual([kept.width, kept.height], [320, 240]);
    const png = await encodeFrameJpeg({ kind: 'encoded', name: 'replay/2.png', bytes: cv.imencode('.png', mat) });
    assert.deepEqual(jpegSize(png.jpeg), { width: 320, height: 240 });
  });

  it('refuses pixels that do not fill the stated size, naming the problem', async () => {
    await assert.rejects(encodeFrameJpeg({ kind: 'bgr', width: 320, height: 240, pixels: Buffer.alloc(100) }), /320x240|bytes/);
  });

  it('finds no size in a truncated or foreign file', () => {
    const jpeg = cv.imencode('.jpg', new cv.Mat(8, 8, cv.CV_8UC3, [0, 0, 0]));
    assert.equal(jpegSize(jpeg.subarray(0, jpeg.length - 2)), null);
    assert.equal(jpegSize(Buffer.from('not a jpeg')), null);
  });
});
