import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import cv = require('../../../drivers/opencv');
import { CameraError } from '../../../drivers/camera/camera-error';
import { createSource } from '../../../drivers/camera/create-source';
import { FolderSource } from '../../../drivers/camera/folder-source';
import { GStreamerSource } from '../../../drivers/camera/gstreamer-source';
import { ReconnectingSource } from '../../../drivers/camera/reconnecting-source';
import { SyntheticTrafficSource } from '../../../drivers/camera/synthetic/synthetic-source';
import { VideoFileSource } from '../../../drivers/camera/video-file-source';
import { silentLogger } from '../../../drivers/log';

describe('createSource', () => {
  let dir: string;

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sightline-create-'));
  });

  after(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('wraps a live camera preset in a ReconnectingSource that keeps trying', async () => {
    const source = createSource(
      { kind: 'gstreamer', preset: 'usb', device: '/dev/video-sightline-absent', width: 640, height: 480, fps: 15 },
      silentLogger,
    );
    assert.ok(source instanceof ReconnectingSource);
    assert.equal(source.id, 'gst:usb');
    assert.equal(source.live, true);
    assert.match(source.description, /^v4l2src device=\/dev\/video-sightline-absent /);
    await source.open(); // a missing camera is retried, not fatal
    const state = source.state();
    assert.equal(state.connected, false);
    assert.equal(state.failures, 1);
    assert.match(state.lastError ?? '', /V4L2 device \/dev\/video-sightline-absent does not exist/);
    await source.close();
  });

  it('redacts the RTSP password from the description', () => {
    const source = createSource(
      { kind: 'gstreamer', preset: 'rtsp', url: 'rtsp://admin:hunter2@10.0.0.9/live', width: 1280, height: 720, fps: 10 },
      silentLogger,
    );
    assert.match(source.description, /rtsp:\/\/admin:\*\*\*@10\.0\.0\.9\/live/);
    assert.doesNotMatch(source.description, /hunter2/);
  });

  it('fails at once on a preset it cannot build, or an uninstalled camera element', async () => {
    assert.throws(
      () => createSource({ kind: 'gstreamer', preset: 'usb', device: '/dev/video0 ! fakesink', width: 640, height: 480, fps: 15 }, silentLogger),
      (err: unknown) => err instanceof CameraError && err.code === 'PIPELINE_INVALID',
    );
    const jetson = createSource({ kind: 'gstreamer', preset: 'jetson', width: 1280, height: 720, fps: 30 }, silentLogger);
    await assert.rejects(jetson.open(), (err: unknown) => err instanceof CameraError && err.code === 'PIPELINE_INVALID' && /nvarguscamerasrc/.test(err.message));
    await jetson.close();
  });

  it('runs a finite custom pipeline directly, without reconnecting', async () => {
    const source = createSource(
      {
        kind: 'gstreamer',
        preset: 'custom',
        pipeline: 'videotestsrc num-buffers=2 ! video/x-raw,width=32,height=24,format=BGR ! appsink',
        width: 32,
        height: 24,
        fps: 30,
      },
      silentLogger,
    );
    assert.ok(source instanceof GStreamerSource);
    assert.equal(source.live, false);
    await source.open();
    assert.ok(await source.read());
    assert.ok(await source.read());
    assert.equal(await source.read(), null);
    await source.close();
  });

  it('passes synthetic options through to the synthetic traffic source', async () => {
    const source = createSource({ kind: 'synthetic', width: 320, height: 240, fps: 5, realtime: false, seed: 7 }, silentLogger);
    assert.ok(source instanceof SyntheticTrafficSource);
    await source.open();
    const frame = await source.read();
    assert.ok(frame && frame.image.kind === 'bgr');
    assert.deepEqual([frame.image.width, frame.image.height], [320, 240]);
    await source.close();
  });

  it('builds folder and video replays', async () => {
    cv.imwrite(path.join(dir, 'a.png'), new cv.Mat(8, 8, cv.CV_8UC3, [1, 2, 3]));
    const folder = createSource({ kind: 'folder', path: dir, loop: false }, silentLogger);
    assert.ok(folder instanceof FolderSource);
    await folder.open();
    const f = await folder.read();
    assert.equal(f?.image.kind, 'encoded');
    await folder.close();

    const clip = path.join(dir, 'clip.avi');
    const writer = new cv.VideoWriter(clip, cv.VideoWriter.fourcc('MJPG'), 10, new cv.Size(32, 24), true);
    writer.write(new cv.Mat(24, 32, cv.CV_8UC3, [0, 0, 0]));
    writer.release();
    const video = createSource({ kind: 'video', path: clip, realtime: false, loop: false }, silentLogger);
    assert.ok(video instanceof VideoFileSource);
    await video.open();
    assert.equal((await video.read())?.image.kind, 'bgr');
    assert.equal(await video.read(), null);
    await video.close();
  });
});
