import assert from 'node:assert/strict';
import type { Frame, FrameImage, FrameSource } from '../../../drivers/camera/frame';
import { silentLogger } from '../../../drivers/log';
import type { FrameRecognition, PlateCandidate } from '../../../recognizer/candidate';
import { PlateFormatRules } from '../../../firmware/pipeline/plate-format';
import { ReadPipeline, type FrameRecognizer } from '../../../firmware/pipeline/read-pipeline';
import type { Read } from '../../../firmware/pipeline/read';
import { PlateTracker } from '../../../firmware/pipeline/tracker';
import type { ReadSink } from '../../../firmware/store/read-store';

/** A finite source of tiny frames, each carrying the plate text the fake recognizer "reads". */
class ScriptedSource implements FrameSource {
  readonly id = 'scripted';
  readonly description = 'scripted frames';
  readonly live = false;
  private seq = 0;
  closed = false;
  constructor(private readonly plates: string[]) {}
  async open(): Promise<void> {}
  async read(): Promise<Frame | null> {
    if (this.closed || this.seq >= this.plates.length) return null;
    const seq = this.seq++;
    const name = this.plates[seq];
    return { sourceId: this.id, seq, capturedAt: 1_000_000 + seq * 40, capturedMono: seq * 40, image: { kind: 'encoded', name, bytes: Buffer.alloc(1) } };
  }
  async close(): Promise<void> {
    this.closed = true;
  }
}

function candidateFor(text: string, seq: number): PlateCandidate {
  const x = 100 + seq * 10;
  return {
    text,
    confidence: 0.95,
    charConfidences: [...text].map(() => 0.95),
    alternatives: [],
    quad: [{ x, y: 500 }, { x: x + 120, y: 500 }, { x: x + 120, y: 540 }, { x, y: 540 }],
    crop: Buffer.from('jpeg'),
  };
}

/** Recognizes a frame by echoing its name as the plate, after a tick; one "worker". */
class EchoRecognizer implements FrameRecognizer {
  readonly size = 1;
  busy = false;
  private seq = 0;
  tryRecognize(image: FrameImage): Promise<FrameRecognition> | null {
    return this.busy ? null : this.recognize(image);
  }
  async recognize(image: FrameImage): Promise<FrameRecognition> {
    this.busy = true;
    await new Promise((r) => setImmediate(r));
    this.busy = false;
    const text = image.kind === 'encoded' ? image.name : '';
    const timings = { decode: 0, preprocess: 0, localize: 0, ocr: 0, total: 0 };
    return { width: 1920, height: 1080, candidates: text ? [candidateFor(text, this.seq++)] : [], timings };
  }
}

class MemoryStore implements ReadSink {
  readonly reads: Read[] = [];
  failuresLeft = 0;
  async put(read: Read): Promise<void> {
    if (this.failuresLeft > 0) {
      this.failuresLeft--;
      throw new Error('SQLITE_FULL: database or disk is full');
    }
    this.reads.push(read);
  }
}

function tracker(): PlateTracker {
  return new PlateTracker(
    { windowMs: 200, maxTrackMs: 10_000, minFrames: 2, confirmFrames: 3, maxAlternatives: 5 },
    new PlateFormatRules({ region: 'us', mode: 'downrank', custom: [] }),
  );
}

describe('ReadPipeline', () => {
  it('turns a finite source into stored reads, one per vehicle, and ends when the source ends', async () => {
    const plates = [...Array(6).fill('7ABC123'), ...Array(6).fill('')];
    const store = new MemoryStore();
    const pipeline = new ReadPipeline(new ScriptedSource(plates), new EchoRecognizer(), tracker(), store, silentLogger, { whenBusy: 'wait' });
    const latencies: number[] = [];
    pipeline.on('read', (_read, latency) => latencies.push(latency));
    await pipeline.start();
    await pipeline.finished();
    assert.deepEqual(store.reads.map((r) => r.plate), ['7ABC123']);
    assert.equal(latencies.length, 1);
    const stats = pipeline.stats();
    assert.equal(stats.frames, 12);
    assert.equal(stats.recognized, 12);
    assert.equal(stats.dropped, 0);
    assert.equal(stats.reads, 1);
    assert.equal(stats.sourceEnded, true);
  });

  it('drops and counts frames when the recognizer is busy and the source will not wait', async () => {
    const store = new MemoryStore();
    const pipeline = new ReadPipeline(new ScriptedSource(Array(20).fill('7ABC123')), new EchoRecognizer(), tracker(), store, silentLogger, { whenBusy: 'drop' });
    await pipeline.start();
    await pipeline.finished();
    const stats = pipeline.stats();
    assert.equal(stats.frames, 20);
    assert.ok(stats.dropped > 0, 'a source that never waits outruns one worker');
    assert.equal(stats.recognized + stats.dropped, 20);
  });

  it('keeps reads the store refused and stores them once it accepts again', async () => {
    const store = new MemoryStore();
    store.failuresLeft = 2;
    const plates = [...Array(4).fill('7ABC123'), ...Array(8).fill(''), ...Array(4).fill('8XYZ456'), ...Array(8).fill('')];
    const pipeline = new ReadPipeline(new ScriptedSource(plates), new EchoRecognizer(), tracker(), store, silentLogger, { whenBusy: 'wait', flushIntervalMs: 20 });
    await pipeline.start();
    await pipeline.finished();
    for (let i = 0; i < 50 && store.reads.length < 2; i++) await new Promise((r) => setTimeout(r, 20));
    await pipeline.stop();
    assert.deepEqual(store.reads.map((r) => r.plate).sort(), ['7ABC123', '8XYZ456']);
    assert.equal(pipeline.stats().lostReads, 0);
  });

  it('counts reads as lost, never silently, when the store refuses more than it can hold', async () => {
    const store = new MemoryStore();
    store.failuresLeft = 1_000;
    const plates = ['1AAA111', '2BBB222', '3CCC333'].flatMap((p) => [...Array(3).fill(p), ...Array(8).fill('')]);
    const pipeline = new ReadPipeline(new ScriptedSource(plates), new EchoRecognizer(), tracker(), store, silentLogger, { whenBusy: 'wait', maxPendingReads: 1 });
    await pipeline.start();
    await pipeline.finished();
    await pipeline.stop();
    const stats = pipeline.stats();
    assert.equal(stats.lostReads, 2);
    assert.equal(stats.pendingReads, 1);
    assert.equal(store.reads.length, 0);
  });

  it('stops a source that never ends, and stores what its tracks held', async () => {
    const source = new ScriptedSource(Array(1_000_000).fill('5DEF678'));
    const store = new MemoryStore();
    const pipeline = new ReadPipeline(source, new EchoRecognizer(), new PlateTracker(
      { windowMs: 10_000, maxTrackMs: 600_000, minFrames: 2, confirmFrames: 100, maxAlternatives: 5 },
      new PlateFormatRules({ region: 'us', mode: 'downrank', custom: [] }),
    ), store, silentLogger, { whenBusy: 'wait' });
    await pipeline.start();
    await new Promise((r) => setTimeout(r, 50));
    await pipeline.stop();
    assert.equal(source.closed, true);
    assert.deepEqual(store.reads.map((r) => r.plate), ['5DEF678']);
  });
});
