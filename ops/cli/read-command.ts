import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { PlateFormatRules } from '../../firmware/pipeline/plate-format';
import { rankCandidates } from '../../firmware/pipeline/format-candidates';
import { RecognizerPool } from '../../recognizer/recognizer-pool';
import { loadContext, out } from './cli-context';
import { readerOptions } from '../../firmware/main/reader-options';

export interface ReadOptions {
  config?: string;
  crops?: string;
  workers?: number;
}

function errorJson(err: unknown): { code: string; message: string } {
  const e = err as Error & { code?: string };
  return { code: typeof e.code === 'string' ? e.code : 'IMAGE_UNREADABLE', message: e.message };
}

/**
 * `sightline read IMAGE...`: one JSON object per image on stdout, best candidate first. An image
 * that cannot be read gets an object with its error; the exit status is 1 if any failed.
 */
export async function readCommand(images: string[], options: ReadOptions): Promise<number> {
  const { config, log } = loadContext(options.config, 'warn');
  const rules = new PlateFormatRules(config.pipeline.plateFormat);
  const pool = await RecognizerPool.start({
    workers: Math.max(1, Math.min(options.workers ?? 1, images.length)),
    reader: readerOptions(config.recognizer),
    log,
  });
  if (options.crops) await fs.mkdir(options.crops, { recursive: true });
  let failures = 0;
  try {
    for (const image of images) {
      try {
        const bytes = await fs.readFile(image);
        const result = await pool.recognize({ kind: 'encoded', name: image, bytes });
        const ranked = rankCandidates(result.candidates, rules);
        const candidates = [];
        for (const [i, c] of ranked.entries()) {
          let crop: string | undefined;
          if (options.crops) {
            crop = path.join(options.crops, `${path.parse(image).name}-${i}-${c.text}.jpg`);
            await fs.writeFile(crop, c.crop);
          }
          candidates.push({
            plate: c.text,
            confidence: Number(c.confidence.toFixed(4)),
            format: c.format,
            charConfidences: c.charConfidences.map((p) => Number(p.toFixed(3))),
            alternatives: c.alternatives.map((a) => ({ plate: a.text, confidence: Number(a.confidence.toFixed(4)) })),
            quad: c.quad.map((p) => ({ x: Math.round(p.x), y: Math.round(p.y) })),
            ...(crop ? { crop } : {}),
          });
        }
        out(JSON.stringify({ image, width: result.width, height: result.height, plate: candidates[0]?.plate ?? null, candidates, timingsMs: result.timings }));
      } catch (err) {
        failures++;
        const error = errorJson(err);
        process.stderr.write(`sightline read: ${error.message}\n`);
        out(JSON.stringify({ image, error }));
      }
    }
  } finally {
    await pool.close();
  }
  return failures > 0 ? 1 : 0;
}
