import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import cv = require('../../../drivers/opencv');
import * as sinon from 'sinon';
import { FolderSource } from '../../../drivers/camera/folder-source';
import type { EncodedImage, Frame } from '../../../drivers/camera/frame';
import { untilReal } from './real-wait';
import { recordingLogger } from './recording-logger';
import { isCode } from './camera-error-match';

function encoded(frame: Frame | null): EncodedImage {
  assert.ok(frame, 'expected a frame');
  assert.equal(frame.image.kind, 'encoded');
  return frame.image as EncodedImage;
}

/** Writes a small real image (format from the extension) with a per-file colour. */
function writeImage(dir: string, name: string, shade: number): string {
  const file = path.join(dir, name);
  const ext = path.extname(name).toLowerCase();
  const bytes = cv.imencode(ext === '.tif' || ext === '.tiff' ? '.tiff' : ext === '.jpeg' ? '.jpg' : ext, new cv.Mat(8, 8, cv.CV_8UC3, [shade, 255 - shade, 0]));
  fs.writeFileSync(file, bytes);
  return file;
}

/** Lets real I/O run while the fake clock holds timers, until the source has armed its pacing timer. */
async function untilTimerArmed(clock: sinon.SinonFakeTimers): Promise<void> {
  await untilReal(() => clock.countTimers() > 0, 'the pacing timer');
  assert.equal(clock.countTimers(), 1, 'the source should be waiting on exactly one timer');
}

describe('FolderSource', () => {
  let dir: string;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sightline-folder-'));
  });

  afterEach(() => {
    sinon.restore();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('yields images in natural name order, still encoded, then null', async () => {
    const written = new Map<string, string>();
    for (const [name, shade] of [
      ['frame10.png', 10],
      ['frame2.png', 2],
      ['frame1.JPG', 1],
      ['Frame3.jpeg', 3],
      ['frame4.tiff', 4],
      ['frame5.bmp', 5],
      ['frame6.webp', 6],
    ] as const) {
      written.set(name, writeImage(dir, name, shade));
    }
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'not an image');
    fs.writeFileSync(path.join(dir, 'frame7.png.bak'), 'not an image either');

    const source = new FolderSource({ id: 'replay', path: dir });
    assert.equal(source.live, false);
    await source.open();
    const names: string[] = [];
    for (let f = await source.read(); f; f = await source.read()) {
      const img = encoded(f);
      assert.equal(f.sourceId, 'replay');
      assert.equal(f.seq, names.length);
      assert.deepEqual(img.bytes, fs.readFileSync(img.name), `bytes of ${img.name}`);
      names.push(path.basename(img.name));
    }
    assert.deepEqual(names, ['frame1.JPG', 'frame2.png', 'Frame3.jpeg', 'frame4.tiff', 'frame5.bmp', 'frame6.webp', 'frame10.png']);
    assert.equal(path.dirname(written.get('frame2.png') as string), dir);
    assert.equal(await source.read(), null);
    assert.equal(source.skipped, 0);
    await source.close();
  });

  it('loops, listing the folder again on each pass', async () => {
    writeImage(dir, 'a.png', 1);
    writeImage(dir, 'b.png', 2);
    const source = new FolderSource({ path: dir, loop: true });
    await source.open();
    const names: string[] = [];
    names.push(path.basename(encoded(await source.read()).name));
    names.push(path.basename(encoded(await source.read()).name));
    writeImage(dir, 'c.png', 3); // appears from the next pass on
    for (let i = 0; i < 4; i++) names.push(path.basename(encoded(await source.read()).name));
    assert.deepEqual(names, ['a.png', 'b.png', 'a.png', 'b.png', 'c.png', 'a.png']);
    await source.close();
  });

  it('paces frames at the requested fps (fake clock)', async () => {
    writeImage(dir, 'a.png', 1);
    writeImage(dir, 'b.png', 2);
    writeImage(dir, 'c.png', 3);
    writeImage(dir, 'd.png', 4);
    const clock = sinon.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date', 'performance'] });
    const source = new FolderSource({ path: dir, fps: 10 });
    await source.open();
    assert.ok(await source.read(), 'the first frame is due at once');

    let second: Frame | null | undefined;
    const pending = source.read().then((f) => (second = f));
    await untilTimerArmed(clock);
    await clock.tickAsync(99);
    assert.equal(second, undefined, 'not before its 100 ms slot');
    await clock.tickAsync(1);
    await pending;
    assert.equal(path.basename(encoded(second ?? null).name), 'b.png');

    // A reader that comes back late gets the next frame at once, and is not owed a burst:
    // the schedule restarts from there, so the frame after it waits a whole slot again.
    await clock.tickAsync(1000);
    let third: Frame | null | undefined;
    const pendingThird = source.read().then((f) => (third = f));
    await untilReal(() => third !== undefined, 'the third frame');
    assert.equal(path.basename(encoded(third ?? null).name), 'c.png');
    await pendingThird;
    let fourth: Frame | null | undefined;
    const pendingFourth = source.read().then((f) => (fourth = f));
    await untilTimerArmed(clock);
    await clock.tickAsync(99);
    assert.equal(fourth, undefined);
    await clock.tickAsync(1);
    await pendingFourth;
    assert.equal(path.basename(encoded(fourth ?? null).name), 'd.png');
    await source.close();
  });

  it('hands out frames without waiting when fps is omitted', async () => {
    writeImage(dir, 'a.png', 1);
    writeImage(dir, 'b.png', 2);
    const clock = sinon.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date', 'performance'] });
    const source = new FolderSource({ path: dir });
    await source.open();
    assert.ok(await source.read());
    assert.ok(await source.read());
    assert.equal(clock.countTimers(), 0);
    await source.close();
  });

  it('close() during a pacing wait rejects the read at once and leaves no timer', async () => {
    writeImage(dir, 'a.png', 1);
    writeImage(dir, 'b.png', 2);
    const clock = sinon.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date', 'performance'] });
    const source = new FolderSource({ path: dir, fps: 1 });
    await source.open();
    await source.read();
    const pending = source.read();
    await untilTimerArmed(clock);
    await source.close();
    await assert.rejects(pending, isCode('SOURCE_CLOSED'));
    assert.equal(clock.countTimers(), 0);
    await assert.rejects(source.read(), isCode('SOURCE_CLOSED'));
  });

  it('reports an empty folder, or one with no images, as SOURCE_EMPTY naming it', async () => {
    await assert.rejects(new FolderSource({ path: dir }).open(), isCode('SOURCE_EMPTY', new RegExp(`image folder ${dir} has no images`)));
    fs.writeFileSync(path.join(dir, 'readme.txt'), 'x');
    await assert.rejects(new FolderSource({ path: dir }).open(), isCode('SOURCE_EMPTY', new RegExp(dir)));
  });

  it('reports a missing folder, or a file given as the folder, as CAMERA_NOT_FOUND naming it', async () => {
    const missing = path.join(dir, 'nope');
    await assert.rejects(new FolderSource({ path: missing }).open(), isCode('CAMERA_NOT_FOUND', new RegExp(`${missing} cannot be read`)));
    const file = writeImage(dir, 'a.png', 1);
    await assert.rejects(new FolderSource({ path: file }).open(), isCode('CAMERA_NOT_FOUND', new RegExp(`${file} is not a directory`)));
  });

  it('skips, logs and counts files that cannot be read, and returns the next one', async () => {
    writeImage(dir, 'a.png', 1);
    fs.mkdirSync(path.join(dir, 'b.png')); // a directory named like an image
    const vanishing = writeImage(dir, 'c.png', 3);
    fs.writeFileSync(path.join(dir, 'd.png'), Buffer.alloc(0)); // empty
    writeImage(dir, 'e.png', 5);
    const { log, entries } = recordingLogger();
    const source = new FolderSource({ path: dir }, log);
    await source.open();
    fs.rmSync(vanishing); // gone after listing

    const names: string[] = [];
    for (let f = await source.read(); f; f = await source.read()) names.push(path.basename(encoded(f).name));
    assert.deepEqual(names, ['a.png', 'e.png']);
    assert.equal(source.skipped, 3);
    const warned = entries.filter((e) => e.level === 'warn');
    assert.deepEqual(warned.map((e) => path.basename(String(e.fields.file))), ['b.png', 'c.png', 'd.png']);
    assert.match(String(warned[0].fields.reason), /not a regular file/);
    assert.match(String(warned[1].fields.reason), /ENOENT/);
    assert.match(String(warned[2].fields.reason), /empty file/);
    await source.close();
  });

  it('skips files over the size limit', async () => {
    writeImage(dir, 'a.png', 1);
    fs.writeFileSync(path.join(dir, 'b.png'), Buffer.alloc(2048, 1));
    const source = new FolderSource({ path: dir, maxFileBytes: 1024 });
    await source.open();
    assert.equal(path.basename(encoded(await source.read()).name), 'a.png');
    assert.equal(await source.read(), null);
    assert.equal(source.skipped, 1);
  });

  it('when looping over a folder with nothing readable, fails instead of spinning', async () => {
    fs.mkdirSync(path.join(dir, 'a.png'));
    fs.mkdirSync(path.join(dir, 'b.jpg'));
    const source = new FolderSource({ path: dir, loop: true });
    await source.open();
    await assert.rejects(source.read(), isCode('SOURCE_EMPTY', /no readable images \(2 skipped so far\)/));
    assert.equal(source.skipped, 2);
  });

  it('rejects a read before open', async () => {
    writeImage(dir, 'a.png', 1);
    await assert.rejects(new FolderSource({ path: dir }).read(), isCode('SOURCE_CLOSED', /before open/));
  });
});
