/**
 * A realistic Alert for store and CLI tests: matches found by the real HotlistMatcher against
 * small lists (exact on a state list, wildcard on a county list), details built by alertDetails,
 * and real JPEGs for the crop and the frame.
 */
import cv = require('../../../drivers/opencv');
import { alertDetails, type Alert, type ListFreshness } from '../../../firmware/hotlist/alert';
import type { HotlistEntry } from '../../../firmware/hotlist/hotlist-entry';
import { HotlistMatcher } from '../../../firmware/hotlist/hotlist-matcher';
import type { Read } from '../../../firmware/pipeline/read';

export const ALERT_ENTERED = Date.UTC(2026, 10, 1);
const HOUR_MS = 3_600_000;

/** A real JPEG of a flat colour, `width` x `height`. */
export function jpegOf(width: number, height: number, bgr: [number, number, number]): Buffer {
  const mat = new cv.Mat(height, width, cv.CV_8UC3, bgr);
  try {
    return cv.imencode('.jpg', mat);
  } finally {
    mat.release();
  }
}

export function alertEntries(plate: string): HotlistEntry[] {
  const base = { state: 'CA', enteredAt: ALERT_ENTERED, expiresAt: null };
  return [
    { ...base, plate, list: 'CA-SVS', reason: 'stolen vehicle', caseNumber: 'SVS-2026-0117', enteredBy: 'dispatch.lee', synopsis: 'grey 2019 Civic taken from a driveway on Elm St' },
    { ...base, plate: `${plate.slice(0, 3)}?${plate.slice(4, 6)}*`, list: 'SAC-BOLO', reason: 'armed robbery suspect vehicle', caseNumber: 'SO-26-4410', enteredBy: 'det.ruiz', synopsis: 'partial plate from a witness' },
    { ...base, plate: '9ZZZ999', list: 'CA-SVS', reason: 'stolen vehicle', caseNumber: 'SVS-2026-0001', enteredBy: 'dispatch.lee', synopsis: 'not this car' },
  ];
}

export interface FixtureAlertOptions {
  id: string;
  plate: string;
  /** When the vehicle was first seen, ms. */
  firstSeen: number;
  /** Lists stale at the alert (CA-SVS, SAC-BOLO), by name. */
  staleLists?: string[];
  /** Leave the frame out, as when it could not be kept. */
  noFrame?: boolean;
}

/** The read and its alert, as the pipeline would store it with putAlert(). */
export function fixtureAlert(o: FixtureAlertOptions): Alert {
  const read: Read = {
    id: o.id,
    plate: o.plate,
    confidence: 0.87,
    alternatives: [
      { plate: `${o.plate.slice(0, 2)}8${o.plate.slice(3)}`, confidence: 0.31 },
      { plate: o.plate.slice(0, -1), confidence: 0.12 },
    ],
    crop: jpegOf(120, 40, [200, 200, 200]),
    quad: [
      { x: 400, y: 300 },
      { x: 520, y: 302 },
      { x: 519, y: 340 },
      { x: 401, y: 338 },
    ],
    firstSeen: o.firstSeen,
    lastSeen: o.firstSeen + 700,
    frameCount: 6,
    sourceId: 'synthetic-1',
    format: 'us-standard',
  };
  const raisedAt = o.firstSeen + 800;
  const matches = new HotlistMatcher(alertEntries(o.plate), () => raisedAt).match(read);
  const freshness = (list: string): ListFreshness => {
    const stale = o.staleLists?.includes(list) ?? false;
    const refreshedAt = raisedAt - (stale ? 30 : 2) * HOUR_MS;
    return { refreshedAt, staleSince: stale ? refreshedAt + 24 * HOUR_MS : null };
  };
  const frame = o.noFrame ? null : { jpeg: jpegOf(640, 360, [40, 90, 160]), width: 640, height: 360 };
  return { read, details: alertDetails(matches, freshness, frame, o.noFrame ? 'frame dropped: recognizer busy' : null, raisedAt) };
}
