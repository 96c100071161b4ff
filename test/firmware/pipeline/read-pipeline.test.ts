import assert from 'node:assert/strict';
import type { Frame, FrameImage, FrameSource } from '../../../drivers/camera/frame';
import { silentLogger } from '../../../drivers/log';
import type { FrameRecognition, PlateCandidate } from '../../../recognizer/candidate';
import { PlateFormatRules } from '../../../firmware/pipeline/plate-format';
import { ReadPipeline, type FrameRecognizer } from '../../../firmware/pipeline/read-pipeline';
import type { RecognizeOptions } from '../../../recognizer/recognizer-pool';
import type { Read } from '../../../firmware/pipeline/read';
import { PlateTracker } from '../../../firmware/pipeline/tracker';
import type { ReadSink } from '../../../firmware/store/read-store';
import type { Alert } from '../../../firmware/hotlist/alert';
import { AlertRaiser } from '../../../firmware/hotlist/alert-raiser';
import { HotlistStore } from '../../../firmware/hotlist/hotlist-store';
import type { HotlistEntry } from '../../../firmware/hotlist/hotlist-entry';
import { useTempDir } from '../../support/temp-dir';
import { RecognizerError } from '../../../recognizer/recognizer-error';
import { recordingLogger } from '../../drivers/camera/recording-logger';

/** A finite source of tiny frames, each carrying the plate text the fake recognizer "reads". */
class ScriptedSource implements FrameSource {
  readonly id = 'scripted';
  readonly description = 'scripted frames';
  readonly live = false;
  private seq = 0;
  closed = false;
  /** Images handed back for reuse, in order. */
  readonly recycled: FrameImage[] = [];
  constructor(private readonly plates: string[], private readonly onEnd: () => void = () => undefined) {}
  recycle(image: FrameImage): void {
    this.recycled.push(image);
  }
  async open(): Promise<void> {}
  async read(): Promise<Frame | null> {
    if (this.closed || this.seq >= this.plates.length) {
      this.onEnd();
      return null;
    }
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
  tryRecognize(image: FrameImage, options: RecognizeOptions = {}): Promise<FrameRecognition> | null {
    return this.busy ? null : this.recognize(image, options);
  }
  /** The returnImage flag of each request. */
  readonly askedForImage: boolean[] = [];
  /** The gate flag of each request. */
  readonly gated: boolean[] = [];
  async recognize(image: FrameImage, options: RecognizeOptions = {}): Promise<FrameRecognition> {
    this.askedForImage.push(options.returnImage === true);
    this.gated.push(options.gate === true);
    this.busy = true;
    await new Promise((r) => setImmediate(r));
    this.busy = false;
    const text = image.kind === 'encoded' ? image.name : '';
    const timings = { decode: 0, preprocess: 0, localize: 0, ocr: 0, total: 0 };
    // Like a worker's motion gate on a frame where nothing moved.
    if (text === 'still') return { width: 1920, height: 1080, candidates: [], still: true, timings };
    // Like the worker: asked for, the frame comes back with its candidates (evidence for an
    // alert); otherwise it goes to the recycler.
    if (text && options.returnImage) return { width: 1920, height: 1080, candidates: [candidateFor(text, this.seq++)], timings, image };
    options.recycle?.(image);
    return { width: 1920, height: 1080, candidates: text ? [candidateFor(text, this.seq++)] : [], timings };
  }
}

class MemoryStore implements ReadSink {
  readonly reads: Read[] = [];
  readonly alerts: Alert[] = [];
  /** Plates in the order they were written, alerts marked with '!'. */
  readonly writes: string[] = [];
  failuresLeft = 0;
  /** While set, plain writes wait for it (a slow disk). */
  gate: Promise<void> | null = null;
  async put(read: Read): Promise<void> {
    if (this.gate) await this.gate;
    this.refuseWhileFailing();
    this.reads.push(read);
    this.writes.push(read.plate);
  }
  async putAlert(alert: Alert): Promise<void> {
    this.refuseWhileFailing();
    this.alerts.push(alert);
    this.reads.push(alert.read);
    this.writes.push(`!${alert.read.plate}`);
  }
  private refuseWhileFailing(): void {
    if (this.failuresLeft > 0) {
      this.failuresLeft--;
      throw new Error('SQLITE_FULL: database or disk is full');
    }
  }
}

function tracker(): PlateTracker {
  return new PlateTracker(
    { windowMs: 200, maxTrackMs: 10_000, minFrames: 2, confirmFrames: 3, maxAlternatives: 5 },
    new PlateFormatRules({ region: 'us', mode: 'downrank', custom: [] }),
  );
}

describe('ReadPipeline', () => {
  it('counts every frame that fails but warns of a failure repeating on every frame once, not once per frame', async () => {
    const refusing: FrameRecognizer = {
      size: 1,
      tryRecognize: () => Promise.reject(new RecognizerError('IMAGE_INVALID', 'region of interest is 16x12 px in a 160x120 frame')),
      recognize: () => Promise.reject(new RecognizerError('IMAGE_INVALID', 'region of interest is 16x12 px in a 160x120 frame')),
    };
    const { log, entries } = recordingLogger();
    const pipeline = new ReadPipeline(new ScriptedSource(Array(30).fill('7ABC123')), refusing, tracker(), new MemoryStore(), log, { whenBusy: 'wait' });
    await pipeline.start();
    await pipeline.finished();
    assert.equal(pipeline.stats().failed, 30);
    const warnings = entries.filter((e) => e.msg === 'frame could not be recognized');
    assert.equal(warnings.length, 1);
    assert.equal((warnings[0].fields.err as RecognizerError).code, 'IMAGE_INVALID');
  });

  it('sends every live frame through the motion gate and counts the frames it passed unread', async () => {
    const plates = ['still', '7ABC123', '7ABC123', 'still', '7ABC123', 'still', 'still', ''];
    const store = new MemoryStore();
    const recognizer = new EchoRecognizer();
    const pipeline = new ReadPipeline(new ScriptedSource(plates), recognizer, tracker(), store, silentLogger, { whenBusy: 'wait' });
    await pipeline.start();
    await pipeline.finished();
    assert.deepEqual(recognizer.gated, plates.map(() => true));
    const stats = pipeline.stats();
    assert.equal(stats.recognized, 8);
    assert.equal(stats.still, 4);
    assert.deepEqual(store.reads.map((r) => r.plate), ['7ABC123'], 'still frames between sightings do not split the track');
  });

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

  it('hands every frame nothing keeps back to its source: dropped ones and recognized ones', async () => {
    const source = new ScriptedSource(Array(20).fill('7ABC123'));
    const pipeline = new ReadPipeline(source, new EchoRecognizer(), tracker(), new MemoryStore(), silentLogger, { whenBusy: 'drop' });
    const frames: FrameImage[] = [];
    const read = source.read.bind(source);
    source.read = async () => {
      const frame = await read();
      if (frame) frames.push(frame.image);
      return frame;
    };
    await pipeline.start();
    await pipeline.finished();
    assert.ok(pipeline.stats().dropped > 0 && pipeline.stats().recognized > 0);
    assert.equal(source.recycled.length, 20);
    assert.deepEqual(new Set(source.recycled), new Set(frames), 'each frame once');
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

  describe('with hotlists', () => {
    const dir = useTempDir('sightline-pipeline-hotlists-');
    const entry = (plate: string, list = 'CA-SVS'): HotlistEntry => ({
      plate, state: null, list, reason: 'stolen vehicle', caseNumber: `C-${plate}`, enteredBy: 'dispatch 12', synopsis: 'grey sedan', enteredAt: 1_000, expiresAt: null,
    });
    async function raiserWith(entries: HotlistEntry[], encodeFrame?: (image: FrameImage) => Promise<{ jpeg: Buffer; width: number; height: number }>) {
      const hotlists = await HotlistStore.open(dir());
      await hotlists.replace('CA-SVS', entries, { source: 'file', version: null, refreshedAt: Date.now() });
      return new AlertRaiser(hotlists, { encodeFrame });
    }

    it('stores a read that hits as an alert, with its matches, advisory and the frame of its best sighting', async () => {
      const framesEncoded: string[] = [];
      const alerts = await raiserWith([entry('7ABC123')], async (image) => {
        framesEncoded.push(image.kind === 'encoded' ? image.name : 'raw');
        return { jpeg: Buffer.from('frame-jpeg'), width: 1920, height: 1080 };
      });
      const store = new MemoryStore();
      const plates = [...Array(4).fill('7ABC123'), ...Array(6).fill(''), ...Array(4).fill('8XYZ456'), ...Array(6).fill('')];
      const pipeline = new ReadPipeline(new ScriptedSource(plates), new EchoRecognizer(), tracker(), store, silentLogger, { whenBusy: 'wait', alerts });
      const raised: Alert[] = [];
      pipeline.on('alert', (alert) => raised.push(alert));
      await pipeline.start();
      await pipeline.finished();
      assert.deepEqual(store.writes, ['!7ABC123', '8XYZ456']);
      assert.equal(raised.length, 1);
      const [alert] = store.alerts;
      assert.equal(alert.details.matches[0].entry.caseNumber, 'C-7ABC123');
      assert.equal(alert.details.matches[0].rule, 'exact');
      assert.match(alert.details.advisory, /Confirm the plate characters visually/);
      assert.deepEqual(alert.details.frame, { jpeg: Buffer.from('frame-jpeg'), width: 1920, height: 1080 });
      assert.deepEqual(framesEncoded, ['7ABC123'], 'one frame encoded, for the hit only');
      assert.equal(pipeline.stats().alerts, 1);
    });

    it('stores an alert without its frame, saying why, when the frame cannot be encoded', async () => {
      const alerts = await raiserWith([entry('7ABC123')]); // the real encoder, given 1-byte "images"
      const store = new MemoryStore();
      const pipeline = new ReadPipeline(new ScriptedSource([...Array(4).fill('7ABC123'), ...Array(6).fill('')]), new EchoRecognizer(), tracker(), store, silentLogger, { whenBusy: 'wait', alerts });
      await pipeline.start();
      await pipeline.finished();
      assert.equal(store.alerts.length, 1);
      assert.equal(store.alerts[0].details.frame, null);
      assert.match(store.alerts[0].details.frameMissing ?? '', /could not be encoded: image 7ABC123/);
    });

    it('stores an alert ahead of plain reads waiting behind a slow write', async () => {
      const alerts = await raiserWith([entry('3CCC333')], async () => ({ jpeg: Buffer.from('f'), width: 1, height: 1 }));
      const store = new MemoryStore();
      let open!: () => void;
      store.gate = new Promise((resolve) => (open = resolve));
      const plates = ['1AAA111', '2BBB222', '3CCC333'].flatMap((p) => [...Array(3).fill(p), ...Array(8).fill('')]);
      // The first write (1AAA111) waits until every frame is through: 2BBB222 and the hit queue behind it.
      const source = new ScriptedSource(plates, () => open());
      const pipeline = new ReadPipeline(source, new EchoRecognizer(), tracker(), store, silentLogger, { whenBusy: 'wait', alerts });
      await pipeline.start();
      await pipeline.finished();
      assert.deepEqual(store.writes, ['1AAA111', '!3CCC333', '2BBB222']);
      assert.equal(pipeline.stats().lostReads, 0);
    });

    it('asks the workers for frames back only while a list holds entries', async () => {
      const empty = new AlertRaiser(await HotlistStore.open(dir()));
      const listed = await raiserWith([entry('7ABC123')]);
      for (const [alerts, expected] of [[empty, false], [listed, true]] as const) {
        const recognizer = new EchoRecognizer();
        const pipeline = new ReadPipeline(new ScriptedSource(Array(5).fill('8XYZ456')), recognizer, tracker(), new MemoryStore(), silentLogger, { whenBusy: 'wait', alerts });
        await pipeline.start();
        await pipeline.finished();
        assert.deepEqual(new Set(recognizer.askedForImage), new Set([expected]));
      }
    });

    it('keeps the frames of sightings that may hit, and hands the rest back to the source', async () => {
      const alerts = await raiserWith([entry('7ABC123')], async () => ({ jpeg: Buffer.from('f'), width: 1, height: 1 }));
      const plates = [...Array(4).fill('7ABC123'), ...Array(3).fill(''), ...Array(4).fill('8XYZ456')];
      const source = new ScriptedSource(plates);
      const pipeline = new ReadPipeline(source, new EchoRecognizer(), tracker(), new MemoryStore(), silentLogger, { whenBusy: 'wait', alerts });
      await pipeline.start();
      await pipeline.finished();
      const names = source.recycled.map((image) => (image.kind === 'encoded' ? image.name : 'raw'));
      assert.deepEqual(names, [...Array(3).fill(''), ...Array(4).fill('8XYZ456')], 'the hit\'s frames are kept as evidence');
    });

    it('keeps a read as a plain read when matching fails', async () => {
      const store = new MemoryStore();
      const broken = {
        match: () => { throw new Error('index corrupt'); },
        raise: () => Promise.reject(new Error('unreachable')),
        watching: () => true,
        mayHit: () => { throw new Error('index corrupt'); },
      };
      const pipeline = new ReadPipeline(new ScriptedSource([...Array(4).fill('7ABC123'), ...Array(6).fill('')]), new EchoRecognizer(), tracker(), store, silentLogger, { whenBusy: 'wait', alerts: broken });
      await pipeline.start();
      await pipeline.finished();
      assert.deepEqual(store.writes, ['7ABC123']);
    });

    it('matches a confusable misread fuzzily, saying what differed, and leaves a plate that differs in two characters alone', async () => {
      const alerts = await raiserWith([entry('7ABC123'), entry('9QRS555')], async () => ({ jpeg: Buffer.from('f'), width: 1, height: 1 }));
      const store = new MemoryStore();
      const plates = ['7A8C123', '9QRS5S6'].flatMap((p) => [...Array(4).fill(p), ...Array(6).fill('')]);
      const pipeline = new ReadPipeline(new ScriptedSource(plates), new EchoRecognizer(), tracker(), store, silentLogger, { whenBusy: 'wait', alerts });
      await pipeline.start();
      await pipeline.finished();
      assert.deepEqual(store.writes, ['!7A8C123', '9QRS5S6']);
      assert.equal(store.alerts[0].details.matches[0].rule, 'fuzzy');
      assert.match(store.alerts[0].details.matches[0].why, /read 8 where the list has B at 3/);
    });
  });
});
