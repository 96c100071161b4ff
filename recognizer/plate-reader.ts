import { performance } from 'node:perf_hooks';
import type { Mat } from '@u4/opencv4nodejs';
import cv = require('../drivers/opencv');
import type { FrameImage } from '../drivers/camera/frame';
import { quadBounds, type Quad } from '../drivers/camera/geometry';
import type { FrameRecognition, PlateCandidate } from './candidate';
import { decodeFrameImage } from './image-decode';
import { loadModel } from './onnx-session';
import { DEFAULT_DETECTOR_OPTIONS, TextDetector, type TextBox } from './localize/text-detector';
import { clampQuad, expandQuad, quadSize } from './localize/quad-math';
import { rectifyQuad } from './localize/rectify';
import type { LineReader } from './ocr/line-reader';
import { PlateOcr } from './ocr/plate-ocr';
import { TextRecognizer } from './ocr/text-recognizer';
import { toPlateReading, type PlateReading } from './ocr/plate-reading';

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
  manifestPath?: string;
}

export const DEFAULT_PLATE_READER_OPTIONS: PlateReaderOptions = {
  threads: 1,
  detectLongSide: 960,
  minConfidence: 0.5,
  maxLines: 8,
  ocr: 'both',
};

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
      alternatives: alternatives.sort((a, b) => b.confidence - a.confidence).slice(0, 5),
    };
  }
  return merged;
}

function cropEvidence(image: Mat, quad: Quad): Buffer {
  const grown = clampQuad(expandQuad(quad, CROP_GROW_X, CROP_GROW_Y), image.cols, image.rows);
  const { width, height } = quadSize(grown);
  const w = Math.max(16, Math.round(width));
  const h = Math.max(8, Math.round(height));
  return cv.imencode('.jpg', rectifyQuad(image, grown, w, h), [cv.IMWRITE_JPEG_QUALITY, CROP_JPEG_QUALITY]);
}

/**
 * Frame to plate candidates, in one thread: decode, localize text lines, read them, keep the
 * plate-like readings. One instance owns its onnxruntime sessions; a worker holds one.
 */
export class PlateReader {
  private constructor(
    private readonly detector: TextDetector,
    private readonly lineReaders: LineReader[],
    private readonly options: PlateReaderOptions,
  ) {}

  static async load(options: Partial<PlateReaderOptions> = {}): Promise<PlateReader> {
    const opts = { ...DEFAULT_PLATE_READER_OPTIONS, ...options };
    const sessionOptions = { threads: opts.threads, manifestPath: opts.manifestPath };
    const [det, ...readers] = await Promise.all(['detector', ...OCR_MODELS[opts.ocr]].map((name) => loadModel(name, sessionOptions)));
    const detector = new TextDetector(det, { ...DEFAULT_DETECTOR_OPTIONS, longSide: opts.detectLongSide });
    const lineReaders = readers.map((loaded) => (loaded.model.entry.kind === 'plate-ctc' ? new PlateOcr(loaded) : new TextRecognizer(loaded)));
    return new PlateReader(detector, lineReaders, opts);
  }

  /** Runs the models once so the first real frame does not pay for lazy initialization. */
  async warmUp(): Promise<void> {
    const blank = new cv.Mat(240, 320, cv.CV_8UC3, [128, 128, 128]);
    await this.readMat(blank, 0);
  }

  async read(image: FrameImage): Promise<FrameRecognition> {
    const start = performance.now();
    const mat = decodeFrameImage(image);
    return this.readMat(mat, performance.now() - start, start);
  }

  private async readMat(mat: Mat, decodeMs: number, start = performance.now()): Promise<FrameRecognition> {
    const t0 = performance.now();
    const input = this.detector.prepare(mat);
    const t1 = performance.now();
    const lines = dropSecondaryLines((await this.detector.locate(input)).filter(isPlateLikeLine))
      .sort((a, b) => b.score * b.height - a.score * a.height)
      .slice(0, this.options.maxLines);
    const t2 = performance.now();
    const quads = lines.map((l) => l.quad);
    const perReader = await Promise.all(this.lineReaders.map((reader) => reader.readLines(mat, quads)));
    const candidates: PlateCandidate[] = [];
    lines.forEach((line, i) => {
      const readings = mergeAgreeing(perReader.map((decoded) => toPlateReading(decoded[i]))).filter(
        (r) => r.text.length >= MIN_PLATE_CHARS && r.text.length <= MAX_PLATE_CHARS && r.confidence >= this.options.minConfidence,
      );
      if (readings.length === 0) return;
      const crop = cropEvidence(mat, line.quad);
      for (const reading of readings) candidates.push({ ...reading, quad: line.quad, crop });
    });
    candidates.sort((a, b) => b.confidence - a.confidence);
    const t3 = performance.now();
    return {
      width: mat.cols,
      height: mat.rows,
      candidates,
      timings: { decode: decodeMs, preprocess: t1 - t0, localize: t2 - t1, ocr: t3 - t2, total: t3 - start },
    };
  }
}
