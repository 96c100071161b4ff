import { performance } from 'node:perf_hooks';
import type { Mat } from '@u4/opencv4nodejs';
import cv = require('../drivers/opencv');
import type { FrameImage } from '../drivers/camera/frame';
import { quadBounds, type Quad } from '../drivers/camera/geometry';
import type { FrameRecognition, PlateCandidate } from './candidate';
import { decodeFrameImage } from './image-decode';
import { RecognizerError } from './recognizer-error';
import { FOUND_PLATE_OCR_MODELS } from './found-plate-ocr-models';
import { loadModel } from './onnx-session';
import { DEFAULT_DETECTOR_OPTIONS, TextDetector, type TextBox } from './localize/text-detector';
import { DEFAULT_PLATE_FINDER_OPTIONS, PlateFinder, type FoundPlate } from './localize/plate-finder';
import { clampQuad, expandQuad, quadBand, rectQuad } from './localize/quad-math';
import { MotionGate, type MotionGateOptions } from './preprocess/motion-gate';
import { WHOLE_FRAME, inFrame, isWholeFrame, roiPixels, validateRoi, type RegionOfInterest } from './preprocess/region-of-interest';
import type { LineReader } from './ocr/line-reader';
import { PLATE_OCR_HEIGHT, PLATE_OCR_WIDTH, PlateOcr, platePixels } from './ocr/plate-ocr';
import type { DecodedChar } from './ocr/ctc-decode';
import { TextRecognizer } from './ocr/text-recognizer';
import { MAX_ALTERNATIVES, toPlateReading, type PlateReading } from './ocr/plate-reading';
import { viewsAgreeSurely, voteCtcViews, type CtcView } from './ocr/ctc-vote';

export interface PlateReaderOptions {
  /** onnxruntime intra-op threads for this reader. */
  threads: number;
  /** Detector input long side (multiple of 32). */
  detectLongSide: number;
  /** Candidates whose reading is less confident are dropped. */
  minConfidence: number;
  /** At most this many text lines are read per frame, the most plate-like first. */
  maxLines: number;
  /**
   * plate: the plate OCR model trained for this project; general: PP-OCR's text recognizer;
   * both: every line read by each, the two readings kept as candidates (merged when they agree).
   */
  ocr: OcrChoice;
  /**
   * finder: the plate finder trained for this project marks whole plates, which the plate OCR
   * reads; text: PP-OCR's text-line detector finds character lines, read by `ocr`.
   */
  localizer: LocalizerChoice;
  /** Finder input long side (multiple of 32). */
  finderLongSide: number;
  /** At most this many found plates are read per frame, the most plate-like first. */
  maxPlates: number;
  /**
   * With the finder: when no plate it found reads at least this confidently, the text-line
   * detector runs as well (slower, and finds plates the finder missed). 0: never.
   */
  textFallbackBelow: number;
  /** With the finder: how many of FOUND_PLATE_OCR_MODELS, the first N, read each found plate. */
  plateOcrModels: number;
  /** With the finder: a found plate in doubt is read in PLATE_WIDE_VIEWS too (doubtViews). */
  wideViews: boolean;
  /** Plates are looked for in this part of the frame only; its candidates' quads are in frame pixels. */
  roi: RegionOfInterest;
  /** Live frames (`read(image, { gate: true })`) without motion in the region are not read; null: every frame is read. */
  motionGate: MotionGateOptions | null;
  manifestPath?: string;
}

export type LocalizerChoice = 'finder' | 'text';

export const DEFAULT_PLATE_READER_OPTIONS: PlateReaderOptions = {
  threads: 1,
  detectLongSide: 960,
  minConfidence: 0.5,
  maxLines: 8,
  ocr: 'both',
  localizer: 'finder',
  finderLongSide: 640,
  maxPlates: 6,
  textFallbackBelow: 0,
  plateOcrModels: FOUND_PLATE_OCR_MODELS.length,
  wideViews: true,
  roi: WHOLE_FRAME,
  motionGate: null,
};

export interface ReadOptions {
  /** A live frame: with a motion gate configured, a frame without motion is not read (`still`). */
  gate?: boolean;
}

export type OcrChoice = 'plate' | 'general' | 'both';

const OCR_MODELS: Record<OcrChoice, string[]> = { plate: ['plateOcr'], general: ['recognizer'], both: ['plateOcr', 'recognizer'] };

// A plate's character line is wider than tall; tall boxes are vertical text or clutter.
const MIN_LINE_ASPECT = 1.2;
const MAX_LINE_ASPECT = 16;
const MIN_LINE_HEIGHT_PX = 8;
const MIN_PLATE_CHARS = 2;
/** A line this much shorter than a neighbouring line of the same plate is that plate's small print. */
const SECONDARY_LINE_HEIGHT_RATIO = 1.3;
const MAX_PLATE_CHARS = 10;
// The evidence crop shows the whole plate around the character line: state name, slogan, frame.
const CROP_GROW_X = 0.12;
const CROP_GROW_Y = 0.45;
const CROP_JPEG_QUALITY = 90;
// A found plate's evidence crop: the plate and a little of the car around it.
const PLATE_CROP_GROW = 0.06;
/**
 * Bands of a found plate around its registration line (state name and slogan cut off more or
 * less), as fractions of its height. A plate whose whole view leaves doubt is read in these too,
 * and all its views vote: four views read more plates exactly than two on the dev photos'
 * training half (0.82 against 0.71).
 */
export const PLATE_BANDS: readonly (readonly [number, number])[] = [
  [0.15, 0.85],
  [0.08, 0.92],
  [0.22, 0.78],
];
/**
 * Wider views of a found plate in doubt, read with its bands: grown sideways by `grow` of its
 * width on each side, then cut to the band `from`-`to` of its height. The finder's quad sometimes
 * ends inside a plate's first or last character, and no band of it can read that character.
 * On the dev photos' training half with the found quads cut 8% and 10% per side, the wide views
 * read 17 of the 20 plates the cuts lost exactly again; uncut, they changed no reading. With the
 * photos shrunk to half size they read one plate fewer (45 of 51 against 46): small plates.
 */
export const PLATE_WIDE_VIEWS: readonly { grow: number; from: number; to: number }[] = [
  { grow: 0.06, from: 0.1, to: 0.9 },
  { grow: 0.12, from: 0.1, to: 0.9 },
];
/**
 * A found plate's reading is settled by its whole view when every model reads the same text
 * there with each character at least this sure: the band views would only agree. 0.9 rather than
 * 0.95 settles 33 of the 59 selection crops instead of 30 (412 of the 544 training crops instead
 * of 379), none of the extra ones misread, and read the same plates exactly on the selection
 * crops and the dev photos' training half, as-is and at half size.
 */
const SETTLED_CHAR_CONFIDENCE = 0.9;
/**
 * How many plate OCR models (the first of FOUND_PLATE_OCR_MODELS) read every plate whole and
 * decide whether it is settled; the others read only plates in doubt, whole and in every extra
 * view. Where more models must agree fewer plates settle, and a plate in doubt costs about three
 * times a settled one.
 */
export const SETTLING_PLATE_OCRS = 3;
/**
 * Plate OCR views per model run. onnxruntime's arena keeps the memory of the largest batch a
 * session ever ran, and a frame can hold 6 plates in doubt with 4 views each.
 */
const MAX_OCR_BATCH = 6;

/** The prepared views of the plates `picked` from `whole` (platePixels, one plane each), followed by `extra`. */
function wholeThenExtra(whole: Float32Array, picked: number[], extra: Float32Array): Float32Array {
  const plane = PLATE_OCR_HEIGHT * PLATE_OCR_WIDTH;
  const out = new Float32Array(picked.length * plane + extra.length);
  picked.forEach((i, k) => out.set(whole.subarray(i * plane, (i + 1) * plane), k * plane));
  out.set(extra, picked.length * plane);
  return out;
}

/** The bands read beside PLATE_WIDE_VIEWS: all but the narrowest (doubtViews). */
const WIDENED_PLATE_BANDS = PLATE_BANDS.slice(0, 2);

/**
 * The views a plate in doubt is read in besides its whole. A crop (`widen` false) is read in
 * PLATE_BANDS. A found plate is read in the two wider bands and PLATE_WIDE_VIEWS: the narrowest
 * band added nothing there once the wide views were read (dev photos' training half, found quads
 * cut 10% per side to simulate a clipped end: 48 of 51 read exactly without it, 46 with it).
 */
export function doubtViews(quad: Quad, widen: boolean): Quad[] {
  if (!widen) return PLATE_BANDS.map(([from, to]) => quadBand(quad, from, to));
  return [
    ...WIDENED_PLATE_BANDS.map(([from, to]) => quadBand(quad, from, to)),
    ...PLATE_WIDE_VIEWS.map((w) => quadBand(expandQuad(quad, w.grow, 0), w.from, w.to)),
  ];
}

function isPlateLikeLine(box: TextBox): boolean {
  const aspect = box.width / Math.max(box.height, 1);
  return box.height >= MIN_LINE_HEIGHT_PX && aspect >= MIN_LINE_ASPECT && aspect <= MAX_LINE_ASPECT;
}

/**
 * Drops the small lines printed on a plate around its characters (state name, slogan, dealer
 * frame text): a line that sits just above or below a taller line it overlaps horizontally
 * belongs to the same plate, and only the tallest line carries the registration.
 */
export function dropSecondaryLines(lines: TextBox[]): TextBox[] {
  return lines.filter((line) => {
    const a = quadBounds(line.quad);
    return !lines.some((other) => {
      if (other === line || other.height < line.height * SECONDARY_LINE_HEIGHT_RATIO) return false;
      const b = quadBounds(other.quad);
      const overlap = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
      const gap = Math.max(a.y - (b.y + b.height), b.y - (a.y + a.height));
      return overlap > 0.5 * Math.min(a.width, b.width) && gap < other.height;
    });
  });
}

/**
 * Readings of one line by several readers: identical texts become one reading whose confidence
 * is that of either being right (two independent readers agreeing is strong evidence); different
 * texts stay separate candidates of the same place.
 */
export function mergeAgreeing(readings: PlateReading[]): PlateReading[] {
  const merged: PlateReading[] = [];
  for (const r of readings) {
    const same = merged.findIndex((m) => m.text === r.text);
    if (same < 0) {
      merged.push(r);
      continue;
    }
    const m = merged[same];
    const alternatives = [...m.alternatives, ...r.alternatives].filter((a, i, all) => a.text !== m.text && all.findIndex((b) => b.text === a.text) === i);
    merged[same] = {
      ...m,
      confidence: 1 - (1 - m.confidence) * (1 - r.confidence),
      charConfidences: m.charConfidences.map((p, k) => Math.max(p, r.charConfidences[k] ?? 0)),
      alternatives: alternatives.sort((a, b) => b.confidence - a.confidence).slice(0, MAX_ALTERNATIVES),
    };
  }
  return merged;
}

/**
 * One region's readings as one candidate: the most confident reading, with the others (and
 * every alternative) as its alternatives. A region gives one candidate so the tracker sees one
 * sighting per plate per frame, not rival sightings of the same plate that start rival tracks.
 */
export function oneReadingPerRegion(readings: PlateReading[]): PlateReading | null {
  if (readings.length === 0) return null;
  const [best, ...others] = [...readings].sort((a, b) => b.confidence - a.confidence);
  const offered = [...others.map((r) => ({ text: r.text, confidence: r.confidence })), ...readings.flatMap((r) => r.alternatives)]
    .filter((a) => a.text !== best.text)
    .sort((a, b) => b.confidence - a.confidence);
  const alternatives = offered.filter((a, i) => offered.findIndex((b) => b.text === a.text) === i).slice(0, MAX_ALTERNATIVES);
  return { ...best, alternatives };
}

/**
 * The evidence JPEG: the frame's own pixels in the bounding box of the grown quad, as the camera
 * saw them (a tilted plate stays tilted). Nothing is resampled, and a region is a view into the
 * frame, not a copy: the perspective warp it replaces took about 0.3 ms a plate.
 */
function cropEvidence(image: Mat, quad: Quad, growX: number, growY: number): Buffer {
  const { x, y, width, height } = quadBounds(clampQuad(expandQuad(quad, growX, growY), image.cols, image.rows));
  // clampQuad keeps the corners within the frame's last pixel, so the pixels from floor to ceil are all inside it.
  const left = Math.floor(x);
  const top = Math.floor(y);
  const region = image.getRegion(new cv.Rect(left, top, Math.ceil(x + width) - left + 1, Math.ceil(y + height) - top + 1));
  try {
    return cv.imencode('.jpg', region, [cv.IMWRITE_JPEG_QUALITY, CROP_JPEG_QUALITY]);
  } finally {
    region.release();
  }
}

/**
 * Whether a found region's whole views read like a plate to at least one settling model (two
 * characters or more; fewer could never make a plausible reading). The finder's extra regions
 * that no model reads so (bumpers, grilles, lights) are not read again in more views: on the dev
 * photos' training half they made up most of the slowest photos' OCR (us7.jpg: 5 of 6 regions
 * read nothing, 120 views read in all), and no plate on the decision sets was read from them.
 */
function mayBePlate(wholeViews: CtcView[]): boolean {
  return wholeViews.some((view) => view.reading.text.length >= MIN_PLATE_CHARS);
}

function isPlausibleReading(r: PlateReading, minConfidence: number): boolean {
  return r.text.length >= MIN_PLATE_CHARS && r.text.length <= MAX_PLATE_CHARS && r.confidence >= minConfidence;
}

interface Timer {
  preprocess: number;
  localize: number;
  ocr: number;
}

/** Adds the time `work` takes to `timer[stage]`. */
async function timed<T>(timer: Timer, stage: keyof Timer, work: () => T | Promise<T>): Promise<T> {
  const start = performance.now();
  try {
    return await work();
  } finally {
    timer[stage] += performance.now() - start;
  }
}

/**
 * Frame to plate candidates, in one thread: decode, cut to the region of interest, pass a live
 * frame without motion unread (MotionGate), find plates, read them, keep the plate-like
 * readings. By default the plate finder marks whole plates and the plate OCR reads each whole,
 * and where that leaves doubt in bands and wider views too (doubtViews), the views voting.
 * PP-OCR's text-line detector can replace the finder (`localizer: 'text'`) or back it up where
 * it reads nothing confidently (`textFallbackBelow`).
 * One instance owns its onnxruntime sessions; a worker holds one.
 */
export class PlateReader {
  private readonly gate: MotionGate | null;

  private constructor(
    private readonly finder: PlateFinder | null,
    private readonly plateOcrs: PlateOcr[],
    private readonly detector: TextDetector | null,
    private readonly lineReaders: LineReader[],
    private readonly options: PlateReaderOptions,
  ) {
    this.gate = options.motionGate ? new MotionGate(options.motionGate) : null;
  }

  static async load(options: Partial<PlateReaderOptions> = {}): Promise<PlateReader> {
    const opts = { ...DEFAULT_PLATE_READER_OPTIONS, ...options };
    validateRoi(opts.roi);
    const sessionOptions = { threads: opts.threads, manifestPath: opts.manifestPath };
    const useFinder = opts.localizer === 'finder';
    const useText = !useFinder || opts.textFallbackBelow > 0;
    const plateOcrs = FOUND_PLATE_OCR_MODELS.slice(0, Math.max(1, opts.plateOcrModels));
    const names = [...(useFinder ? ['plateFinder', ...plateOcrs] : []), ...(useText ? ['detector', ...OCR_MODELS[opts.ocr]] : [])];
    const unique = [...new Set(names)];
    const loaded = new Map((await Promise.all(unique.map((name) => loadModel(name, sessionOptions)))).map((m) => [m.model.name, m]));
    // Every name asked for below is in `unique`, so it was loaded.
    const model = (name: string) => loaded.get(name)!;
    const lineReader = (name: string): LineReader => (model(name).model.entry.kind === 'plate-ctc' ? new PlateOcr(model(name)) : new TextRecognizer(model(name)));
    const plateReaders = useFinder ? plateOcrs.map((name) => new PlateOcr(model(name))) : [];
    const labels = plateReaders[0]?.classLabels.join('\n');
    const other = plateReaders.find((r) => r.classLabels.join('\n') !== labels);
    if (other) throw new RecognizerError('MODEL_SHAPE_MISMATCH', `plate OCR models ${plateOcrs.join(', ')} must share one charset: their readings vote class by class`);
    return new PlateReader(
      useFinder ? new PlateFinder(model('plateFinder'), { ...DEFAULT_PLATE_FINDER_OPTIONS, longSide: opts.finderLongSide }) : null,
      plateReaders,
      useText ? new TextDetector(model('detector'), { ...DEFAULT_DETECTOR_OPTIONS, longSide: opts.detectLongSide }) : null,
      useText ? OCR_MODELS[opts.ocr].map(lineReader) : [],
      opts,
    );
  }

  /**
   * Runs every model once, so the first real frame does not pay for onnxruntime's lazy
   * initialization: a blank frame the shape cameras give (16:9 at the finder's input size), then
   * each OCR model on grey views, since a blank frame holds nothing for them to read. Warming the
   * finder alone on a small frame, a dev photo read first took 141-180 ms; now 67-105 ms.
   */
  async warmUp(): Promise<void> {
    const long = this.options.finderLongSide;
    const blank = new cv.Mat(Math.round((long * 9) / 16), long, cv.CV_8UC3, [128, 128, 128]);
    try {
      await this.readMat(blank, 0, performance.now(), true);
      // One full batch: onnxruntime's arena then already holds the largest batch a frame runs.
      await this.readPrepared(new Float32Array(MAX_OCR_BATCH * PLATE_OCR_HEIGHT * PLATE_OCR_WIDTH), MAX_OCR_BATCH, this.plateOcrs);
      for (const reader of this.lineReaders) await reader.readLines(blank, [rectQuad(PLATE_OCR_WIDTH, PLATE_OCR_HEIGHT)]);
    } finally {
      blank.release();
    }
  }

  /**
   * Reads a frame's region of interest. A live frame (`gate`) that the motion gate finds
   * unchanged since the last frame read comes back `still`, without candidates.
   */
  async read(image: FrameImage, options: ReadOptions = {}): Promise<FrameRecognition> {
    const start = performance.now();
    const mat = decodeFrameImage(image);
    const decodeMs = performance.now() - start;
    let region = mat;
    try {
      const box = isWholeFrame(this.options.roi) ? null : roiPixels(this.options.roi, mat.cols, mat.rows);
      // A view into the frame's pixels, not a copy.
      if (box) region = mat.getRegion(new cv.Rect(box.x, box.y, box.width, box.height));
      const gate = options.gate ? this.gate : null;
      let gateMs = 0;
      if (gate) {
        const gateStart = performance.now();
        const moved = gate.shouldRead(region, gateStart);
        gateMs = performance.now() - gateStart;
        if (!moved) {
          return { width: mat.cols, height: mat.rows, candidates: [], still: true, timings: { decode: decodeMs, preprocess: gateMs, localize: 0, ocr: 0, total: performance.now() - start } };
        }
      }
      const result = await this.readMat(region, decodeMs, start);
      // The gate's look at the frame is preprocessing too.
      result.timings.preprocess += gateMs;
      return box ? inFrame(result, box, mat.cols, mat.rows) : result;
    } finally {
      if (region !== mat) region.release();
      // A full frame's pixels (6 MB at 1080p) go back now, not whenever the GC finalizes the Mat.
      mat.release();
    }
  }

  /**
   * Reads an image that is one plate (a plate crop) without looking for it: the plate OCR on the
   * whole image as a found plate (whole, then PLATE_BANDS where in doubt). Timings: decode and ocr.
   */
  async readPlateImage(image: FrameImage): Promise<FrameRecognition> {
    const start = performance.now();
    const mat = decodeFrameImage(image);
    const decode = performance.now() - start;
    const timer: Timer = { preprocess: 0, localize: 0, ocr: 0 };
    const whole: FoundPlate = {
      quad: rectQuad(mat.cols, mat.rows),
      score: 1,
      width: mat.cols,
      height: mat.rows,
    };
    try {
      // A crop is the whole plate: there is nothing beyond its edges to widen into.
      const candidates = await timed(timer, 'ocr', () => this.readPlates(mat, [whole], false));
      return { width: mat.cols, height: mat.rows, candidates, timings: { decode, ...timer, total: performance.now() - start } };
    } finally {
      mat.release();
    }
  }

  private async readMat(mat: Mat, decodeMs: number, start: number, everyStage = false): Promise<FrameRecognition> {
    const timer: Timer = { preprocess: 0, localize: 0, ocr: 0 };
    const candidates: PlateCandidate[] = [];
    if (this.finder) {
      const finder = this.finder;
      const input = await timed(timer, 'preprocess', () => finder.prepare(mat));
      const plates = (await timed(timer, 'localize', () => finder.locate(input))).slice(0, this.options.maxPlates);
      candidates.push(...(await timed(timer, 'ocr', () => this.readPlates(mat, plates, this.options.wideViews))));
    }
    const confident = candidates.some((c) => c.confidence >= this.options.textFallbackBelow);
    if (this.detector && (!this.finder || !confident || everyStage)) {
      const detector = this.detector;
      const input = await timed(timer, 'preprocess', () => detector.prepare(mat));
      const lines = dropSecondaryLines((await timed(timer, 'localize', () => detector.locate(input))).filter(isPlateLikeLine))
        .sort((a, b) => b.score * b.height - a.score * a.height)
        .slice(0, this.options.maxLines);
      candidates.push(...(await timed(timer, 'ocr', () => this.readTextLines(mat, lines))));
    }
    candidates.sort((a, b) => b.confidence - a.confidence);
    return {
      width: mat.cols,
      height: mat.rows,
      candidates,
      timings: { decode: decodeMs, ...timer, total: performance.now() - start },
    };
  }

  /**
   * Each found plate read whole by the settling plate OCR models (SETTLING_PLATE_OCRS);
   * the plates whose whole view leaves doubt (SETTLED_CHAR_CONFIDENCE), and that some model
   * read characters in (mayBePlate), are read again in
   * doubtViews (wide views with `widen`) by every model, and whole by the models that read only
   * plates in doubt; each plate's views vote by their CTC probabilities (voteCtcViews).
   */
  private async readPlates(mat: Mat, plates: FoundPlate[], widen: boolean): Promise<PlateCandidate[]> {
    if (plates.length === 0) return [];
    if (this.plateOcrs.length === 0) throw new RecognizerError('MODEL_MISSING', 'plate reader: reading whole plates needs the plate OCR (localizer: finder)');
    const labels = this.plateOcrs[0].classLabels;
    const settling = this.plateOcrs.slice(0, SETTLING_PLATE_OCRS);
    const doubtOnly = this.plateOcrs.slice(SETTLING_PLATE_OCRS);
    const wholePixels = platePixels(mat, plates.map((p) => p.quad));
    const whole = await this.readPrepared(wholePixels, plates.length, settling);
    const inDoubt = plates.map((_, i) => i).filter((i) => {
      const wholeViews = whole.map((views) => views[i]);
      return mayBePlate(wholeViews) && !viewsAgreeSurely(wholeViews, SETTLED_CHAR_CONFIDENCE);
    });
    const moreViews = inDoubt.map((i) => doubtViews(plates[i].quad, widen));
    const extraViews = moreViews.flat();
    const extraPixels = platePixels(mat, extraViews);
    const more = await this.readPrepared(extraPixels, extraViews.length, settling);
    // The doubt-only models read the plates in doubt whole (the first pass's pixels, not warped again), then their extra views.
    const second = doubtOnly.length === 0 ? [] : await this.readPrepared(wholeThenExtra(wholePixels, inDoubt, extraPixels), inDoubt.length + extraViews.length, doubtOnly);
    // Every plate in doubt has as many views: plate k's are at k * each in every model's list.
    const each = moreViews[0]?.length ?? 0;
    return plates.flatMap((plate, i) => {
      const k = inDoubt.indexOf(i);
      const extra = k < 0 ? [] : [
        ...more.flatMap((v) => v.slice(k * each, (k + 1) * each)),
        ...second.flatMap((v) => [v[k], ...v.slice(inDoubt.length + k * each, inDoubt.length + (k + 1) * each)]),
      ];
      const reading = voteCtcViews([...whole.map((v) => v[i]), ...extra], labels);
      if (!reading || !isPlausibleReading(reading, this.options.minConfidence)) return [];
      return [{ ...reading, quad: plate.quad, crop: cropEvidence(mat, plate.quad, PLATE_CROP_GROW, PLATE_CROP_GROW) }];
    });
  }

  /**
   * Views prepared by platePixels read by each of `models` in batches of at most MAX_OCR_BATCH:
   * per model, one CTC view per quad. One model after the other: a worker is sized to one core,
   * and concurrent runs would each take an onnxruntime thread of their own.
   */
  private async readPrepared(pixels: Float32Array, count: number, models: PlateOcr[]): Promise<CtcView[][]> {
    const perModel: CtcView[][] = models.map(() => []);
    if (models.length === 0) return perModel;
    const plane = PLATE_OCR_HEIGHT * PLATE_OCR_WIDTH;
    for (let from = 0; from < count; from += MAX_OCR_BATCH) {
      const n = Math.min(MAX_OCR_BATCH, count - from);
      // A view, not a copy: onnxruntime-node reads a typed array from its byteOffset (test/recognizer/plate-ocr.test.ts).
      const batch = pixels.subarray(from * plane, (from + n) * plane);
      for (const [m, ocr] of models.entries()) perModel[m].push(...(await ocr.runPrepared(batch, n)));
    }
    return perModel;
  }

  /** Each text line read by every line reader; agreeing readings merged. */
  private async readTextLines(mat: Mat, lines: TextBox[]): Promise<PlateCandidate[]> {
    const quads = lines.map((l) => l.quad);
    const perReader: DecodedChar[][][] = [];
    for (const reader of this.lineReaders) perReader.push(await reader.readLines(mat, quads));
    return lines.flatMap((line, i) =>
      this.regionCandidate(mat, line.quad, perReader.map((decoded) => toPlateReading(decoded[i])), CROP_GROW_X, CROP_GROW_Y),
    );
  }

  /**
   * One region's readings (views, readers) as its candidate: agreeing readings merged, the
   * implausible dropped, the rest one candidate with its evidence crop; none when nothing is left.
   */
  private regionCandidate(mat: Mat, quad: Quad, readings: PlateReading[], growX: number, growY: number): PlateCandidate[] {
    const reading = oneReadingPerRegion(mergeAgreeing(readings).filter((r) => isPlausibleReading(r, this.options.minConfidence)));
    return reading ? [{ ...reading, quad, crop: cropEvidence(mat, quad, growX, growY) }] : [];
  }
}
