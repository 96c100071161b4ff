/** A record's row as SQLite returns it, its decoding into a StoredRead, and the checks on input. */
import type { Read } from '../pipeline/read';
import { alertRecordOf, alertRecordSchema, MAX_FRAME_JPEG_BYTES, type AlertDetails } from '../hotlist/alert';
import { decodeReadPayload } from './read-payload';
import type { StoredRead } from './read-store';
import type { DataClass } from './retention';

export interface RecordRow {
  seq: number;
  id: string;
  data_class: DataClass;
  epoch: number;
  key_id: number;
  first_seen: number;
  last_seen: number;
  confidence: number;
  frame_count: number;
  source_id: string;
  format: string | null;
  bytes: number;
  expires_at: number;
  held: number;
  uploaded: number;
  sealed: Buffer;
}

/** Columns of RecordRow, from `records r JOIN payloads p USING (seq)`. */
export const RECORD_COLUMNS =
  'r.seq, r.id, r.data_class, r.epoch, r.key_id, r.first_seen, r.last_seen, r.confidence, r.frame_count, r.source_id, r.format, r.bytes, r.expires_at, r.held, r.uploaded, p.sealed';
export const RECORD_FROM = 'records r JOIN payloads p ON p.seq = r.seq';

/** Bytes counted per record on top of its sealed payload: the row, its index entries. */
export const ROW_OVERHEAD_BYTES = 256;

/** Bounds on what one read may hold, so one bad read cannot fill the store. */
export const READ_LIMITS = {
  idChars: 128,
  plateChars: 32,
  alternatives: 5,
  cropBytes: 1024 * 1024,
  sourceIdChars: 128,
  formatChars: 64,
  /** An alert's full frame, JPEG. */
  frameBytes: MAX_FRAME_JPEG_BYTES,
} as const;

/** A read as the store takes it: an alert's read carries its details. */
export type Storable = Read & { alert?: AlertDetails };

/** Builds the StoredRead from its row and its opened payload bytes. @throws Error when the payload does not decode. */
export function storedRead(row: RecordRow, payloadBytes: Buffer): StoredRead {
  const payload = decodeReadPayload(payloadBytes);
  return {
    id: row.id,
    plate: payload.plate,
    confidence: row.confidence,
    alternatives: payload.alternatives,
    crop: payload.crop,
    quad: payload.quad,
    firstSeen: row.first_seen,
    lastSeen: row.last_seen,
    frameCount: row.frame_count,
    sourceId: row.source_id,
    format: row.format,
    dataClass: row.data_class,
    uploaded: row.uploaded === 1,
    held: row.held === 1,
    expiresAt: row.expires_at,
    originalPlate: payload.originalPlate ?? null,
    alert: payload.alert ?? null,
  };
}

/** The Read part of a StoredRead (what the pipeline made). */
export function readOf(stored: StoredRead): Read {
  const { id, plate, confidence, alternatives, crop, quad, firstSeen, lastSeen, frameCount, sourceId, format } = stored;
  return { id, plate, confidence, alternatives, crop, quad, firstSeen, lastSeen, frameCount, sourceId, format };
}

export function describeId(id: unknown): string {
  return typeof id === 'string' ? JSON.stringify(id.slice(0, READ_LIMITS.idChars)) : `(id ${typeof id})`;
}

/** A plate as the store accepts it in a correction: A-Z and 0-9. */
export function plateProblem(plate: unknown): string | null {
  if (typeof plate !== 'string' || !/^[A-Z0-9]{1,32}$/.test(plate)) return 'plate must be 1 to 32 characters A-Z and 0-9';
  return null;
}

/** What breaks the Read contract, or null. Checked before anything is written. */
export function readProblem(read: Read): string | null {
  if (read === null || typeof read !== 'object') return 'not a read object';
  const { id, plate, confidence, alternatives, crop, quad, firstSeen, lastSeen, frameCount, sourceId, format } = read;
  if (typeof id !== 'string' || id.length === 0 || id.length > READ_LIMITS.idChars) return `id must be 1 to ${READ_LIMITS.idChars} characters`;
  if (typeof plate !== 'string' || plate.length > READ_LIMITS.plateChars) return `plate must be a string of at most ${READ_LIMITS.plateChars} characters`;
  if (!isUnit(confidence)) return `confidence must be a number from 0 to 1 (got ${confidence})`;
  if (!Array.isArray(alternatives) || alternatives.length > READ_LIMITS.alternatives) return `alternatives must be a list of at most ${READ_LIMITS.alternatives}`;
  for (const [i, alt] of alternatives.entries()) {
    if (typeof alt?.plate !== 'string' || alt.plate.length > READ_LIMITS.plateChars || !isUnit(alt.confidence)) {
      return `alternatives[${i}] must be {plate: string, confidence: 0..1}`;
    }
  }
  if (!Buffer.isBuffer(crop) || crop.length > READ_LIMITS.cropBytes) return `crop must be a Buffer of at most ${READ_LIMITS.cropBytes} bytes`;
  if (!Array.isArray(quad) || quad.length !== 4 || !quad.every((p) => Number.isFinite(p?.x) && Number.isFinite(p?.y))) {
    return 'quad must be four points with finite x and y';
  }
  if (!Number.isSafeInteger(firstSeen) || firstSeen < 0) return `firstSeen must be ms since the epoch, an integer (got ${firstSeen})`;
  if (!Number.isSafeInteger(lastSeen) || lastSeen < firstSeen) return `lastSeen must be an integer no earlier than firstSeen (got ${lastSeen})`;
  if (!Number.isSafeInteger(frameCount) || frameCount < 1) return `frameCount must be a positive integer (got ${frameCount})`;
  if (typeof sourceId !== 'string' || sourceId.length === 0 || sourceId.length > READ_LIMITS.sourceIdChars) {
    return `sourceId must be 1 to ${READ_LIMITS.sourceIdChars} characters`;
  }
  if (format !== null && (typeof format !== 'string' || format.length > READ_LIMITS.formatChars)) {
    return `format must be null or a string of at most ${READ_LIMITS.formatChars} characters`;
  }
  return null;
}

/** What breaks an alert's details, or null. */
export function alertProblem(details: AlertDetails): string | null {
  if (details === null || typeof details !== 'object') return 'details are not an object';
  const frame = details.frame;
  if (frame !== null && (!Buffer.isBuffer(frame?.jpeg) || frame.jpeg.length === 0 || frame.jpeg.length > READ_LIMITS.frameBytes)) {
    return `frame must be null or a JPEG of 1 to ${READ_LIMITS.frameBytes} bytes`;
  }
  const checked = alertRecordSchema.safeParse(alertRecordOf(details));
  if (!checked.success) {
    const issue = checked.error.issues[0];
    return `details: ${issue.path.join('.') || '(details)'}: ${issue.message}`;
  }
  return null;
}

function isUnit(n: unknown): boolean {
  return typeof n === 'number' && n >= 0 && n <= 1;
}
