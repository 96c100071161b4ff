import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { copyFileSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import cv = require('../../drivers/opencv');
import { boxIoU, quadBounds } from '../../drivers/camera/geometry';
import { PlateFormatRules } from '../../firmware/pipeline/plate-format';
import { rankCandidates } from '../../firmware/pipeline/format-candidates';
import sinon from 'sinon';
import { doubtViews, PLATE_BANDS, PLATE_WIDE_VIEWS, PlateReader, SETTLING_PLATE_OCRS } from '../../recognizer/plate-reader';
import { FOUND_PLATE_OCR_MODELS } from '../../recognizer/found-plate-ocr-models';
import { PlateFinder } from '../../recognizer/localize/plate-finder';
import { expandQuad } from '../../recognizer/localize/quad-math';
import type { Quad } from '../../drivers/camera/geometry';
import { TextDetector } from '../../recognizer/localize/text-detector';
import { PlateOcr } from '../../recognizer/ocr/plate-ocr';
import { TextRecognizer } from '../../recognizer/ocr/text-recognizer';
import { RecognizerError } from '../../recognizer/recognizer-error';
import { DEFAULT_MANIFEST_PATH, readManifest, resolveModelFile } from '../../recognizer/model-manifest';
import { useTempDir } from '../support/temp-dir';
import { datasetDir } from '../support/datasets';
import { framesWithPlates, platesInView } from '../support/synthetic-frames';

for (const [name, options] of [
  ['plate finder (default)', {}],
  ['plate finder, one plate OCR model', { plateOcrModels: 1 }],
  ['plate finder, text-line fallback', { textFallbackBelow: 0.85 }],
  ['text-line detector', { localizer: 'text' }],
] as const) describe(`PlateReader, ${name} (real OpenCV and onnxruntime)`, () => {
  let reader: PlateReader;
  const rules = new PlateFormatRules({ region: 'us', mode: 'downrank', custom: [] });

  before(async () => {
    reader = await PlateReader.load({ threads: 1, ...options });
  });

  it('reads the plates of synthetic traffic frames, where they are', async () => {
    const frames = await framesWithPlates(6);
    assert.equal(frames.length, 6);
    let plates = 0;
    let read = 0;
    let evidenceChecked = 0;
    for (const frame of frames) {
      const result = await reader.read(frame.image);
      assert.equal(result.width, 1920);
      for (const truth of frame.truth ?? []) {
        plates++;
        const hit = result.candidates.find((c) => c.text === truth.text);
        if (!hit) continue;
        read++;
        assert.ok(boxIoU(quadBounds(hit.quad), truth.box) > 0.1, `candidate ${hit.text} lies on its plate`);
        assert.equal(hit.charConfidences.length, hit.text.length);
        assert.ok(hit.confidence > 0 && hit.confidence <= 1);
        const crop = cv.imdecode(hit.crop);
        assert.ok(crop.cols > crop.rows, 'the evidence crop is a JPEG of a wide plate');
        const plate = quadBounds(hit.quad);
        assert.ok(crop.cols >= plate.width && crop.rows >= plate.height, 'the crop holds the whole plate');
        if (frame.image.kind === 'bgr') {
          // The camera's own pixels, not a resampled warp: the crop sits in the frame as it is, up to JPEG loss, around the plate.
          const mat = new cv.Mat(frame.image.pixels, frame.image.height, frame.image.width, cv.CV_8UC3);
          const match = mat.matchTemplate(crop, cv.TM_SQDIFF_NORMED).minMaxLoc();
          assert.ok(match.minVal < 0.005, `the crop matches the frame (${match.minVal})`);
          assert.ok(match.minLoc.x <= plate.x && match.minLoc.y <= plate.y, 'at the plate');
          assert.ok(match.minLoc.x + crop.cols >= plate.x + plate.width && match.minLoc.y + crop.rows >= plate.y + plate.height, 'around the plate');
          evidenceChecked++;
        }
      }
    }
    assert.ok(read >= Math.ceil(plates * 0.7), `read ${read} of ${plates} synthetic plates`);
    assert.ok(evidenceChecked > 0, 'some evidence crop was compared with its frame');
  });

  it('reports the time of each stage', async () => {
    const [frame] = await framesWithPlates(1);
    const { timings } = await reader.read(frame.image);
    for (const stage of ['decode', 'preprocess', 'localize', 'ocr'] as const) assert.ok(timings[stage] >= 0, stage);
    assert.ok(timings.total >= timings.localize + timings.ocr);
  });

  it('finds nothing plate-like in a blank frame', async () => {
    const blank = new cv.Mat(720, 1280, cv.CV_8UC3, [90, 90, 90]);
    const result = await reader.read({ kind: 'bgr', width: 1280, height: 720, pixels: blank.getData() });
    assert.deepEqual(result.candidates, []);
  });

  it('refuses a corrupt image with an error naming it, and keeps working', async () => {
    const jpeg = cv.imencode('.jpg', new cv.Mat(100, 100, cv.CV_8UC3, [0, 0, 0]));
    await assert.rejects(reader.read({ kind: 'encoded', name: 'cam/0042.jpg', bytes: jpeg.subarray(0, 60) }), (e: RecognizerError) => e.code === 'IMAGE_CORRUPT' && e.message.includes('cam/0042.jpg'));
    const [frame] = await framesWithPlates(1);
    assert.ok((await reader.read(frame.image)).candidates.length > 0);
  });

  const dev = datasetDir('openalpr-us-dev');
  (dev ? it : it.skip)('reads most plates of real US photos (first 12 of the dev set)', async () => {
    const dir = dev!;
    const images = readdirSync(dir).filter((f) => f.endsWith('.jpg')).sort().slice(0, 12);
    let exact = 0;
    for (const image of images) {
      const label = readFileSync(path.join(dir, image.replace(/\.jpg$/, '.txt')), 'utf8').split('\t')[5].trim().toUpperCase();
      const result = await reader.read({ kind: 'encoded', name: image, bytes: readFileSync(path.join(dir, image)) });
      if (rankCandidates(result.candidates, rules)[0]?.text === label) exact++;
    }
    assert.ok(exact >= 7, `${exact} of ${images.length} real photos read exactly`);
  });
});

describe('PlateReader.warmUp', () => {
  afterEach(() => sinon.restore());

  const models = FOUND_PLATE_OCR_MODELS.length;
  for (const [name, options, expected] of [
    ['the plate finder (default)', {}, { finder: 1, plateOcr: models, detector: 0, general: 0 }],
    // The text path reads lines with a plate OCR of its own besides the found plates' models.
    ['the plate finder and text-line fallback', { textFallbackBelow: 0.85 }, { finder: 1, plateOcr: models + 1, detector: 1, general: 1 }],
    ['the text-line detector', { localizer: 'text' }, { finder: 0, plateOcr: 1, detector: 1, general: 1 }],
  ] as const) {
    it(`runs every model of a reader with ${name}, though its blank frame holds nothing to read`, async () => {
      const reader = await PlateReader.load({ threads: 1, ...options });
      const finder = sinon.spy(PlateFinder.prototype, 'locate');
      const detector = sinon.spy(TextDetector.prototype, 'locate');
      const plateOcr = [sinon.spy(PlateOcr.prototype, 'runPrepared'), sinon.spy(PlateOcr.prototype, 'readLines')];
      const general = sinon.spy(TextRecognizer.prototype, 'readLines');
      await reader.warmUp();
      // Instances given something to read, one per model loaded. locate takes a frame; a reader's second
      // argument is its views' count or its lines, and a call with none of them runs no model.
      const given = ({ args: [, views] }: sinon.SinonSpyCall) => views === undefined || (typeof views === 'number' ? views > 0 : views.length > 0);
      const ran = (...spies: sinon.SinonSpy[]) => new Set(spies.flatMap((spy) => spy.getCalls().filter(given).map((call) => call.thisValue))).size;
      assert.deepEqual({ finder: ran(finder), plateOcr: ran(...plateOcr), detector: ran(detector), general: ran(general) }, expected);
    });
  }
});

/**
 * PlateOcr.runPrepared as the models run it, except that every view reads two unsure characters:
 * whatever the pixels, each region is a possible plate left in doubt.
 */
function everyViewInDoubt(): sinon.SinonStub {
  const real = PlateOcr.prototype.runPrepared;
  return sinon.stub(PlateOcr.prototype, 'runPrepared').callsFake(async function (this: PlateOcr, input: Float32Array, count: number) {
    const views = await real.call(this, input, count);
    return views.map((view) => ({ ...view, reading: { text: 'AB', confidence: 0.5, charConfidences: [0.5, 0.5], alternatives: [] } }));
  });
}

describe('PlateReader.readPlateImage: a crop that is one plate', () => {
  afterEach(() => sinon.restore());

  it('reads a region again in more views only where some settling model read it as characters', async () => {
    const blank = cv.imencode('.png', new cv.Mat(40, 120, cv.CV_8UC3, [200, 200, 200]));
    const run = sinon.spy(PlateOcr.prototype, 'runPrepared');
    const reader = await PlateReader.load({ threads: 1 });
    const result = await reader.readPlateImage({ kind: 'encoded', name: 'p.png', bytes: blank });
    // No model reads a character in blank grey: the whole views alone, and no candidate.
    assert.deepEqual(run.getCalls().map((call) => call.args[1]), Array(SETTLING_PLATE_OCRS).fill(1));
    assert.deepEqual(result.candidates, []);
    run.restore();
    const unsure = everyViewInDoubt();
    await reader.readPlateImage({ kind: 'encoded', name: 'p.png', bytes: blank });
    assert.ok(unsure.callCount > SETTLING_PLATE_OCRS, `read as unsure characters, the same crop is read in more views (${unsure.callCount} runs)`);
  });

  it('reads each plate whole with the settling models, and only when that leaves doubt in bands with every model and whole with the rest', async () => {
    let run = sinon.spy(PlateOcr.prototype, 'runPrepared');
    try {
      const blank = cv.imencode('.png', new cv.Mat(40, 120, cv.CV_8UC3, [200, 200, 200]));
      const batchesFor = (models: number, inDoubt: boolean) => {
        const settling = Math.min(models, SETTLING_PLATE_OCRS);
        // Whole: one view per settling model; in doubt: three bands per settling model, the whole and three bands per other model.
        return [...Array(settling).fill(1), ...(inDoubt ? [...Array(settling).fill(3), ...Array(models - settling).fill(4)] : [])];
      };
      run.restore();
      const unsure = everyViewInDoubt();
      for (let models = 1; models <= FOUND_PLATE_OCR_MODELS.length; models++) {
        const reader = await PlateReader.load({ threads: 1, plateOcrModels: models });
        unsure.resetHistory();
        await reader.readPlateImage({ kind: 'encoded', name: 'p.png', bytes: blank });
        // Every view unsure: the whole view settles nothing, so the bands follow.
        assert.deepEqual(unsure.getCalls().map((call) => call.args[1]), batchesFor(models, true), `${models} models`);
      }
      unsure.restore();
      run = sinon.spy(PlateOcr.prototype, 'runPrepared');
      assert.ok(FOUND_PLATE_OCR_MODELS.length > SETTLING_PLATE_OCRS, 'some model reads only plates in doubt');
      // A clear synthetic plate is settled by its whole view: no band is read, and the other models read nothing.
      const allModels = FOUND_PLATE_OCR_MODELS.length;
      const reader = await PlateReader.load({ threads: 1, plateOcrModels: allModels });
      let settled = 0;
      let banded = 0;
      // One frame of each of six vehicles (a vehicle stays in view for about 30 scene frames).
      for (const { mat, truth, rect } of platesInView(await framesWithPlates(6, {}, 30))) {
        run.resetHistory();
        const result = await reader.readPlateImage({ kind: 'encoded', name: 'crop.png', bytes: cv.imencode('.png', mat.getRegion(rect)) });
        const batches = run.getCalls().map((call) => call.args[1]);
        if (batches.join() === batchesFor(allModels, false).join()) settled += result.candidates[0]?.text === truth.text ? 1 : 0;
        else if (batches.join() === batchesFor(allModels, true).join()) banded++;
        else assert.fail(`${truth.text}: plate OCR batches ${batches.join()}, expected ${batchesFor(allModels, false).join()} (whole) or ${batchesFor(allModels, true).join()} (whole, then bands)`);
      }
      assert.ok(settled > 0, `some synthetic plate settled and read right by its whole view (${settled}; ${banded} read in bands too)`);
    } finally {
      run.restore();
    }
  });

  it('reads plate crops cut from synthetic frames without looking for them', async () => {
    const reader = await PlateReader.load({ threads: 1, textFallbackBelow: 0 });
    let plates = 0;
    let read = 0;
    for (const { mat, truth, rect } of platesInView(await framesWithPlates(6))) {
      plates++;
      const result = await reader.readPlateImage({ kind: 'encoded', name: 'crop.png', bytes: cv.imencode('.png', mat.getRegion(rect)) });
      assert.equal(result.timings.localize, 0, 'no localization');
      if (result.candidates[0]?.text === truth.text) read++;
    }
    assert.ok(plates >= 4);
    assert.ok(read >= Math.ceil(plates * 0.75), `read ${read} of ${plates} crops`);
  });

  it('refuses when the plate OCR is not loaded', async () => {
    const reader = await PlateReader.load({ threads: 1, localizer: 'text', ocr: 'general' });
    const png = cv.imencode('.png', new cv.Mat(40, 120, cv.CV_8UC3, [200, 200, 200]));
    await assert.rejects(reader.readPlateImage({ kind: 'encoded', name: 'p.png', bytes: png }), (e: RecognizerError) => e.code === 'MODEL_MISSING');
  });
});

describe('PlateReader wide views of a found plate in doubt', () => {
  afterEach(() => sinon.restore());

  it('reads a crop in its three bands, a found plate in the two wider bands and two views widened sideways', () => {
    const quad: Quad = [{ x: 100, y: 50 }, { x: 300, y: 50 }, { x: 300, y: 150 }, { x: 100, y: 150 }];
    const crop = doubtViews(quad, false);
    assert.equal(crop.length, PLATE_BANDS.length);
    assert.deepEqual(crop[0], [{ x: 100, y: 65 }, { x: 300, y: 65 }, { x: 300, y: 135 }, { x: 100, y: 135 }]);
    const found = doubtViews(quad, true);
    assert.equal(found.length, 2 + PLATE_WIDE_VIEWS.length);
    assert.deepEqual(found.slice(0, 2), crop.slice(0, 2));
    // 0.06 and 0.12 of the 200 px width added on each side; rows 10% to 90% of the height.
    assert.deepEqual(found[2].map((p) => ({ x: Math.round(p.x), y: Math.round(p.y) })), [{ x: 88, y: 60 }, { x: 312, y: 60 }, { x: 312, y: 140 }, { x: 88, y: 140 }]);
    assert.deepEqual(found[3].map((p) => ({ x: Math.round(p.x), y: Math.round(p.y) })), [{ x: 76, y: 60 }, { x: 324, y: 60 }, { x: 324, y: 140 }, { x: 76, y: 140 }]);
  });

  it('reads plates whose found box cuts into an end character that the bands alone miss', async () => {
    const frames = await framesWithPlates(12, {}, 30);
    let current = frames[0];
    // A finder whose boxes end inside the plate: each true plate box cut by 10% of its width per side.
    sinon.stub(PlateFinder.prototype, 'locate').callsFake(async () =>
      (current.truth ?? []).map(({ box: b }) => ({
        quad: expandQuad([{ x: b.x, y: b.y }, { x: b.x + b.width, y: b.y }, { x: b.x + b.width, y: b.y + b.height }, { x: b.x, y: b.y + b.height }], -0.1, 0),
        score: 1,
        width: b.width,
        height: b.height,
      })),
    );
    const readExactly = async (wideViews: boolean) => {
      const reader = await PlateReader.load({ threads: 1, wideViews });
      let read = 0;
      for (const frame of frames) {
        current = frame;
        const { candidates } = await reader.read(frame.image);
        read += (frame.truth ?? []).filter((t) => candidates.some((c) => c.text === t.text)).length;
      }
      return read;
    };
    const plates = frames.reduce((sum, f) => sum + (f.truth?.length ?? 0), 0);
    const bandsOnly = await readExactly(false);
    const widened = await readExactly(true);
    assert.ok(widened >= bandsOnly + 2, `wide views read ${widened} of ${plates} clipped plates exactly, bands alone ${bandsOnly}`);
    assert.ok(widened >= Math.ceil(plates * 0.7), `wide views read ${widened} of ${plates} clipped plates exactly`);
  });

  it('reads each found plate in doubt in four extra views, at most six views a model run', async () => {
    const run = everyViewInDoubt();
    const reader = await PlateReader.load({ threads: 1, plateOcrModels: 2 });
    sinon.stub(PlateFinder.prototype, 'locate').resolves([
      { quad: [{ x: 10, y: 10 }, { x: 130, y: 10 }, { x: 130, y: 50 }, { x: 10, y: 50 }], score: 1, width: 120, height: 40 },
      { quad: [{ x: 200, y: 100 }, { x: 320, y: 100 }, { x: 320, y: 140 }, { x: 200, y: 140 }], score: 1, width: 120, height: 40 },
    ]);
    // Every view reads two unsure characters: both plates are in doubt.
    const blank = new cv.Mat(240, 360, cv.CV_8UC3, [128, 128, 128]);
    await reader.read({ kind: 'bgr', width: 360, height: 240, pixels: blank.getData() });
    // Whole views: one run a model; the 8 extra views: 6, then 2, a model (onnxruntime keeps the
    // memory of the largest batch it ran).
    assert.deepEqual(run.getCalls().map((call) => call.args[1]), [2, 2, 6, 6, 2, 2]);

    // With every model: the settling ones as above, then the others read both plates whole and
    // in their extra views, 10 views in runs of 6 and 4.
    const everyModel = await PlateReader.load({ threads: 1, plateOcrModels: FOUND_PLATE_OCR_MODELS.length });
    run.resetHistory();
    await everyModel.read({ kind: 'bgr', width: 360, height: 240, pixels: blank.getData() });
    const others = FOUND_PLATE_OCR_MODELS.length - SETTLING_PLATE_OCRS;
    const settling = (n: number) => Array(SETTLING_PLATE_OCRS).fill(n);
    assert.deepEqual(run.getCalls().map((call) => call.args[1]), [...settling(2), ...settling(6), ...settling(2), ...Array(others).fill([6, 4]).flat()]);
  });
});

describe('PlateReader text-line fallback', () => {
  afterEach(() => sinon.restore());

  it('runs the text-line detector only where the finder read nothing confidently, and only when asked', async () => {
    const locate = sinon.spy(TextDetector.prototype, 'locate');
    const blank = new cv.Mat(720, 1280, cv.CV_8UC3, [90, 90, 90]);
    const frame = { kind: 'bgr' as const, width: 1280, height: 720, pixels: blank.getData() };

    const finderOnly = await PlateReader.load({ threads: 1 });
    await finderOnly.read(frame);
    assert.equal(locate.callCount, 0, 'not loaded by default');

    const withFallback = await PlateReader.load({ threads: 1, textFallbackBelow: 0.85 });
    locate.resetHistory();
    await withFallback.read(frame);
    assert.equal(locate.callCount, 1, 'nothing found: the text-line detector looks too');

    const [plateFrame] = await framesWithPlates(1);
    const result = await withFallback.read(plateFrame.image);
    const sure = result.candidates.some((c) => c.confidence >= 0.85);
    assert.equal(locate.callCount, sure ? 1 : 2, sure ? 'a confident read: no fallback' : 'no confident read: fallback');
  });
});

describe('PlateReader text-line path', () => {
  afterEach(() => sinon.restore());

  it('releases each line crop once the general recognizer has read it', async () => {
    const read = sinon.spy(TextRecognizer.prototype, 'read');
    const reader = await PlateReader.load({ threads: 1, localizer: 'text', ocr: 'general' });
    const [frame] = await framesWithPlates(1);
    await reader.read(frame.image);
    const crops = read.getCalls().flatMap((call) => call.args[0]);
    assert.ok(crops.length > 0, 'the frame has plate-like lines to read');
    // A released Mat is empty: its pixels went back at once, not when V8 next collects.
    assert.deepEqual(crops.map((mat) => mat.empty), crops.map(() => 1));
  });
});

describe('PlateReader plate OCR models', () => {
  const tmp = useTempDir();

  it('refuses plate OCR models whose charsets differ, since their views vote class by class', async () => {
    const shipped = readManifest();
    const dir = path.dirname(DEFAULT_MANIFEST_PATH);
    const models: Record<string, unknown> = {};
    for (const name of ['plateFinder', ...FOUND_PLATE_OCR_MODELS]) {
      const entry = shipped.models[name];
      copyFileSync(resolveModelFile(entry, dir, name), path.join(tmp(), entry.file));
      models[name] = entry;
    }
    copyFileSync(path.join(dir, 'plate-ocr.charset.txt'), path.join(tmp(), 'plate-ocr.charset.txt'));
    // The lines model gets the same characters in another order: as many classes, other meanings.
    const charset = readFileSync(path.join(dir, 'plate-ocr.charset.txt'), 'utf8').trim().split('\n');
    const reversed = `${[...charset].reverse().join('\n')}\n`;
    writeFileSync(path.join(tmp(), 'reversed.charset.txt'), reversed);
    const lines = shipped.models.plateOcrLines;
    models.plateOcrLines = { ...lines, charset: { ...lines.charset, file: 'reversed.charset.txt', sha256: createHash('sha256').update(reversed).digest('hex') } };
    const manifestPath = path.join(tmp(), 'manifest.json');
    writeFileSync(manifestPath, JSON.stringify({ models }));

    await assert.rejects(PlateReader.load({ threads: 1, manifestPath }), (e: RecognizerError) => e.code === 'MODEL_SHAPE_MISMATCH' && /share one charset/.test(e.message));
    // The first model alone reads: no vote, no shared charset needed.
    await PlateReader.load({ threads: 1, manifestPath, plateOcrModels: 1 });
  });
});
