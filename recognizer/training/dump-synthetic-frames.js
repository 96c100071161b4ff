#!/usr/bin/env node
'use strict';
/**
 * Saves frames of the product's synthetic traffic camera with their plate quads, for the plate
 * finder's training (the live benchmark's scenes must be found too). Frames are shrunk by
 * --scale as the finder will see them.
 *
 * Usage: node recognizer/training/dump-synthetic-frames.js --out DIR [--frames N] [--scale S]
 *   (build first: npx tsc -p tsconfig.json). Writes DIR/NNNNN.png and DIR/quads.csv
 *   (file, x0, y0, ..., x3, y3 per visible plate, in the shrunk frame's pixels).
 * Deterministic: seeds 9001.. (never the benchmark's seed 1), every 7th frame.
 */
const fs = require('node:fs');
const path = require('node:path');

const DIST = path.resolve(__dirname, '..', '..', 'dist');

function parseArgs(argv) {
  const args = { out: null, frames: 1200, scale: 1 / 3 };
  for (let i = 2; i < argv.length; i += 2) {
    const [key, value] = [argv[i], argv[i + 1]];
    if (key === '--out' && value) args.out = value;
    else if (key === '--frames' && value) args.frames = Number(value);
    else if (key === '--scale' && value) args.scale = Number(value);
    else throw new Error(`dump-synthetic-frames: unknown or incomplete argument "${key}" (use --out DIR [--frames N] [--scale S])`);
  }
  if (!args.out) throw new Error('dump-synthetic-frames: --out DIR is required');
  if (!(args.frames > 0) || !(args.scale > 0 && args.scale <= 1)) throw new Error('dump-synthetic-frames: --frames must be > 0 and --scale in (0, 1]');
  return args;
}

async function main() {
  const args = parseArgs(process.argv);
  const cv = require(path.join(DIST, 'drivers/opencv'));
  const { SyntheticTrafficSource } = require(path.join(DIST, 'drivers/camera/synthetic/synthetic-source'));
  fs.mkdirSync(args.out, { recursive: true });
  const rows = ['file,x0,y0,x1,y1,x2,y2,x3,y3'];
  const perSeed = 300;
  let saved = 0;
  for (let seed = 9001; saved < args.frames; seed++) {
    const source = new SyntheticTrafficSource({ seed, realtime: false, nightFraction: 0.3, vehiclesPerMinute: 60, durationSeconds: (perSeed * 7) / 25 });
    await source.open();
    for (let n = 0; saved < args.frames; n++) {
      const frame = await source.read();
      if (!frame) break;
      if (n % 7 !== 0) continue;
      const img = frame.image;
      const mat = new cv.Mat(img.pixels, img.height, img.width, cv.CV_8UC3);
      const small = mat.resize(Math.round(img.height * args.scale), Math.round(img.width * args.scale), 0, 0, cv.INTER_AREA);
      const file = `${String(saved).padStart(5, '0')}.png`;
      cv.imwrite(path.join(args.out, file), small);
      for (const t of frame.truth ?? []) rows.push([file, ...t.quad.flatMap((p) => [(p.x * args.scale).toFixed(1), (p.y * args.scale).toFixed(1)])].join(','));
      saved++;
    }
    await source.close();
  }
  fs.writeFileSync(path.join(args.out, 'quads.csv'), rows.join('\n') + '\n');
  console.log(`dump-synthetic-frames: ${saved} frames, ${rows.length - 1} plates -> ${args.out}`);
}

main().catch((err) => {
  console.error(err.message);
  process.exit(1);
});
