import assert from 'node:assert/strict';
import * as sinon from 'sinon';
import { CameraError } from '../../../drivers/camera/camera-error';
import type { Frame, FrameImage, FrameSource } from '../../../drivers/camera/frame';
import { GStreamerSource } from '../../../drivers/camera/gstreamer-source';
import { ReconnectingSource } from '../../../drivers/camera/reconnecting-source';
import { recordingLogger, type LogEntry } from './recording-logger';
import { isCode } from './camera-error-match';

/** What one fake camera does: fail to open, or give some frames and then fail, hang or end. */
interface Script {
  openError?: Error;
  frames?: number;
  after?: 'fail' | 'hang' | 'end' | 'forever';
}

/** A stand-in for camera hardware this machine lacks; each instance follows one script. */
class FakeCamera implements FrameSource {
  readonly id = 'fake';
  readonly live = true;
  closed = false;
  /** Images handed back for reuse. */
  readonly recycled: FrameImage[] = [];
  private given = 0;

  constructor(
    readonly description: string,
    private readonly script: Script,
  ) {}

  async open(): Promise<void> {
    if (this.script.openError) throw this.script.openError;
  }

  async read(): Promise<Frame | null> {
    if (this.closed) throw new CameraError('SOURCE_CLOSED', 'fake closed');
    if (this.given < (this.script.frames ?? 0) || this.script.after === 'forever') {
      return {
        sourceId: this.id,
        seq: this.given++,
        capturedAt: Date.now(),
        capturedMono: 0,
        image: { kind: 'bgr', width: 1, height: 1, pixels: Buffer.from([0, 0, 0]) },
      };
    }
    if (this.script.after === 'hang') return new Promise<Frame | null>(() => undefined);
    if (this.script.after === 'end') return null;
    throw new CameraError('CAMERA_READ_FAILED', `${this.description} unplugged`);
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  recycle(image: FrameImage): void {
    this.recycled.push(image);
  }
}

/** A factory that hands out fake cameras following the scripts in turn (the last one repeats). */
function scriptedFactory(scripts: Script[]): { factory: () => FrameSource; made: FakeCamera[] } {
  const made: FakeCamera[] = [];
  const factory = (): FrameSource => {
    const cam = new FakeCamera(`camera #${made.length + 1}`, scripts[Math.min(made.length, scripts.length - 1)]);
    made.push(cam);
    return cam;
  };
  return { factory, made };
}

const openFails: Script = { openError: new CameraError('CAMERA_NOT_FOUND', 'V4L2 device /dev/video0 does not exist') };

function retryDelays(entries: LogEntry[]): unknown[] {
  return entries.filter((e) => e.level === 'warn').map((e) => e.fields.retryInMs);
}

describe('ReconnectingSource', () => {
  let clock: sinon.SinonFakeTimers;

  beforeEach(() => {
    clock = sinon.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
  });

  afterEach(() => sinon.restore());

  /** Reads one frame, letting fake time run through whatever backoff it needs. */
  async function readThroughBackoff(source: FrameSource): Promise<Frame | null> {
    const pending = source.read();
    await clock.runAllAsync();
    return pending;
  }

  it('rides out open failures and a failure mid-read, counting them, with frames numbered on', async () => {
    const { factory, made } = scriptedFactory([openFails, openFails, { frames: 3, after: 'fail' }, { after: 'forever' }]);
    const { log, entries } = recordingLogger();
    const source = new ReconnectingSource(factory, { id: 'cam', description: 'fake camera', random: () => 1, readTimeoutMs: 0 }, log);

    await source.open(); // the camera is not there yet: open goes on, reads will retry
    assert.equal(made.length, 1);
    assert.deepEqual(
      { ...source.state(), since: 0 },
      { connected: false, failures: 1, reconnects: 0, lastError: 'V4L2 device /dev/video0 does not exist', since: 0 },
    );

    const first = source.read();
    await clock.tickAsync(499);
    assert.equal(made.length, 1, 'waits out the first backoff step before reopening');
    await clock.tickAsync(1);
    assert.equal(made.length, 2);
    await clock.runAllAsync();
    const frames: Frame[] = [(await first) as Frame];
    for (let i = 0; i < 5; i++) frames.push((await readThroughBackoff(source)) as Frame);

    assert.deepEqual(frames.map((f) => f.seq), [0, 1, 2, 3, 4, 5]);
    assert.ok(frames.every((f) => f.sourceId === 'cam'));
    assert.equal(made.length, 4);
    assert.ok(made.slice(0, 3).every((c) => c.closed), 'broken cameras are closed');
    assert.equal(made[3].closed, false);
    // 500, 1000 while it never delivered; back to 500 after frames had come through.
    assert.deepEqual(retryDelays(entries), [500, 1000, 500]);
    const state = source.state();
    assert.equal(state.connected, true);
    assert.equal(state.failures, 3);
    assert.equal(state.reconnects, 2);
    assert.equal(state.lastError, 'camera #3 unplugged');
    assert.deepEqual(
      entries.filter((e) => e.level === 'warn').map((e) => e.fields.during),
      ['open', 'open', 'read'],
    );
    await source.close();
    assert.equal(made[3].closed, true);
  });

  it('hands frames back to the camera connected now, and drops them while none is', async () => {
    const { factory, made } = scriptedFactory([{ frames: 1, after: 'fail' }, { after: 'forever' }]);
    const source = new ReconnectingSource(factory, { id: 'cam', description: 'fake camera', random: () => 1, readTimeoutMs: 0 });
    await source.open();
    const first = (await readThroughBackoff(source)) as Frame;
    const second = (await readThroughBackoff(source)) as Frame;
    assert.equal(made.length, 2, 'the first camera failed after one frame and was replaced');
    source.recycle(first.image);
    source.recycle(second.image);
    assert.deepEqual(made[0].recycled, []);
    assert.deepEqual(made[1].recycled, [first.image, second.image]);
    await source.close();
    source.recycle(second.image);
    assert.equal(made[1].recycled.length, 2, 'nothing goes to a closed camera');
  });

  it('grows the backoff per consecutive failure and caps it', async () => {
    const { factory, made } = scriptedFactory([openFails]);
    const { log, entries } = recordingLogger();
    const source = new ReconnectingSource(
      factory,
      { id: 'cam', description: 'fake', initialDelayMs: 500, maxDelayMs: 4000, random: () => 1 },
      log,
    );
    await source.open();
    const pending = source.read();
    pending.catch(() => undefined);
    await clock.tickAsync(500 + 1000 + 2000 + 4000 + 4000);
    assert.deepEqual(retryDelays(entries), [500, 1000, 2000, 4000, 4000, 4000]);
    assert.equal(made.length, 6);
    assert.equal(source.state().failures, 6);
    assert.equal(source.state().reconnects, 0);

    // close() during the wait: the read rejects at once and no timer is left behind.
    await source.close();
    await assert.rejects(pending, isCode('SOURCE_CLOSED', /camera source cam is closed/));
    assert.equal(clock.countTimers(), 0);
    await assert.rejects(source.read(), isCode('SOURCE_CLOSED'));
  });

  it('draws the delay from the jitter source', async () => {
    const { factory } = scriptedFactory([openFails]);
    const { log, entries } = recordingLogger();
    const draws = [0.5, 0.25, 0.125];
    const source = new ReconnectingSource(factory, { id: 'cam', description: 'fake', random: () => draws.shift() ?? 1 }, log);
    await source.open();
    const pending = source.read();
    pending.catch(() => undefined);
    await clock.tickAsync(250 + 250);
    assert.deepEqual(retryDelays(entries), [250, 250, 250]);
    await source.close();
  });

  it('treats a stalled read as a failure after readTimeoutMs', async () => {
    const { factory, made } = scriptedFactory([{ frames: 1, after: 'hang' }, { after: 'forever' }]);
    const source = new ReconnectingSource(factory, { id: 'cam', description: 'fake', readTimeoutMs: 2000, random: () => 1 });
    await source.open();
    assert.ok(await source.read());
    const next = source.read();
    await clock.tickAsync(1999);
    assert.equal(made.length, 1);
    await clock.runAllAsync();
    const frame = await next;
    assert.equal(frame?.seq, 1);
    assert.equal(made.length, 2);
    assert.match(source.state().lastError ?? '', /gave no frame within 2000 ms/);
    await source.close();
  });

  it('treats the end of a live stream as a failure and reconnects', async () => {
    const { factory, made } = scriptedFactory([{ frames: 1, after: 'end' }, { after: 'forever' }]);
    const source = new ReconnectingSource(factory, { id: 'cam', description: 'fake', random: () => 1 });
    await source.open();
    assert.ok(await source.read());
    assert.ok(await readThroughBackoff(source));
    assert.equal(made.length, 2);
    assert.match(source.state().lastError ?? '', /ended its stream/);
    await source.close();
  });

  it('close() while a read waits on a connected camera rejects it and closes the camera', async () => {
    const { factory, made } = scriptedFactory([{ after: 'hang' }]);
    const source = new ReconnectingSource(factory, { id: 'cam', description: 'fake', readTimeoutMs: 0 });
    await source.open();
    const pending = source.read();
    await clock.tickAsync(0);
    await source.close();
    await assert.rejects(pending, isCode('SOURCE_CLOSED'));
    assert.equal(made[0].closed, true);
    assert.equal(source.state().connected, false);
    assert.equal(clock.countTimers(), 0);
  });

  it('throws PIPELINE_INVALID from the first open, since retrying cannot fix it', async () => {
    const bad = new CameraError('PIPELINE_INVALID', 'GStreamer pipeline element 1 "libcamerasrc" does not exist (not installed?)');
    const { factory } = scriptedFactory([{ openError: bad }]);
    const source = new ReconnectingSource(factory, { id: 'cam', description: 'fake' });
    await assert.rejects(source.open(), isCode('PIPELINE_INVALID', /libcamerasrc/));
    assert.equal(source.state().failures, 1);
  });

  it('counts a factory that throws as a failure and retries', async () => {
    let calls = 0;
    const factory = (): FrameSource => {
      calls++;
      if (calls === 1) throw new Error('no camera driver loaded');
      return new FakeCamera('camera', { after: 'forever' });
    };
    const source = new ReconnectingSource(factory, { id: 'cam', description: 'fake', random: () => 1 });
    await source.open();
    assert.equal(source.state().lastError, 'no camera driver loaded');
    assert.ok(await readThroughBackoff(source));
    assert.equal(source.state().reconnects, 1);
    await source.close();
  });

  it('rejects bad backoff settings at construction', () => {
    const { factory } = scriptedFactory([{ after: 'forever' }]);
    assert.throws(() => new ReconnectingSource(factory, { id: 'c', description: 'd', initialDelayMs: 0 }), /initialMs/);
    assert.throws(() => new ReconnectingSource(factory, { id: 'c', description: 'd', initialDelayMs: 1000, maxDelayMs: 10 }), /maxMs/);
  });
});

describe('ReconnectingSource over a real GStreamer pipeline', () => {
  it('reopens a pipeline that keeps ending and goes on delivering frames', async () => {
    const pipeline = 'videotestsrc num-buffers=2 ! video/x-raw,width=32,height=24,format=BGR ! appsink';
    const source = new ReconnectingSource(() => new GStreamerSource({ id: 'gst', pipeline, live: true }), {
      id: 'gst:test',
      description: pipeline,
      initialDelayMs: 1,
      maxDelayMs: 2,
    });
    await source.open();
    const seqs: number[] = [];
    for (let i = 0; i < 5; i++) {
      const f = await source.read();
      assert.ok(f && f.image.kind === 'bgr' && f.image.width === 32);
      seqs.push(f.seq);
    }
    assert.deepEqual(seqs, [0, 1, 2, 3, 4]);
    const state = source.state();
    assert.equal(state.failures, 2, 'each 2-frame run ends once');
    assert.equal(state.reconnects, 2);
    assert.match(state.lastError ?? '', /delivered no frame/);
    await source.close();
  });
});
