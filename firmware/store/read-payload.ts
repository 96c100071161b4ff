/**
 * The sensitive part of a read (plate text, alternatives, quad, crop, and for an alert its
 * details and full frame) as one byte string, the unit a RecordCodec seals.
 *   v1 (reads): u8 1 | u32 BE length of the JSON part | JSON {plate, alternatives, quad, originalPlate?} | crop bytes
 *   v2 (alerts): u8 2 | u32 BE length of the JSON part | JSON {..., cropBytes, alert} | crop bytes | frame JPEG bytes
 * Images travel as raw bytes after the JSON, not base64 inside it. `originalPlate` is present
 * once a read was corrected: what the recognizer read, kept sealed beside the correction.
 */
import type { Quad } from '../../drivers/camera/geometry';
import type { Read, ReadAlternative } from '../pipeline/read';
import { alertDetailsOf, alertRecordOf, alertRecordSchema, type AlertDetails, type AlertRecord } from '../hotlist/alert';

export type ReadPayload = Pick<Read, 'plate' | 'alternatives' | 'quad' | 'crop'> & { originalPlate?: string; alert?: AlertDetails };

const LAYOUT_V1 = 1;
const LAYOUT_V2 = 2;
const HEADER_BYTES = 1 + 4;

interface JsonPart {
  plate: string;
  alternatives: ReadAlternative[];
  quad: Quad;
  originalPlate?: string;
  /** v2: where the crop ends and the frame begins. */
  cropBytes?: number;
  alert?: AlertRecord;
}

export function encodeReadPayload(read: ReadPayload): Buffer {
  const json: JsonPart = {
    plate: read.plate,
    alternatives: read.alternatives.map((a) => ({ plate: a.plate, confidence: a.confidence })),
    quad: read.quad.map((p) => ({ x: p.x, y: p.y })) as Quad,
  };
  if (read.originalPlate !== undefined) json.originalPlate = read.originalPlate;
  const parts = [read.crop];
  if (read.alert !== undefined) {
    json.cropBytes = read.crop.length;
    json.alert = alertRecordOf(read.alert);
    if (read.alert.frame !== null) parts.push(read.alert.frame.jpeg);
  }
  const jsonBytes = Buffer.from(JSON.stringify(json), 'utf8');
  const header = Buffer.allocUnsafe(HEADER_BYTES);
  header[0] = read.alert === undefined ? LAYOUT_V1 : LAYOUT_V2;
  header.writeUInt32BE(jsonBytes.length, 1);
  return Buffer.concat([header, jsonBytes, ...parts]);
}

/** @throws Error saying what is wrong with the bytes; the store adds which record it was. */
export function decodeReadPayload(bytes: Buffer): ReadPayload {
  if (bytes.length < HEADER_BYTES) throw new Error(`payload is ${bytes.length} bytes, shorter than its header`);
  const layout = bytes[0];
  if (layout !== LAYOUT_V1 && layout !== LAYOUT_V2) throw new Error(`payload layout ${layout} is unknown (this build reads ${LAYOUT_V1} and ${LAYOUT_V2})`);
  const jsonLength = bytes.readUInt32BE(1);
  if (jsonLength > bytes.length - HEADER_BYTES) {
    throw new Error(`payload says its JSON part is ${jsonLength} bytes but only ${bytes.length - HEADER_BYTES} follow`);
  }
  let json: unknown;
  try {
    json = JSON.parse(bytes.subarray(HEADER_BYTES, HEADER_BYTES + jsonLength).toString('utf8'));
  } catch (err) {
    throw new Error(`payload JSON part does not parse: ${(err as Error).message}`);
  }
  const { plate, alternatives, quad, originalPlate, cropBytes, alert } = checkJsonPart(json, layout);
  const images = bytes.subarray(HEADER_BYTES + jsonLength);
  const cropEnd = layout === LAYOUT_V2 ? cropBytes! : images.length;
  if (cropEnd > images.length) throw new Error(`payload says its crop is ${cropEnd} bytes but only ${images.length} follow the JSON part`);
  const payload: ReadPayload = { plate, alternatives, quad, crop: Buffer.from(images.subarray(0, cropEnd)) };
  if (originalPlate !== undefined) payload.originalPlate = originalPlate;
  if (alert !== undefined) {
    const frame = images.subarray(cropEnd);
    if (alert.frame !== null && frame.length === 0) throw new Error('payload alert says it has a frame but no frame bytes follow the crop');
    payload.alert = alertDetailsOf(alert, alert.frame === null ? null : Buffer.from(frame));
  }
  return payload;
}

function checkJsonPart(json: unknown, layout: number): JsonPart {
  const obj = json as Partial<Record<keyof JsonPart, unknown>> | null;
  if (obj === null || typeof obj !== 'object') throw new Error('payload JSON part is not an object');
  if (typeof obj.plate !== 'string') throw new Error('payload has no plate text');
  if (!Array.isArray(obj.alternatives) || !obj.alternatives.every(isAlternative)) {
    throw new Error('payload alternatives are not a list of {plate, confidence}');
  }
  if (!Array.isArray(obj.quad) || obj.quad.length !== 4 || !obj.quad.every(isPoint)) {
    throw new Error('payload quad is not four {x, y} points');
  }
  if (obj.originalPlate !== undefined && typeof obj.originalPlate !== 'string') throw new Error('payload originalPlate is not text');
  const part: JsonPart = { plate: obj.plate, alternatives: obj.alternatives, quad: obj.quad as Quad, originalPlate: obj.originalPlate };
  if (layout === LAYOUT_V2) {
    if (!Number.isSafeInteger(obj.cropBytes) || (obj.cropBytes as number) < 0) throw new Error('payload cropBytes is not a byte count');
    const alert = alertRecordSchema.safeParse(obj.alert);
    if (!alert.success) {
      const issue = alert.error.issues[0];
      throw new Error(`payload alert is malformed: ${issue.path.join('.') || '(alert)'}: ${issue.message}`);
    }
    part.cropBytes = obj.cropBytes as number;
    part.alert = alert.data;
  }
  return part;
}

function isAlternative(a: unknown): a is ReadAlternative {
  const alt = a as Partial<ReadAlternative> | null;
  return alt !== null && typeof alt === 'object' && typeof alt.plate === 'string' && typeof alt.confidence === 'number';
}

function isPoint(p: unknown): boolean {
  const pt = p as { x?: unknown; y?: unknown } | null;
  return pt !== null && typeof pt === 'object' && typeof pt.x === 'number' && typeof pt.y === 'number';
}
