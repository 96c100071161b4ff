/**
 * Realistic alerts for uplink and hub tests: a synthetic traffic frame encoded as JPEG (the full
 * frame) with its plate cut out as the crop, the plate read, and matches found by the real
 * HotlistMatcher against entries of two lists, one of them stale.
 */
import { randomUUID } from 'node:crypto';
import cv = require('../../../drivers/opencv');
import type { RawImage } from '../../../drivers/camera/frame';
import { alertDetails, type Alert } from '../../../firmware/hotlist/alert';
import type { HotlistEntry } from '../../../firmware/hotlist/hotlist-entry';
import { HotlistMatcher } from '../../../firmware/hotlist/hotlist-matcher';
import type { Read } from '../../../firmware/pipeline/read';
import { framesWithPlates } from '../../support/synthetic-frames';

const HOUR_MS = 3_600_000;

export interface SceneShot {
  plate: string;
  frameJpeg: Buffer;
  cropJpeg: Buffer;
  width: number;
  height: number;
  quad: Read['quad'];
}

let shots: Promise<SceneShot[]> | null = null;

/** Frames of the synthetic scene, each with one plate in view, as JPEG full frames and crops (made once per process). */
export function sceneShots(): Promise<SceneShot[]> {
  shots ??= (async () => {
    const frames = await framesWithPlates(3, { width: 1280, height: 720, seed: 31 });
    return frames.map((frame) => {
      const image = frame.image as RawImage;
      const mat = new cv.Mat(image.pixels, image.height, image.width, cv.CV_8UC3);
      const truth = frame.truth![0];
      const box = clampBox(truth.box, image.width, image.height);
      return {
        plate: truth.text,
        frameJpeg: cv.imencode('.jpg', mat, [cv.IMWRITE_JPEG_QUALITY, 90]),
        cropJpeg: cv.imencode('.jpg', mat.getRegion(new cv.Rect(box.x, box.y, box.width, box.height)), [cv.IMWRITE_JPEG_QUALITY, 90]),
        width: image.width,
        height: image.height,
        quad: [truth.quad[0], truth.quad[1], truth.quad[2], truth.quad[3]],
      };
    });
  })();
  return shots;
}

function clampBox(box: { x: number; y: number; width: number; height: number }, width: number, height: number) {
  const x = Math.max(0, Math.floor(box.x));
  const y = Math.max(0, Math.floor(box.y));
  return { x, y, width: Math.max(1, Math.min(width - x, Math.ceil(box.width))), height: Math.max(1, Math.min(height - y, Math.ceil(box.height))) };
}

/** An entry as central would list it. */
export function entry(plate: string, list: string, o: Partial<HotlistEntry> = {}): HotlistEntry {
  return {
    plate,
    state: null,
    list,
    reason: 'stolen vehicle',
    caseNumber: `${list}-0001`,
    enteredBy: 'dispatcher 12',
    synopsis: 'Grey sedan taken from a parking lot on Main St; approach with caution.',
    enteredAt: Date.now() - 2 * HOUR_MS,
    expiresAt: null,
    ...o,
  };
}

/**
 * An alert for one scene shot: the read of its plate hits the state list exactly and the county
 * list (stale since two hours) by a wildcard pattern. `now` is when it is raised.
 */
export function alertFor(shot: SceneShot, o: { now?: number; frame?: boolean } = {}): Alert {
  const now = o.now ?? Date.now();
  const read: Read = {
    id: randomUUID(),
    plate: shot.plate,
    confidence: 0.91,
    alternatives: [{ plate: `${shot.plate.slice(0, -1)}8`, confidence: 0.05 }],
    crop: shot.cropJpeg,
    quad: shot.quad,
    firstSeen: now - 800,
    lastSeen: now - 100,
    frameCount: 6,
    sourceId: 'synthetic',
    format: null,
  };
  const pattern = `${shot.plate.slice(0, 3)}*`;
  const matcher = new HotlistMatcher(
    [
      entry(shot.plate, 'CA-SVS', { state: null, reason: 'stolen vehicle', caseNumber: 'SVS-2291' }),
      entry(pattern, 'county-bolo', { reason: 'wanted: armed robbery', caseNumber: 'BOLO-77', enteredBy: 'Sgt. Ortiz', synopsis: 'Partial plate from a witness; blue pickup.' }),
      entry('ZZZ9999', 'CA-SVS'),
    ],
    () => now,
  );
  const matches = matcher.match(read);
  if (matches.length < 2) throw new Error(`the fixture expected two matches for ${shot.plate}, got ${matches.length}`);
  const freshness = (list: string) => (list === 'county-bolo' ? { refreshedAt: now - 26 * HOUR_MS, staleSince: now - 2 * HOUR_MS } : { refreshedAt: now - HOUR_MS, staleSince: null });
  const frame = o.frame === false ? null : { jpeg: shot.frameJpeg, width: shot.width, height: shot.height };
  return { read, details: alertDetails(matches, freshness, frame, o.frame === false ? 'frame not available' : null, now) };
}
