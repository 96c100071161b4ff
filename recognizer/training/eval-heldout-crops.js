#!/usr/bin/env node
'use strict';
/**
 * Plate-level comparison on ALL held-out real crops (not only those whose line
 * extract-real-lines.js accepted): the PP-OCR detector finds the lines of each crop (as is, and
 * at half size), every plate-like line is read, and the most confident plausible reading is the
 * crop's answer, as PlateReader picks candidates (its line filters are applied in the shrunk
 * image's pixels, as in a frame). Reads with plate-ocr.onnx and, for reference, with PP-OCR's
 * general recognizer (the product's current reader). Shrinking the crops as extract-real-lines.js
 * does shows how each reader copes with plates of frame size.
 *
 * Usage: node recognizer/training/eval-heldout-crops.js --model FILE [--crops DIR] [--out FILE]
 */
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..');
const DIST = path.join(ROOT, 'dist');
const LINE_W = 128;
const LINE_H = 32;
const CHARSET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';
// PlateReader's filters.
const MIN_LINE_ASPECT = 1.2;
const MAX_LINE_ASPECT = 16;
const MIN_LINE_HEIGHT_PX = 8;
const MIN_PLATE_CHARS = 2;
const MAX_PLATE_CHARS = 10;
const SCALES = [1, 0.5, 0.3, 0.2];

function parseArgs(argv) {
  const args = { model: null, crops: '/work/shared/datasets/openalpr-us-crops', out: null };
  for (let i = 2; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, '');
    if (!(key in args) || argv[i + 1] === undefined) throw new Error(`eval-heldout-crops: unknown or incomplete argument "${argv[i]}"`);
    args[key] = argv[i + 1];
  }
  if (!args.model) throw new Error('eval-heldout-crops: --model is required');
  return args;
}

/** Greedy CTC with the geometric mean of the kept characters' probabilities as confidence. */
function decode(probs, offset, steps, classes) {
  let text = '';
  let logSum = 0;
  let prev = 0;
  let lastP = 0;
  for (let t = 0; t < steps; t++) {
    let best = 0;
    const base = offset + t * classes;
    for (let c = 1; c < classes; c++) if (probs[base + c] > probs[base + best]) best = c;
    const p = probs[base + best];
    if (best !== 0 && best !== prev) {
      text += CHARSET[best - 1];
      logSum += Math.log(Math.max(p, 1e-6));
      lastP = p;
    } else if (best !== 0 && p > lastP) {
      logSum += Math.log(Math.max(p, 1e-6)) - Math.log(Math.max(lastP, 1e-6));
      lastP = p;
    }
    prev = best;
  }
  return { text, confidence: text.length ? Math.exp(logSum / text.length) : 0 };
}

async function main() {
  const args = parseArgs(process.argv);
  const { cv } = require(path.join(DIST, 'drivers', 'opencv.js'));
  const { ort, loadModel } = require(path.join(DIST, 'recognizer', 'onnx-session.js'));
  const { TextDetector, DEFAULT_DETECTOR_OPTIONS } = require(path.join(DIST, 'recognizer', 'localize', 'text-detector.js'));
  const { TextRecognizer } = require(path.join(DIST, 'recognizer', 'ocr', 'text-recognizer.js'));
  const { toPlateReading } = require(path.join(DIST, 'recognizer', 'ocr', 'plate-reading.js'));
  const { scaleQuad } = require(path.join(DIST, 'recognizer', 'localize', 'quad-math.js'));
  // The product's split, as extract-real-lines.js uses.
  const { splitOf, CROP_PARTITION } = require(path.join(DIST, 'ops', 'bench', 'holdout.js'));

  const detector = new TextDetector(await loadModel('detector', { threads: 2 }), DEFAULT_DETECTOR_OPTIONS);
  const ppocr = new TextRecognizer(await loadModel('recognizer', { threads: 2 }));
  const plateOcr = await ort.InferenceSession.create(args.model, { intraOpNumThreads: 2, graphOptimizationLevel: 'all' });

  const gt = fs
    .readFileSync(path.join(args.crops, 'groundtruth.csv'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => l.split(','))
    .filter(([file]) => splitOf(file, CROP_PARTITION) === 'heldout');

  const score = {};
  const tally = (key, ok) => {
    score[key] = score[key] || { crops: 0, exact: 0 };
    score[key].crops++;
    if (ok) score[key].exact++;
  };
  for (const [file, , plate] of gt) {
    const label = plate.toUpperCase().replace(/[^A-Z0-9]/g, '');
    const image = cv.imread(path.join(args.crops, file), cv.IMREAD_COLOR);
    for (const scale of SCALES) {
      // As extract-real-lines.js: a shrunk crop sits in a grey surround, like a plate in a frame.
      const small = scale === 1 ? image : image.resize(Math.round(image.rows * scale), Math.round(image.cols * scale), 0, 0, cv.INTER_AREA);
      const padX = scale === 1 ? 0 : Math.round(small.cols / 2);
      const padY = scale === 1 ? 0 : Math.round(small.rows / 2);
      const framed = scale === 1 ? small : small.copyMakeBorder(padY, padY, padX, padX, cv.BORDER_CONSTANT, new cv.Vec3(127, 127, 127));
      const lines = (await detector.detect(framed))
        .filter((b) => b.height >= MIN_LINE_HEIGHT_PX && b.width / b.height >= MIN_LINE_ASPECT && b.width / b.height <= MAX_LINE_ASPECT)
        .map((b) => scaleQuad(b.quad.map((p) => ({ x: p.x - padX, y: p.y - padY })), image.cols / small.cols, image.rows / small.rows));
      let bestOurs = { text: '', confidence: -1 };
      let bestPp = { text: '', confidence: -1 };
      if (lines.length > 0) {
        const plane = LINE_W * LINE_H;
        const input = new Float32Array(lines.length * plane);
        lines.forEach((quad, n) => {
          const src = quad.map((p) => new cv.Point2(p.x, p.y));
          const dst = [new cv.Point2(0, 0), new cv.Point2(LINE_W - 1, 0), new cv.Point2(LINE_W - 1, LINE_H - 1), new cv.Point2(0, LINE_H - 1)];
          const grey = image
            .warpPerspective(cv.getPerspectiveTransform(src, dst), new cv.Size(LINE_W, LINE_H), cv.INTER_LINEAR, cv.BORDER_REPLICATE)
            .cvtColor(cv.COLOR_BGR2GRAY)
            .getData();
          for (let i = 0; i < plane; i++) input[n * plane + i] = grey[i] / 127.5 - 1;
        });
        const out = (await plateOcr.run({ x: new ort.Tensor('float32', input, [lines.length, 1, LINE_H, LINE_W]) })).probs;
        const [, steps, classes] = out.dims;
        lines.forEach((_, n) => {
          const r = decode(out.data, n * steps * classes, steps, classes);
          if (r.text.length >= MIN_PLATE_CHARS && r.text.length <= MAX_PLATE_CHARS && r.confidence > bestOurs.confidence) bestOurs = r;
        });
        const pp = await ppocr.readLines(image, lines);
        pp.forEach((chars) => {
          const r = toPlateReading(chars);
          if (r.text.length >= MIN_PLATE_CHARS && r.text.length <= MAX_PLATE_CHARS && r.confidence > bestPp.confidence) bestPp = r;
        });
      }
      tally(`plateOcr@${scale}`, bestOurs.text === label);
      tally(`ppocr@${scale}`, bestPp.text === label);
    }
  }
  const result = Object.fromEntries(Object.entries(score).map(([k, v]) => [k, { ...v, accuracy: +(v.exact / v.crops).toFixed(4) }]));
  if (args.out) fs.writeFileSync(args.out, JSON.stringify(result, null, 2) + '\n');
  process.stdout.write(`eval-heldout-crops: ${JSON.stringify(result)}\n`);
}

main().catch((err) => {
  process.stderr.write(`${err.stack || err.message}\n`);
  process.exit(1);
});
