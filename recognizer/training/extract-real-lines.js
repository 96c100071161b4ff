#!/usr/bin/env node
'use strict';
/**
 * Turns labelled real plate crops into plate-OCR training lines cut the way inference cuts them.
 *
 * For each crop the PP-OCR detector (the product's TextDetector, from the compiled project) finds
 * text lines; each is read with PP-OCR's recognizer, and the line whose reading is closest to the
 * label is kept when it is plausible (edit distance <= 2, at most one character short, a line's
 * shape). The detector runs on the crop as it is, and shrunk to 0.5, 0.3 and 0.2 in a grey
 * surround: the smaller the plate, the more of it the detector's box takes in (at 0.3 and 0.2, as
 * on the plates of 1280x720 frames, most of the plate, edges included). The kept line is warped
 * to 128x32 grey exactly as the product will feed plate-ocr.onnx, and its quad is written too so
 * training can re-warp it with augmentation.
 *
 * Usage: node recognizer/training/extract-real-lines.js --crops DIR --out DIR
 *   (build first: npx tsc -p tsconfig.json). Writes OUT/lines.csv, OUT/rejected.csv, OUT/png/*.png.
 *
 * The split is ops/bench/holdout's, by a hash of the file name (heldout 20%, selection 10%, train),
 * fixed whatever the extraction finds.
 */
const fs = require('node:fs');
const path = require('node:path');

const DIST = path.resolve(__dirname, '..', '..', 'dist');
const LINE_W = 128;
const LINE_H = 32;
const MAX_EDIT_DISTANCE = 2;
// A reading two or more characters short of the label is a box over part of the plate, whose
// label would be wrong for the crop.
const MAX_MISSING_CHARS = 1;
const MIN_ASPECT = 1.5;
const MAX_ASPECT = 14;
const MIN_HEIGHT_PX = 8;
// At 0.3 and 0.2 a crop's plate is as small as the plates of 1280x720 frames at the detector's 960 px,
// where the detector's box takes in the whole plate, edges and frame included.
const DETECT_SCALES = [1, 0.5, 0.3, 0.2];

function parseArgs(argv) {
  const args = { crops: '/work/shared/datasets/openalpr-us-crops', out: null };
  for (let i = 2; i < argv.length; i++) {
    const key = argv[i];
    const value = argv[i + 1];
    if (key === '--crops' && value) args.crops = argv[++i];
    else if (key === '--out' && value) args.out = argv[++i];
    else throw new Error(`extract-real-lines: unknown or incomplete argument "${key}" (use --crops DIR --out DIR)`);
  }
  if (!args.out) throw new Error('extract-real-lines: --out DIR is required');
  return args;
}

function requireDist(rel) {
  const file = path.join(DIST, rel);
  if (!fs.existsSync(file)) throw new Error(`extract-real-lines: ${file} is missing; build first: npx tsc -p tsconfig.json`);
  return require(file);
}

function normalizePlate(text) {
  return text.toUpperCase().replace(/[^A-Z0-9]/g, '');
}

function editDistance(a, b) {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return row[b.length];
}

function readGroundTruth(dir) {
  const csv = path.join(dir, 'groundtruth.csv');
  if (!fs.existsSync(csv)) throw new Error(`extract-real-lines: ${csv} is missing`);
  return fs
    .readFileSync(csv, 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .map((line, i) => {
      const [file, state, plate] = line.split(',');
      if (!file || !plate) throw new Error(`extract-real-lines: ${csv} line ${i + 1}: expected file,state,PLATE`);
      return { file, state, label: normalizePlate(plate) };
    });
}

async function main() {
  const args = parseArgs(process.argv);
  const cv = requireDist('drivers/opencv.js');
  const { loadModel } = requireDist('recognizer/onnx-session.js');
  const { TextDetector, DEFAULT_DETECTOR_OPTIONS } = requireDist('recognizer/localize/text-detector.js');
  const { TextRecognizer } = requireDist('recognizer/ocr/text-recognizer.js');
  const { toPlateReading } = requireDist('recognizer/ocr/plate-reading.js');
  const { quadSize, scaleQuad } = requireDist('recognizer/localize/quad-math.js');
  // The product's benchmark split (`sightline bench ocr --split ...`), so both agree: the same file
  // is always in the same part ('heldout', 'selection' or 'train').
  const { splitOf, CROP_PARTITION } = requireDist('ops/bench/holdout.js');

  const sessionOptions = { threads: 2 };
  const detector = new TextDetector(await loadModel('detector', sessionOptions), DEFAULT_DETECTOR_OPTIONS);
  const recognizer = new TextRecognizer(await loadModel('recognizer', sessionOptions));

  const pngDir = path.join(args.out, 'png');
  fs.mkdirSync(pngDir, { recursive: true });
  const rows = ['file,png,label,split,pass,reading,distance,x0,y0,x1,y1,x2,y2,x3,y3'];
  const rejected = ['file,label,split,pass,reason'];
  const entries = readGroundTruth(args.crops);
  const counts = { train: { crops: 0, lines: 0 }, selection: { crops: 0, lines: 0 }, heldout: { crops: 0, lines: 0 } };

  for (const [n, entry] of entries.entries()) {
    const split = splitOf(entry.file, CROP_PARTITION);
    counts[split].crops++;
    const imagePath = path.join(args.crops, entry.file);
    let image;
    try {
      image = cv.imread(imagePath, cv.IMREAD_COLOR);
    } catch (err) {
      rejected.push(`${entry.file},${entry.label},${split},-,unreadable: ${err.message}`);
      continue;
    }
    for (const scale of DETECT_SCALES) {
      // A shrunk crop is set in a grey surround, as a small plate sits in a frame (and so the
      // detector's rounding of the input to multiples of 32 does not distort it).
      const small = scale === 1 ? image : image.resize(Math.round(image.rows * scale), Math.round(image.cols * scale), 0, 0, cv.INTER_AREA);
      const padX = scale === 1 ? 0 : Math.round(small.cols / 2);
      const padY = scale === 1 ? 0 : Math.round(small.rows / 2);
      const framed = scale === 1 ? small : small.copyMakeBorder(padY, padY, padX, padX, cv.BORDER_CONSTANT, new cv.Vec3(127, 127, 127));
      const boxes = (await detector.detect(framed)).map((b) => {
        const shifted = b.quad.map((p) => ({ x: p.x - padX, y: p.y - padY }));
        const quad = scaleQuad(shifted, image.cols / small.cols, image.rows / small.rows);
        return { quad, ...quadSize(quad) };
      });
      const plausible = boxes.filter((b) => b.height >= MIN_HEIGHT_PX && b.width / b.height >= MIN_ASPECT && b.width / b.height <= MAX_ASPECT);
      if (plausible.length === 0) {
        rejected.push(`${entry.file},${entry.label},${split},${scale},no plausible line among ${boxes.length} boxes`);
        continue;
      }
      const readings = await recognizer.readLines(image, plausible.map((b) => b.quad));
      let best = null;
      readings.forEach((chars, i) => {
        const text = toPlateReading(chars).text;
        const distance = editDistance(text, entry.label);
        if (!best || distance < best.distance) best = { box: plausible[i], text, distance };
      });
      if (best.distance > MAX_EDIT_DISTANCE) {
        rejected.push(`${entry.file},${entry.label},${split},${scale},closest reading "${best.text}" is ${best.distance} edits away`);
        continue;
      }
      if (entry.label.length - best.text.length > MAX_MISSING_CHARS) {
        rejected.push(`${entry.file},${entry.label},${split},${scale},closest reading "${best.text}" covers part of the plate`);
        continue;
      }
      const src = best.box.quad.map((p) => new cv.Point2(p.x, p.y));
      const dst = [new cv.Point2(0, 0), new cv.Point2(LINE_W - 1, 0), new cv.Point2(LINE_W - 1, LINE_H - 1), new cv.Point2(0, LINE_H - 1)];
      const warped = image.warpPerspective(cv.getPerspectiveTransform(src, dst), new cv.Size(LINE_W, LINE_H), cv.INTER_LINEAR, cv.BORDER_REPLICATE);
      const png = `${path.basename(entry.file, path.extname(entry.file))}_s${scale}.png`;
      cv.imwrite(path.join(pngDir, png), warped.cvtColor(cv.COLOR_BGR2GRAY));
      const coords = best.box.quad.flatMap((p) => [p.x.toFixed(2), p.y.toFixed(2)]);
      rows.push([entry.file, png, entry.label, split, scale, best.text, best.distance, ...coords].join(','));
      if (scale === 1) counts[split].lines++;
    }
    if ((n + 1) % 100 === 0) process.stderr.write(`extract-real-lines: ${n + 1}/${entries.length} crops\n`);
  }

  fs.writeFileSync(path.join(args.out, 'lines.csv'), rows.join('\n') + '\n');
  fs.writeFileSync(path.join(args.out, 'rejected.csv'), rejected.join('\n') + '\n');
  const summary = { crops: entries.length, lines: rows.length - 1, rejected: rejected.length - 1, perSplit: counts };
  fs.writeFileSync(path.join(args.out, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
  process.stdout.write(`extract-real-lines: ${JSON.stringify(summary)}\n`);
}

main().catch((err) => {
  process.stderr.write(`${err.stack || err.message}\n`);
  process.exit(1);
});
