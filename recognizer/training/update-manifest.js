#!/usr/bin/env node
'use strict';
/**
 * Writes one entry of recognizer/models/manifest.json after a training run: a plate OCR entry
 * ("plateOcr" for plate-ocr.onnx unless --entry and --file name another, as train.sh --seed N
 * does: checksums of the model and its charset, the model's input, and what the run was: data,
 * steps, seed, time, held-out accuracy) or, with --finder, "plateFinder" (plate-finder.onnx, from
 * train_finder.py's report). Only that entry's text changes; the other entries stay byte for
 * byte, and the result is checked to parse with them unchanged.
 *
 * Usage: node recognizer/training/update-manifest.js --manifest FILE --report train-report.json
 *          --check check-onnx.json --real DIR (extract-real-lines.js output) [--entry NAME --file F.onnx]
 *        node recognizer/training/update-manifest.js --finder --manifest FILE --report finder-report.json
 */
const fs = require('node:fs');
const path = require('node:path');
const crypto = require('node:crypto');
const { isDeepStrictEqual } = require('node:util');

function parseArgs(argv) {
  const finder = argv.includes('--finder');
  const args = finder ? { manifest: null, report: null } : { manifest: null, report: null, check: null, real: null, entry: 'plateOcr', file: 'plate-ocr.onnx' };
  const rest = argv.slice(2).filter((a) => a !== '--finder');
  for (let i = 0; i < rest.length; i += 2) {
    const key = rest[i].replace(/^--/, '');
    if (!(key in args) || rest[i + 1] === undefined) throw new Error(`update-manifest: unknown or incomplete argument "${rest[i]}"`);
    args[key] = rest[i + 1];
  }
  if (!finder && !/^[A-Za-z][A-Za-z0-9]*$/.test(args.entry)) throw new Error(`update-manifest: --entry "${args.entry}" is not a manifest name (letters and digits)`);
  if (!finder && !/^[a-z0-9][a-z0-9.-]*\.onnx$/.test(args.file)) throw new Error(`update-manifest: --file "${args.file}" is not a model file name beside the manifest`);
  for (const key of Object.keys(args)) if (!args[key]) throw new Error(`update-manifest: --${key} is required`);
  return { ...args, finder };
}

function readJson(file) {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`update-manifest: ${file}: ${err.message}`);
  }
}

function sha256(file) {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/** Distinct source crops and lines per split in extract-real-lines.js's lines.csv. */
function realCounts(dir) {
  const [header, ...rows] = fs.readFileSync(path.join(dir, 'lines.csv'), 'utf8').trim().split('\n').map((l) => l.split(','));
  const split = header.indexOf('split');
  const counts = {};
  for (const r of rows) {
    const c = (counts[r[split]] = counts[r[split]] || { crops: new Set(), lines: 0 });
    c.crops.add(r[0]);
    c.lines++;
  }
  return Object.fromEntries(Object.entries(counts).map(([k, v]) => [k, { crops: v.crops.size, lines: v.lines }]));
}

/** JSON in the manifest's style: objects and arrays that fit on a line stay on one. */
function format(value, indent = '') {
  const flat = JSON.stringify(value, null, 1).replace(/\n\s*/g, ' ').replace(/\[ /g, '[').replace(/ \]/g, ']');
  if (typeof value !== 'object' || value === null || flat.length + indent.length <= 100) return flat;
  const inner = indent + '  ';
  if (Array.isArray(value)) return `[\n${value.map((v) => inner + format(v, inner)).join(',\n')}\n${indent}]`;
  return `{\n${Object.entries(value).map(([k, v]) => `${inner}${JSON.stringify(k)}: ${format(v, inner)}`).join(',\n')}\n${indent}}`;
}

/** Index just past the JSON value (object) that opens at `open`, skipping strings. */
function endOfObject(text, open) {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    const ch = text[i];
    if (ch === '"') {
      for (i++; text[i] !== '"'; i++) if (text[i] === '\\') i++;
    } else if (ch === '{') depth++;
    else if (ch === '}' && --depth === 0) return i + 1;
  }
  throw new Error('update-manifest: unbalanced braces');
}

function plateOcrEntry(args, dir) {
  const report = readJson(args.report);
  const check = readJson(args.check);
  const real = realCounts(args.real);
  const primary = args.file === 'plate-ocr.onnx';
  const lines = report.recipe === 'lines';
  const retrain = lines ? 'recognizer/training/train.sh --recipe lines' : primary ? 'recognizer/training/train.sh' : `recognizer/training/train.sh --seed ${report.seed}`;
  for (const split of ['train', 'selection', 'heldout']) {
    if (!real[split]) throw new Error(`update-manifest: ${args.real}/lines.csv has no ${split} lines; extract again with this extract-real-lines.js`);
  }
  return {
    kind: 'plate-ctc',
    file: args.file,
    sha256: sha256(path.join(dir, args.file)),
    input: { name: 'x', shape: ['N', 1, 32, 128] },
    output: { name: 'probs', shape: ['N', check.output.steps, check.output.classes] },
    charset: {
      file: 'plate-ocr.charset.txt',
      sha256: sha256(path.join(dir, 'plate-ocr.charset.txt')),
      layout: 'CTC blank at index 0, then one character per line',
    },
    source:
      (lines
        ? `Sightline plate OCR, line model (${retrain}): trained on synthetic lines and real text-detector line crops only, no whole-plate or street-photo views; ` +
          'same network, input and charset as plateOcr; found plates are read by several plate OCR models (recognizer/found-plate-ocr-models.ts), whose errors differ. '
        : primary
          ? 'Sightline plate OCR: a small CNN + CTC line reader (softmax included) trained in this repository by recognizer/training/train.sh. '
          : `Sightline plate OCR, seed ${report.seed}: plateOcr's recipe (${retrain}) from another seed, so other synthetic data, augmentation and initial weights; ` +
            'same network, input and charset as plateOcr; found plates are read by several plate OCR models (recognizer/found-plate-ocr-models.ts), whose errors differ. ') +
      'Input: the detector line quad warped to 128x32 (stretched), grey 0.299R+0.587G+0.114B, v/127.5-1.',
    training: {
      data:
        `${report.data.synthetic_lines} synthetic US plate lines (PIL-rendered, condensed bold sans fonts, camera degradations) ` +
        `+ ${real.train.lines} real line crops from ${real.train.crops} plates (${report.data.real_train_augmented_lines} augmented re-warps` +
        (report.data.real_train_plate_views ? `, ${report.data.real_train_plate_views} augmented whole-plate views` : '') +
        '), cut by the PP-OCR detector (crop at 1, 0.5, 0.3, 0.2 size) from the training 70% of openalpr-us-crops (benchmark data, AGPL-3.0; not shipped); ' +
        (report.data.street_photo_views
          ? `+ ${report.data.street_photo_views} augmented plate views cut from the training half of the openalpr-us-dev photos (hash split, ops/bench/holdout.ts); `
          : '') +
        `checkpoint selection: ${real.selection.lines} line crops of ${real.selection.crops} plates from another 10%` +
        (lines ? '' : ', and those plates whole') +
        `; held out: ${real.heldout.lines} line crops of ${real.heldout.crops} plates from the last 20%, and those plates whole ` +
        '(parts by a hash of the file name, ops/bench/holdout.ts; the held-out part is read once, by the exported checkpoint)',
      steps: report.steps,
      batch: report.batch,
      seed: report.seed,
      bestStep: report.best.step,
      selectionExactAccuracy: lines ? { lines: report.best.lines } : { lines: report.best.lines, wholePlates: report.best.plates },
      heldOutExactAccuracy: {
        allLines: check.heldOut.accuracy,
        byDetectorScale: Object.fromEntries(Object.entries(check.heldOut.byDetectorScale).map(([scale, r]) => [scale, r.accuracy])),
        wholePlates: report.heldout.plates,
      },
      time: `${Math.round(report.seconds.total / 60)} min on ${report.threads ?? 2} PyTorch thread(s) of a 2-core machine (data ${Math.round((report.seconds.synthetic + report.seconds.real_augment) / 60)} min, training ${Math.round(report.seconds.training / 60)} min)`,
      description:
        `CTC loss, AdamW with a one-cycle schedule, ${Math.round(report.data.real_fraction_per_batch * 100)}% real ${lines ? 'lines' : 'lines and plate views'} per batch; ` +
        (lines
          ? 'the checkpoint with the best exact-plate accuracy on the selection lines'
          : 'the checkpoint with the best mean exact-plate accuracy on the selection lines and selection whole plates') +
        ` is exported (ONNX opset 13). Retrain: ${retrain}`,
    },
  };
}

function plateFinderEntry(args, dir) {
  const report = readJson(args.report);
  return {
    kind: 'plate-finder',
    file: 'plate-finder.onnx',
    sha256: sha256(path.join(dir, 'plate-finder.onnx')),
    input: { name: 'x', shape: [1, 3, 'H', 'W'] },
    output: { name: 'prob', shape: [1, 1, 'H/4', 'W/4'] },
    source:
      'Sightline plate finder: a small fully convolutional network (FPN to stride 4, sigmoid included) trained in this ' +
      'repository by recognizer/training/train-finder.sh. Input: the frame shrunk so its long side is 640 (H, W multiples ' +
      'of 32), BGR, v/127.5-1. Output: per 4x4 cell, the probability that it lies on a plate.',
    training: {
      data:
        `${report.train_scenes} generated 256x256 scenes (synthetic traffic frames of the product's own camera, procedural ` +
        'clutter with non-plate text, drawn plates, and real plate photos from the training 70% of openalpr-us-crops: ' +
        'benchmark data, AGPL-3.0, not shipped); checkpoint selection: ' +
        `${report.validation_scenes} scenes built only from the selection 10% of the crops; held out: ${report.heldout.scenes} scenes from the held-out 20%, ` +
        'read once by the exported checkpoint (parts by a hash of the file name, ops/bench/holdout.ts)',
      parameters: report.parameters,
      steps: report.steps,
      batch: report.batch,
      seed: report.seed,
      best: report.best,
      heldOut: report.heldout,
      time: `${Math.round((report.data_seconds + report.train_seconds) / 60)} min on ${report.threads} CPU threads (scenes ${Math.round(report.data_seconds / 60)} min, training ${Math.round(report.train_seconds / 60)} min)`,
      description: 'Soft BCE (positive weight 3) + Dice on the stride-4 plate mask, AdamW one-cycle; the checkpoint with the best selection recall (less 5x false-positive area) is exported (ONNX opset 13). Retrain: recognizer/training/train-finder.sh',
    },
  };
}

function main() {
  const args = parseArgs(process.argv);
  const dir = path.dirname(args.manifest);
  const text = fs.readFileSync(args.manifest, 'utf8');
  const before = readJson(args.manifest);
  const ENTRY = args.finder ? 'plateFinder' : args.entry;
  const entry = args.finder ? plateFinderEntry(args, dir) : plateOcrEntry(args, dir);
  const entryText = format(entry, '    ');

  let updated;
  const existing = text.search(new RegExp(`"${ENTRY}"\\s*:\\s*\\{`));
  if (existing >= 0) {
    const open = text.indexOf('{', existing);
    updated = text.slice(0, existing) + `"${ENTRY}": ${entryText}` + text.slice(endOfObject(text, open));
  } else {
    const models = text.search(/"models"\s*:\s*\{/);
    if (models < 0) throw new Error(`update-manifest: ${args.manifest} has no "models" object`);
    const close = endOfObject(text, text.indexOf('{', models)) - 1;
    const body = text.slice(0, close).replace(/\s*$/, '');
    updated = `${body},\n    "${ENTRY}": ${entryText}\n  ${text.slice(close)}`;
  }

  const after = JSON.parse(updated);
  for (const [name, value] of Object.entries(before.models)) {
    if (name !== ENTRY && !isDeepStrictEqual(after.models[name], value)) throw new Error(`update-manifest: entry "${name}" would change; refusing`);
  }
  if (!isDeepStrictEqual(after.models[ENTRY], entry)) throw new Error('update-manifest: the new entry did not round-trip');
  fs.writeFileSync(args.manifest, updated);
  process.stdout.write(`update-manifest: ${args.manifest}: "${ENTRY}" sha256 ${entry.sha256}\n`);
}

try {
  main();
} catch (err) {
  process.stderr.write(`${err.message}\n`);
  process.exit(1);
}
