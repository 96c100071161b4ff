import assert from 'node:assert/strict';
import { copyFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Worker } from 'node:worker_threads';
import cv = require('../../drivers/opencv');
import type { FrameImage } from '../../drivers/camera/frame';
import { DEFAULT_MANIFEST_PATH, readManifest, resolveModelFile } from '../../recognizer/model-manifest';
import { RecognizerError } from '../../recognizer/recognizer-error';
import { RecognizerPool, defaultWorkerCount } from '../../recognizer/recognizer-pool';
import { DEFAULT_MOTION_GATE_OPTIONS } from '../../recognizer/preprocess/motion-gate';
import { framesWithPlates } from '../support/synthetic-frames';
import { useTempDir } from '../support/temp-dir';

function copyImage(image: FrameImage): FrameImage {
  return image.kind === 'bgr' ? { ...image, pixels: Buffer.from(image.pixels) } : { ...image, bytes: Buffer.from(image.bytes) };
}

describe('RecognizerPool (real worker threads)', function () {
  this.timeout(120_000);
  let frames: FrameImage[];
  let pool: RecognizerPool | null = null;
  const tmp = useTempDir();

  before(async () => {
    frames = (await framesWithPlates(4, { width: 1280, height: 720 })).map((f) => f.image);
  });

  afterEach(async () => {
    await pool?.close();
    pool = null;
  });

  it('sizes itself to the cores minus one, at least one', () => {
    assert.ok(defaultWorkerCount() >= 1);
  });

  it('drops and counts a live frame when every worker is busy, never queueing it', async () => {
    pool = await RecognizerPool.start({ workers: 1 });
    const first = pool.tryRecognize(copyImage(frames[0]));
    const second = pool.tryRecognize(copyImage(frames[1]));
    assert.ok(first);
    assert.equal(second, null);
    assert.equal(pool.stats().dropped, 1);
    assert.ok((await first).candidates.length > 0);
    const third = pool.tryRecognize(copyImage(frames[1]));
    assert.ok(third, 'a worker is free again once its frame is done');
    await third;
    assert.deepEqual({ ...pool.stats(), busy: 0 }, { workers: 1, busy: 0, submitted: 2, completed: 2, failed: 0, dropped: 1, restarts: 0 });
  });

  it('makes still images wait for a worker, within a bounded line', async () => {
    pool = await RecognizerPool.start({ workers: 1, maxWaiting: 2 });
    const results = await Promise.allSettled([0, 1, 2, 3].map((i) => pool!.recognize(copyImage(frames[i]))));
    const refused = results.filter((r) => r.status === 'rejected');
    assert.equal(refused.length, 1, 'one in flight and two waiting; the fourth is refused');
    assert.equal(((refused[0] as PromiseRejectedResult).reason as RecognizerError).code, 'POOL_BUSY');
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 3);
  });

  it('runs OpenCV in several workers and the main thread at once', async () => {
    pool = await RecognizerPool.start({ workers: 2 });
    // The main thread keeps using OpenCV (as the synthetic camera does) while both workers read.
    const busyMain = (async () => {
      let sum = 0;
      for (let i = 0; i < 20; i++) {
        const mat = new cv.Mat(200, 300, cv.CV_8UC3, [i, 2 * i, 3 * i]);
        sum += (await mat.resizeAsync(100, 150)).cols + mat.gaussianBlur(new cv.Size(5, 5), 1).rows;
      }
      return sum;
    })();
    const results = await Promise.all(frames.map((f) => pool!.recognize(copyImage(f))));
    assert.equal(await busyMain, 20 * (150 + 200));
    assert.ok(results.every((r) => r.width === 1280 && r.candidates.length > 0));
  });

  it('passes a live frame unread when its worker\'s motion gate saw nothing move; a still image is always read', async () => {
    pool = await RecognizerPool.start({ workers: 1, reader: { motionGate: { ...DEFAULT_MOTION_GATE_OPTIONS, heartbeatMs: 60_000 } } });
    const first = await pool.tryRecognize(copyImage(frames[0]), { gate: true });
    assert.ok(first && first.still === undefined && first.candidates.length > 0);
    const same = await pool.tryRecognize(copyImage(frames[0]), { gate: true });
    assert.ok(same);
    assert.equal(same.still, true);
    assert.equal(same.candidates.length, 0);
    const asStill = await pool.recognize(copyImage(frames[0]));
    assert.equal(asStill.still, undefined);
    assert.ok(asStill.candidates.length > 0);
  });

  it('hands a frame with candidates back when asked, pixels intact, for alert evidence; not a frame without, nor unasked', async () => {
    pool = await RecognizerPool.start({ workers: 1 });
    const unasked = await pool.recognize(copyImage(frames[0]));
    assert.ok(unasked.candidates.length > 0);
    assert.equal(unasked.image, undefined);
    const sent = copyImage(frames[0]);
    const original = copyImage(frames[0]);
    const result = await pool.recognize(sent, { returnImage: true });
    assert.ok(result.candidates.length > 0);
    assert.ok(result.image?.kind === 'bgr' && original.kind === 'bgr');
    assert.equal(result.image.width, 1280);
    assert.ok(result.image.pixels.equals(original.pixels));
    const blank: FrameImage = { kind: 'bgr', width: 640, height: 360, pixels: Buffer.alloc(640 * 360 * 3, 90) };
    const empty = await pool.recognize(blank, { returnImage: true });
    assert.equal(empty.candidates.length, 0);
    assert.equal(empty.image, undefined);
  });

  it('sends the pixels of a frame it does not return back to the recycler, intact; a returned one and an encoded one not', async () => {
    pool = await RecognizerPool.start({ workers: 1 });
    const recycled: FrameImage[] = [];
    const recycle = (image: FrameImage) => recycled.push(image);
    const sent = copyImage(frames[1]);
    const original = copyImage(frames[1]);
    const plain = await pool.recognize(sent, { recycle });
    assert.ok(plain.candidates.length > 0);
    assert.equal(plain.image, undefined);
    assert.equal(recycled.length, 1);
    const back = recycled[0];
    assert.ok(back.kind === 'bgr' && original.kind === 'bgr');
    assert.deepEqual([back.width, back.height], [1280, 720]);
    assert.ok(back.pixels.equals(original.pixels), 'the bytes sent come back unchanged');

    const kept = await pool.recognize(copyImage(frames[1]), { returnImage: true, recycle });
    assert.ok(kept.image, 'asked for as evidence, the frame is the result\'s image');
    assert.equal(recycled.length, 1, 'and is not also recycled');

    const jpeg = cv.imencode('.jpg', new cv.Mat(64, 64, cv.CV_8UC3, [9, 9, 9]));
    await pool.recognize({ kind: 'encoded', name: 'grey.jpg', bytes: jpeg }, { recycle });
    assert.equal(recycled.length, 1, 'encoded files are not camera buffers');
  });

  it('still answers a frame whose recycler throws', async () => {
    pool = await RecognizerPool.start({ workers: 1 });
    const result = await pool.recognize(copyImage(frames[2]), {
      recycle: () => {
        throw new Error('recycler broke');
      },
    });
    assert.ok(result.candidates.length > 0);
  });

  it('answers a corrupt image with an error naming it and goes on', async () => {
    pool = await RecognizerPool.start({ workers: 1 });
    const jpeg = cv.imencode('.jpg', new cv.Mat(50, 50, cv.CV_8UC3, [1, 2, 3]));
    await assert.rejects(pool.recognize({ kind: 'encoded', name: 'bad.jpg', bytes: jpeg.subarray(0, 30) }), (e: RecognizerError) => e.code === 'IMAGE_CORRUPT' && e.message.includes('bad.jpg'));
    assert.ok((await pool.recognize(copyImage(frames[0]))).candidates.length > 0);
    assert.equal(pool.stats().failed, 1);
  });

  it('replaces a worker that dies, failing only the frame it held', async () => {
    pool = await RecognizerPool.start({ workers: 1 });
    const job = pool.recognize(copyImage(frames[0]));
    // Reaching into the pool is the only way to kill a worker from outside, as a native crash would.
    const slots = (pool as unknown as { slots: { worker: Worker }[] }).slots;
    await slots[0].worker.terminate();
    await assert.rejects(job, (e: RecognizerError) => e.code === 'WORKER_FAILED');
    for (let i = 0; i < 100 && pool.size === 0; i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(pool.size, 1);
    assert.equal(pool.stats().restarts, 1);
    assert.ok((await pool.recognize(copyImage(frames[1]))).candidates.length > 0);
  });

  it('refuses to start when a model file is altered', async () => {
    const manifest = readManifest();
    const dir = tmp();
    const models: Record<string, unknown> = {};
    for (const name of Object.keys(manifest.models)) {
      const entry = manifest.models[name];
      const base = path.dirname(DEFAULT_MANIFEST_PATH);
      copyFileSync(resolveModelFile(entry, base, name), path.join(dir, `${name}.onnx`));
      const charset = entry.charset ? { ...entry.charset, package: undefined, file: `${name}.charset.txt` } : undefined;
      if (entry.charset) copyFileSync(resolveModelFile(entry.charset, base, 'charset'), path.join(dir, `${name}.charset.txt`));
      models[name] = { ...entry, package: undefined, file: `${name}.onnx`, charset };
    }
    writeFileSync(path.join(dir, 'plateFinder.onnx'), Buffer.from('not the model'));
    const manifestPath = path.join(dir, 'manifest.json');
    writeFileSync(manifestPath, JSON.stringify({ models }));
    await assert.rejects(RecognizerPool.start({ workers: 1, reader: { manifestPath } }), (e: RecognizerError) => e.code === 'MODEL_ALTERED' && e.message.includes('plateFinder.onnx'));
  });
});
