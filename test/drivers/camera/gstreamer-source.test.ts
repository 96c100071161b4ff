import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import cv = require('../../../drivers/opencv');
import type { Frame, RawImage } from '../../../drivers/camera/frame';
import { GStreamerSource } from '../../../drivers/camera/gstreamer-source';
import { isCode } from './camera-error-match';

function raw(frame: Frame | null): RawImage {
  assert.ok(frame, 'expected a frame');
  assert.equal(frame.image.kind, 'bgr');
  return frame.image as RawImage;
}

/** BGR of the pixel at (x, y). */
function pixel(image: RawImage, x: number, y: number): number[] {
  const i = (y * image.width + x) * 3;
  return [image.pixels[i], image.pixels[i + 1], image.pixels[i + 2]];
}

async function readAll(source: GStreamerSource, limit: number): Promise<Frame[]> {
  const frames: Frame[] = [];
  for (let i = 0; i < limit; i++) {
    const f = await source.read();
    if (!f) return frames;
    frames.push(f);
  }
  assert.fail(`source did not end within ${limit} frames`);
}

function assertClose(actual: number[], expected: number[], tolerance: number, what: string): void {
  actual.forEach((v, i) =>
    assert.ok(Math.abs(v - expected[i]) <= tolerance, `${what}: got [${actual}] expected [${expected}] ±${tolerance}`),
  );
}

describe('GStreamerSource (real GStreamer through OpenCV)', () => {
  let dir: string;

  before(() => {
    assert.match(cv.getBuildInformation(), /GStreamer:\s+YES/, 'OpenCV must be built with GStreamer');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sightline-gst-'));
  });

  after(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('videotestsrc num-buffers=N gives N BGR frames of the right size, then null', async () => {
    const source = new GStreamerSource({
      id: 'gst:test',
      pipeline: 'videotestsrc num-buffers=5 ! video/x-raw,width=320,height=240,format=BGR ! appsink',
    });
    assert.equal(source.live, false, 'a num-buffers pipeline ends by itself');
    await source.open();
    const frames = await readAll(source, 20);
    assert.equal(frames.length, 5);
    frames.forEach((f, i) => {
      const img = raw(f);
      assert.equal(f.sourceId, 'gst:test');
      assert.equal(f.seq, i);
      assert.equal(img.width, 320);
      assert.equal(img.height, 240);
      assert.equal(img.pixels.length, 320 * 240 * 3);
      assert.ok(f.capturedAt > 0 && f.capturedMono > 0);
    });
    assert.equal(await source.read(), null, 'stays ended');
    await source.close();
  });

  it('copies frames into buffers handed back, byte for byte what a fresh read gives', async () => {
    const pipeline = 'videotestsrc num-buffers=6 pattern=ball ! video/x-raw,width=160,height=120,format=BGR ! appsink';
    const recycling = new GStreamerSource({ id: 'gst:recycle', pipeline });
    const fresh = new GStreamerSource({ id: 'gst:fresh', pipeline });
    await recycling.open();
    await fresh.open();
    let reused = 0;
    let previous: Buffer | null = null;
    const seen = new Set<string>();
    for (let i = 0; i < 6; i++) {
      const [a, b] = [raw(await recycling.read()), raw(await fresh.read())];
      assert.ok(a.pixels.equals(b.pixels), `frame ${i} differs`);
      seen.add(a.pixels.toString('base64'));
      if (previous !== null && a.pixels.buffer === previous.buffer) reused++;
      previous = a.pixels;
      recycling.recycle(a);
    }
    assert.equal(reused, 5, 'every frame after the first lands in the buffer handed back');
    assert.ok(seen.size > 1, 'the ball moves: frames really were written over');
    await recycling.close();
    await fresh.close();
  });

  it('replays PNGs through multifilesrc in order with their colours', async () => {
    const colours = [
      [255, 0, 0],
      [0, 255, 0],
      [0, 0, 255],
      [40, 80, 120],
    ];
    colours.forEach((bgr, i) => {
      const img = new cv.Mat(48, 64, cv.CV_8UC3, bgr);
      // A black square in a per-frame corner, so order is checked by shape as well as colour.
      img.drawRectangle(new cv.Rect(i * 16, 0, 8, 8), new cv.Vec3(0, 0, 0), -1);
      cv.imwrite(path.join(dir, `img${String(i).padStart(3, '0')}.png`), img);
    });
    const source = new GStreamerSource({
      id: 'gst:png',
      pipeline: `multifilesrc location=${dir}/img%03d.png index=0 ! pngdec ! videoconvert ! video/x-raw,format=BGR ! appsink`,
    });
    assert.equal(source.live, false);
    await source.open();
    const frames = await readAll(source, 10);
    assert.equal(frames.length, colours.length);
    frames.forEach((f, i) => {
      const img = raw(f);
      assert.deepEqual([img.width, img.height], [64, 48]);
      assert.deepEqual(pixel(img, 40, 40), colours[i], `frame ${i} colour`);
      assert.deepEqual(pixel(img, i * 16 + 2, 2), [0, 0, 0], `frame ${i} marker`);
    });
    await source.close();
  });

  it('decodes a test-made MJPG AVI through filesrc ! decodebin', async () => {
    const file = path.join(dir, 'clip.avi');
    const colours = [
      [200, 30, 30],
      [30, 200, 30],
      [30, 30, 200],
    ];
    const writer = new cv.VideoWriter(file, cv.VideoWriter.fourcc('MJPG'), 10, new cv.Size(160, 120), true);
    for (const c of colours) writer.write(new cv.Mat(120, 160, cv.CV_8UC3, c));
    writer.release();

    const source = new GStreamerSource({
      id: 'gst:file',
      pipeline: `filesrc location="${file}" ! decodebin ! videoconvert ! appsink`,
    });
    assert.equal(source.live, false);
    await source.open();
    const frames = await readAll(source, 10);
    assert.equal(frames.length, colours.length);
    // JPEG is lossy: compare within a tolerance.
    frames.forEach((f, i) => assertClose(pixel(raw(f), 80, 60), colours[i], 8, `frame ${i}`));
    await source.close();
  });

  it('converts grey, 16-bit grey and BGRx captures to 3-channel 8-bit BGR', async () => {
    const greyPipeline = 'videotestsrc num-buffers=1 pattern=white ! video/x-raw,width=16,height=8,format=GRAY8 ! appsink';
    const reference = new cv.VideoCapture(greyPipeline, cv.CAP_GSTREAMER);
    const greyMat = await reference.readAsync();
    reference.release();
    assert.equal(greyMat.channels, 1);
    const grey = greyMat.atRaw(0, 0) as unknown as number;

    const greySource = new GStreamerSource({ id: 'grey', pipeline: greyPipeline });
    await greySource.open();
    const g = raw(await greySource.read());
    assert.equal(g.pixels.length, 16 * 8 * 3);
    assert.deepEqual(pixel(g, 3, 3), [grey, grey, grey]);
    await greySource.close();

    const deepPipeline = 'videotestsrc num-buffers=1 pattern=white ! video/x-raw,width=16,height=8,format=GRAY16_LE ! appsink';
    const deepReference = new cv.VideoCapture(deepPipeline, cv.CAP_GSTREAMER);
    const deepMat = await deepReference.readAsync();
    deepReference.release();
    assert.equal(deepMat.depth, cv.CV_16U);
    const deepAsByte = Math.round((deepMat.atRaw(0, 0) as unknown as number) / 256);
    const deepSource = new GStreamerSource({ id: 'grey16', pipeline: deepPipeline });
    await deepSource.open();
    const d = raw(await deepSource.read());
    assert.deepEqual(pixel(d, 3, 3), [deepAsByte, deepAsByte, deepAsByte]);
    await deepSource.close();

    // foreground-color is ARGB: R=0x00, G=0x80, B=0xff.
    const bgrx = new GStreamerSource({
      id: 'bgrx',
      pipeline:
        'videotestsrc num-buffers=1 pattern=solid-color foreground-color=0xff0080ff ! video/x-raw,width=16,height=8,format=BGRx ! appsink',
    });
    await bgrx.open();
    const b = raw(await bgrx.read());
    assert.equal(b.pixels.length, 16 * 8 * 3);
    assert.deepEqual(pixel(b, 5, 5), [0xff, 0x80, 0x00]);
    await bgrx.close();
  });

  it('treats the end of a live pipeline as a read failure', async () => {
    const source = new GStreamerSource({
      id: 'gst:live',
      live: true,
      pipeline: 'videotestsrc num-buffers=2 ! video/x-raw,width=32,height=24,format=BGR ! appsink',
    });
    await source.open();
    assert.ok(await source.read());
    assert.ok(await source.read());
    await assert.rejects(source.read(), isCode('CAMERA_READ_FAILED', /videotestsrc num-buffers=2 .* delivered no frame/));
    await source.close();
  });

  it('validates before opening: unknown element and missing device', async () => {
    const unknown = new GStreamerSource({ id: 'x', pipeline: 'videotestsrc ! foosrc ! appsink' });
    await assert.rejects(unknown.open(), isCode('PIPELINE_INVALID', /element 2 "foosrc" does not exist/));
    const device = path.join(dir, 'video7');
    const usb = new GStreamerSource({ id: 'usb', pipeline: `v4l2src device=${device} ! videoconvert ! appsink` });
    assert.equal(usb.live, true);
    await assert.rejects(usb.open(), isCode('CAMERA_NOT_FOUND', new RegExp(device)));
  });

  it('reports a pipeline GStreamer cannot start as CAMERA_OPEN_FAILED naming it', async () => {
    // Valid syntax and installed elements, but the sizes cannot be negotiated (no videoscale).
    const pipeline = 'videotestsrc num-buffers=1 ! video/x-raw,width=32,height=24 ! videoconvert ! video/x-raw,width=64 ! appsink';
    const source = new GStreamerSource({ id: 'bad', pipeline });
    await assert.rejects(
      source.open(),
      isCode('CAMERA_OPEN_FAILED', /could not open GStreamer pipeline "videotestsrc num-buffers=1 ! .*width=64 ! appsink"/),
    );
  });

  it('rejects reads before open and after close with SOURCE_CLOSED', async () => {
    const source = new GStreamerSource({
      id: 'gst:closing',
      pipeline: 'videotestsrc is-live=true ! video/x-raw,width=32,height=24,format=BGR,framerate=30/1 ! appsink',
    });
    await assert.rejects(source.read(), isCode('SOURCE_CLOSED', /before open/));
    await source.open();
    assert.ok(await source.read());
    const inFlight = source.read();
    await new Promise((resolve) => setImmediate(resolve)); // let the pool job start
    await source.close();
    await assert.rejects(inFlight, isCode('SOURCE_CLOSED'));
    await assert.rejects(source.read(), isCode('SOURCE_CLOSED', /is closed/));
    await assert.rejects(source.open(), isCode('SOURCE_CLOSED'));
  });
});
