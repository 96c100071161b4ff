#!/usr/bin/env node
'use strict';
/**
 * Checks an exported plate-ocr.onnx the way the product will use it: onnxruntime-node, one
 * thread, input `x` [N,1,32,128] (grey/127.5 - 1), output `probs` [N,T,37] softmax. Reads the
 * held-out real line crops written by extract-real-lines.js, reports exact-plate accuracy, and
 * times batches of 1 and 8.
 *
 * Usage: node recognizer/training/check-onnx.js --model FILE --charset FILE --real DIR [--out FILE]
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { performance } = require('node:perf_hooks');

const ROOT = path.resolve(__dirname, '..', '..');
const LINE_W = 128;
const LINE_H = 32;
const TIMING_RUNS = 300;

function parseArgs(argv) {
  const args = { model: null, charset: null, real: null, out: null };
  for (let i = 2; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, '');
    if (!(key in args) || argv[i + 1] === undefined) throw new Error(`check-onnx: unknown or incomplete argument "${argv[i]}"`);
    args[key] = argv[i + 1];
  }
  for (const key of ['model', 'charset', 'real']) if (!args[key]) throw new Error(`check-onnx: --${key} is required`);
  return args;
}

function fail(msg) {
  throw new Error(`check-onnx: ${msg}`);
}

function greedy(probs, offset, steps, classes, labels) {
  let out = '';
  let prev = 0;
  for (let t = 0; t < steps; t++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (probs[offset + t * classes + c] > probs[offset + t * classes + best]) best = c;
    if (best !== 0 && best !== prev) out += labels[best];
    prev = best;
  }
  return out;
}

function median(values) {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function main() {
  const args = parseArgs(process.argv);
  const ort = require(path.join(ROOT, 'node_modules', 'onnxruntime-node'));
  const { cv } = require(path.join(ROOT, 'dist', 'drivers', 'opencv.js'));
  const charset = fs.readFileSync(args.charset, 'utf8').split('\n').filter((l) => l !== '');
  if (charset.length !== 36) fail(`${args.charset}: ${charset.length} characters, expected 36`);
  const labels = ['', ...charset];

  const session = await ort.InferenceSession.create(args.model, {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  if (session.inputNames[0] !== 'x' || session.outputNames[0] !== 'probs') {
    fail(`${args.model}: inputs ${session.inputNames} outputs ${session.outputNames}, expected x and probs`);
  }

  const csv = fs.readFileSync(path.join(args.real, 'lines.csv'), 'utf8').trim().split('\n');
  const header = csv[0].split(',');
  const col = (name) => header.indexOf(name);
  const rows = csv.slice(1).map((l) => l.split(',')).filter((r) => r[col('split')] === 'heldout');
  if (rows.length === 0) fail(`${args.real}/lines.csv has no held-out lines (split heldout); re-extract with this extract-real-lines.js`);

  const plane = LINE_W * LINE_H;
  const input = new Float32Array(rows.length * plane);
  rows.forEach((r, n) => {
    const file = path.join(args.real, 'png', r[col('png')]);
    const mat = cv.imread(file, cv.IMREAD_GRAYSCALE);
    if (mat.rows !== LINE_H || mat.cols !== LINE_W) fail(`${file}: ${mat.cols}x${mat.rows}, expected ${LINE_W}x${LINE_H}`);
    const data = mat.getData();
    for (let i = 0; i < plane; i++) input[n * plane + i] = data[i] / 127.5 - 1;
  });

  // Accuracy, batches of 8 (the last one short).
  const byPass = {};
  let sumError = 0;
  let steps = 0;
  let classes = 0;
  for (let start = 0; start < rows.length; start += 8) {
    const n = Math.min(8, rows.length - start);
    const x = new ort.Tensor('float32', input.subarray(start * plane, (start + n) * plane), [n, 1, LINE_H, LINE_W]);
    const out = (await session.run({ x })).probs;
    if (out.dims.length !== 3 || out.dims[0] !== n || out.dims[2] !== labels.length) fail(`output shape [${out.dims}], expected [${n}, T, ${labels.length}]`);
    [, steps, classes] = out.dims;
    const probs = out.data;
    for (let i = 0; i < n; i++) {
      for (let t = 0; t < steps; t++) {
        let s = 0;
        for (let c = 0; c < classes; c++) s += probs[(i * steps + t) * classes + c];
        sumError = Math.max(sumError, Math.abs(s - 1));
      }
      const r = rows[start + i];
      const text = greedy(probs, i * steps * classes, steps, classes, labels);
      const pass = r[col('pass')];
      byPass[pass] = byPass[pass] || { lines: 0, exact: 0, errors: [] };
      byPass[pass].lines++;
      if (text === r[col('label')]) byPass[pass].exact++;
      else byPass[pass].errors.push(`${r[col('file')]}: ${r[col('label')]} read ${text}`);
    }
  }
  if (sumError > 1e-3) fail(`probabilities do not sum to 1 (off by ${sumError})`);

  // Timing on one thread.
  const timing = {};
  for (const batch of [1, 8]) {
    const x = new ort.Tensor('float32', input.slice(0, batch * plane), [batch, 1, LINE_H, LINE_W]);
    for (let i = 0; i < 20; i++) await session.run({ x });
    const times = [];
    for (let i = 0; i < TIMING_RUNS; i++) {
      const t0 = performance.now();
      await session.run({ x });
      times.push(performance.now() - t0);
    }
    // The median is what a loaded machine gives; the minimum is the model's own cost (runs that
    // no other process preempted).
    const fastest = Math.min(...times);
    timing[`batch${batch}`] = {
      medianMsPerRun: +median(times).toFixed(3),
      medianMsPerCrop: +(median(times) / batch).toFixed(3),
      minMsPerRun: +fastest.toFixed(3),
      minMsPerCrop: +(fastest / batch).toFixed(3),
    };
  }

  const total = Object.values(byPass).reduce((a, p) => ({ lines: a.lines + p.lines, exact: a.exact + p.exact }), { lines: 0, exact: 0 });
  const result = {
    model: args.model,
    bytes: fs.statSync(args.model).size,
    output: { name: 'probs', steps, classes },
    heldOut: {
      lines: total.lines,
      exact: total.exact,
      accuracy: +(total.exact / total.lines).toFixed(4),
      byDetectorScale: Object.fromEntries(
        Object.entries(byPass).map(([k, p]) => [k, { lines: p.lines, exact: p.exact, accuracy: +(p.exact / p.lines).toFixed(4), errors: p.errors }]),
      ),
    },
    timingOneThread: { ...timing, runs: TIMING_RUNS, loadAverage1m: +os.loadavg()[0].toFixed(2), cpus: os.cpus().length },
  };
  if (args.out) fs.writeFileSync(args.out, JSON.stringify(result, null, 2) + '\n');
  const summary = { ...result, heldOut: { ...result.heldOut, byDetectorScale: Object.fromEntries(Object.entries(result.heldOut.byDetectorScale).map(([k, v]) => [k, { lines: v.lines, exact: v.exact, accuracy: v.accuracy }])) } };
  process.stdout.write(`check-onnx: ${JSON.stringify(summary)}\n`);
}

main().catch((err) => {
  process.stderr.write(`${err.stack || err.message}\n`);
  process.exit(1);
});
