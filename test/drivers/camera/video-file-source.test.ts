import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import cv = require('../../../drivers/opencv');
import * as sinon from 'sinon';
import type { Frame, RawImage } from '../../../drivers/camera/frame';
import { VideoFileSource } from '../../../drivers/camera/video-file-source';
import { untilReal } from './real-wait';
import { isCode } from './camera-error-match';

const COLOURS = [
  [200, 30, 30],
  [30, 200, 30],
  [30, 30, 200],
  [120, 120, 30],
];

/** Index of the test colour the frame's centre shows (MJPG is lossy, so nearest within a tolerance). */
function colourIndex(frame: Frame | null): number {
  assert.ok(frame && frame.image.kind === 'bgr', 'expected a BGR frame');
  const img = frame.image as RawImage;
  const i = ((img.height >> 1) * img.width + (img.width >> 1)) * 3;
  const px = [img.pixels[i], img.pixels[i + 1], img.pixels[i + 2]];
  const found = COLOURS.findIndex((c) => c.every((v, k) => Math.abs(v - px[k]) <= 8));
  assert.notEqual(found, -1, `pixel [${px}] matches no test colour`);
  return found;
}

describe('VideoFileSource', () => {
  let dir: string;
  let clip: string;

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sightline-video-'));
    clip = path.join(dir, 'clip.avi');
    const writer = new cv.VideoWriter(clip, cv.VideoWriter.fourcc('MJPG'), 10, new cv.Size(160, 120), true);
    for (const c of COLOURS) writer.write(new cv.Mat(120, 160, cv.CV_8UC3, c));
    writer.release();
  });

  after(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  afterEach(() => sinon.restore());

  it('replays every frame in order as BGR, then null', async () => {
    const source = new VideoFileSource({ id: 'clip', path: clip, realtime: false });
    assert.equal(source.live, false);
    await source.open();
    const seen: number[] = [];
    for (let f = await source.read(); f; f = await source.read()) {
      assert.equal(f.seq, seen.length);
      assert.equal(f.sourceId, 'clip');
      const img = f.image as RawImage;
      assert.deepEqual([img.width, img.height, img.pixels.length], [160, 120, 160 * 120 * 3]);
      seen.push(colourIndex(f));
    }
    assert.deepEqual(seen, [0, 1, 2, 3]);
    assert.equal(await source.read(), null);
    await source.close();
  });

  it('loops back to the first frame', async () => {
    const source = new VideoFileSource({ path: clip, realtime: false, loop: true });
    await source.open();
    const seen: number[] = [];
    const seqs: number[] = [];
    for (let i = 0; i < 10; i++) {
      const f = await source.read();
      seen.push(colourIndex(f));
      seqs.push(f?.seq ?? -1);
    }
    assert.deepEqual(seen, [0, 1, 2, 3, 0, 1, 2, 3, 0, 1]);
    assert.deepEqual(seqs, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    await source.close();
  });

  it('paces at the file frame rate when realtime (fake clock)', async () => {
    const clock = sinon.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date', 'performance'] });
    const source = new VideoFileSource({ path: clip, realtime: true });
    await source.open();
    assert.equal(colourIndex(await source.read()), 0);
    let second: Frame | null | undefined;
    const pending = source.read().then((f) => (second = f));
    await untilReal(() => clock.countTimers() > 0, 'the pacing timer');
    assert.equal(clock.countTimers(), 1);
    await clock.tickAsync(99); // the file says 10 fps: 100 ms apart
    assert.equal(second, undefined);
    await clock.tickAsync(1);
    await pending;
    assert.equal(colourIndex(second ?? null), 1);
    await source.close();
  });

  it('reports a missing file, or a folder, as CAMERA_NOT_FOUND naming it', async () => {
    const missing = path.join(dir, 'missing.avi');
    await assert.rejects(new VideoFileSource({ path: missing }).open(), isCode('CAMERA_NOT_FOUND', new RegExp(`video file ${missing} cannot be found`)));
    await assert.rejects(new VideoFileSource({ path: dir }).open(), isCode('CAMERA_NOT_FOUND', /is not a regular file/));
  });

  it('reports a file OpenCV cannot open as CAMERA_OPEN_FAILED naming it', async () => {
    const junk = path.join(dir, 'junk.avi');
    fs.writeFileSync(junk, 'this is not a video');
    await assert.rejects(new VideoFileSource({ path: junk }).open(), isCode('CAMERA_OPEN_FAILED', new RegExp(`cannot open video file ${junk}`)));
  });

  it('rejects reads after close with SOURCE_CLOSED', async () => {
    const source = new VideoFileSource({ path: clip });
    await source.open();
    assert.ok(await source.read());
    await source.close();
    await assert.rejects(source.read(), isCode('SOURCE_CLOSED'));
  });
});
