/**
 * The sensitive part of a read (plate text, alternatives, quad, crop) as one byte string, the
 * unit a RecordCodec seals. Layout v1:
 *   u8 layout version (1) | u32 BE length of the JSON part | JSON {plate, alternatives, quad, originalPlate?} | crop bytes
 * The crop travels as raw bytes after the JSON, not base64 inside it. `originalPlate` is present
 * once a read was corrected: what the recognizer read, kept sealed beside the correction.
 */
import type { Quad } from '../../drivers/camera/geometry';
import type { Read, ReadAlternative } from '../pipeline/read';

export type ReadPayload = Pick<Read, 'plate' | 'alternatives' | 'quad' | 'crop'> & { originalPlate?: string };

const LAYOUT_V1 = 1;
const HEADER_BYTES = 1 + 4;

interface JsonPartV1 {
  plate: string;
  alternatives: ReadAlternative[];
  quad: Quad;
  originalPlate?: string;
}

export function encodeReadPayload(read: ReadPayload): Buffer {
  const json: JsonPartV1 = {
    plate: read.plate,
    alternatives: read.alternatives.map((a) => ({ plate: a.plate, confidence: a.confidence })),
    quad: read.quad.map((p) => ({ x: p.x, y: p.y })) as Quad,
  };
  if (read.originalPlate !== undefined) json.originalPlate = read.originalPlate;
  const jsonBytes = Buffer.from(JSON.stringify(json), 'utf8');
  const header = Buffer.allocUnsafe(HEADER_BYTES);
  header[0] = LAYOUT_V1;
  header.writeUInt32BE(jsonBytes.length, 1);
  return Buffer.concat([header, jsonBytes, read.crop]);
}

/** @throws Error saying what is wrong with the bytes; the store adds which record it was. */
export function decodeReadPayload(bytes: Buffer): ReadPayload {
  if (bytes.length < HEADER_BYTES) throw new Error(`payload is ${bytes.length} bytes, shorter than its header`);
  if (bytes[0] !== LAYOUT_V1) throw new Error(`payload layout ${bytes[0]} is unknown (this build reads ${LAYOUT_V1})`);
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
  const { plate, alternatives, quad, originalPlate } = checkJsonPart(json);
  const payload: ReadPayload = { plate, alternatives, quad, crop: Buffer.from(bytes.subarray(HEADER_BYTES + jsonLength)) };
  if (originalPlate !== undefined) payload.originalPlate = originalPlate;
  return payload;
}

function checkJsonPart(json: unknown): JsonPartV1 {
  const obj = json as Partial<Record<keyof JsonPartV1, unknown>> | null;
  if (obj === null || typeof obj !== 'object') throw new Error('payload JSON part is not an object');
  if (typeof obj.plate !== 'string') throw new Error('payload has no plate text');
  if (!Array.isArray(obj.alternatives) || !obj.alternatives.every(isAlternative)) {
    throw new Error('payload alternatives are not a list of {plate, confidence}');
  }
  if (!Array.isArray(obj.quad) || obj.quad.length !== 4 || !obj.quad.every(isPoint)) {
    throw new Error('payload quad is not four {x, y} points');
  }
  if (obj.originalPlate !== undefined && typeof obj.originalPlate !== 'string') throw new Error('payload originalPlate is not text');
  return { plate: obj.plate, alternatives: obj.alternatives, quad: obj.quad as Quad, originalPlate: obj.originalPlate };
}

function isAlternative(a: unknown): a is ReadAlternative {
  const alt = a as Partial<ReadAlternative> | null;
  return alt !== null && typeof alt === 'object' && typeof alt.plate === 'string' && typeof alt.confidence === 'number';
}

function isPoint(p: unknown): boolean {
  const pt = p as { x?: unknown; y?: unknown } | null;
  return pt !== null && typeof pt === 'object' && typeof pt.x === 'number' && typeof pt.y === 'number';
}
