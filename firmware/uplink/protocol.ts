/**
 * The uplink protocol between an appliance and the central hub: one definition, imported by both
 * sides (firmware/uplink and ops/hub), never re-declared.
 *
 * Transport: one WebSocket over mutual TLS, subprotocol `sightline.v1`; every message is one
 * JSON text frame `{ "v": 1, "type": ..., ... }`. Binary frames are refused. A message that does
 * not parse, names an unknown type or breaks its schema is answered with an `error` message
 * (`ref` = the id it carried, when one could be found) and logged; the connection stays up.
 *
 * Device to hub:
 *   reads   a batch of reads, ids included; lane `alert` (hotlist hits) or `backlog`. A hit
 *           stored as an alert carries `alert`: its matches, advisory and full frame (base64).
 *   reply   the answer to a command, ok with a result or refused with a code and a reason.
 *   renew   a CSR for a new certificate, over the existing connection.
 *   error   the device refused a hub message.
 * Hub to device:
 *   welcome sent once the hub accepted the device's certificate (and it is not revoked).
 *   ack     the ids of a batch the hub has committed durably; the device marks them uploaded.
 *   command a request with an id: health, hold, release, delete, correct, hotlist.
 *   renewed the new certificate for a `renew`.
 *   error   the hub refused a device message.
 */
import { z } from 'zod';
import type { HealthReport } from '../health/health-report';
import { healthReportSchema } from '../health/health-report';
import { alertRecordSchema, MAX_FRAME_JPEG_BYTES } from '../hotlist/alert';

export const PROTOCOL_VERSION = 1;
/** The WebSocket subprotocol both sides insist on: a peer speaking another version is refused at the handshake. */
export const SUBPROTOCOL = `sightline.v${PROTOCOL_VERSION}`;

/** Bounds every message obeys; `maxPayload` on both sides is MAX_MESSAGE_BYTES. */
export const LIMITS = {
  /** Reads in one `reads` batch. */
  batchReads: 500,
  /** A read's crop, bytes (before base64). */
  cropBytes: 256 * 1024,
  /** An alert's full frame, bytes (before base64): what the store keeps. */
  frameBytes: MAX_FRAME_JPEG_BYTES,
  /**
   * One WebSocket message, bytes: a full batch of maximal crops fits, base64 included. Alerts with
   * frames do not all fit: the sender bounds each batch by its encoded bytes too.
   */
  messageBytes: 64 * 1024 * 1024,
  /** Ids, case numbers, reasons, names. */
  idChars: 128,
  textChars: 500,
  /** A pushed hotlist, bytes of its JSON. */
  hotlistBytes: 32 * 1024 * 1024,
} as const;
export const MAX_MESSAGE_BYTES = LIMITS.messageBytes;

const id = z.string().min(1).max(LIMITS.idChars);
const text = z.string().min(1).max(LIMITS.textChars);
const plate = z.string().regex(/^[A-Z0-9]{1,12}$/, { error: 'must be 1 to 12 characters A-Z, 0-9' });
const timeMs = z.number().int().min(0).max(8.64e15);
const unit = z.number().min(0).max(1);
/** Base64 alphabet, padding only at the end. One negated class: 3.5x faster than an anchored pattern on 27 KB crops, which the hub checks 2,000 times a second. */
function isBase64(s: string): boolean {
  if (/[^A-Za-z0-9+/=]/.test(s)) return false;
  const pad = s.indexOf('=');
  return pad === -1 || (pad >= s.length - 2 && /^=+$/.test(s.slice(pad)));
}
/** Bytes a base64 text (already checked by isBase64) decodes to, without decoding it. */
export function base64Bytes(s: string): number {
  const pad = s.endsWith('==') ? 2 : s.endsWith('=') ? 1 : 0;
  return Math.floor((s.length * 3) / 4) - pad;
}
const base64 = z.string().max(Math.ceil(LIMITS.cropBytes / 3) * 4).refine(isBase64, { error: 'must be base64' });
/** A frame: base64 of 1 to LIMITS.frameBytes bytes, the size counted without decoding. */
const frameBase64 = z.string().check((ctx) => {
  const s = ctx.value;
  // Length first: the alphabet scan is skipped for a text too long to be a frame at all.
  if (s.length > Math.ceil(LIMITS.frameBytes / 3) * 4) ctx.issues.push({ code: 'custom', input: s, message: `must be base64 of 1 to ${LIMITS.frameBytes} bytes (got about ${Math.floor((s.length * 3) / 4)})` });
  else if (!isBase64(s)) ctx.issues.push({ code: 'custom', input: s, message: 'must be base64' });
  else if (s.length === 0 || base64Bytes(s) > LIMITS.frameBytes) ctx.issues.push({ code: 'custom', input: s, message: `must be base64 of 1 to ${LIMITS.frameBytes} bytes (got ${base64Bytes(s)})` });
});
const point = z.strictObject({ x: z.number(), y: z.number() });

/**
 * An alert as it travels with its read: the store's alert record (alert.ts, shared so the two
 * cannot drift) and the full frame's JPEG as base64, present exactly when the record has a frame.
 */
export const uploadAlertSchema = alertRecordSchema
  .extend({
    /** JPEG, base64; null when the device could not keep the frame (the record's frameMissing says why). */
    frameJpeg: frameBase64.nullable(),
  })
  .refine((a) => (a.frame === null) === (a.frameJpeg === null), { error: 'frame and frameJpeg must both be present or both be null', path: ['frameJpeg'] });
export type UploadAlert = z.infer<typeof uploadAlertSchema>;

/** A read as it travels to central: the store's read with its class and state; the crop as base64. */
export const uploadReadSchema = z.strictObject({
  id,
  dataClass: z.enum(['read', 'hit']),
  plate,
  confidence: unit,
  alternatives: z.array(z.strictObject({ plate, confidence: unit })).max(10),
  /** JPEG, base64. */
  crop: base64,
  quad: z.tuple([point, point, point, point]),
  firstSeen: timeMs,
  lastSeen: timeMs,
  frameCount: z.number().int().min(0).max(1e7),
  sourceId: z.string().max(LIMITS.idChars),
  format: z.string().max(LIMITS.idChars).nullable(),
  held: z.boolean(),
  /** The recognizer's reading when the read was corrected on the device; null otherwise. */
  originalPlate: plate.nullable(),
  /**
   * The alert details of a hit stored as an alert; null for plain reads, and for a bare hit
   * stored without details. Absent is read as null (a device from before alerts carried them).
   */
  alert: uploadAlertSchema.nullable().default(null),
}).refine((r) => r.alert === null || r.dataClass === 'hit', { error: 'only a hit (dataClass "hit") carries an alert', path: ['alert'] });
export type UploadRead = z.infer<typeof uploadReadSchema>;

export const LANES = ['alert', 'backlog'] as const;
export type Lane = (typeof LANES)[number];

const hotlistPush = z.strictObject({
  name: z.literal('hotlist'),
  /** The list's name ("CA-SVS", "county-bolo"). */
  list: id,
  /** The signed snapshot as central sent it; verified and parsed by firmware/hotlist. */
  snapshot: z.string().min(1).max(LIMITS.hotlistBytes),
  /** Detached signature of `snapshot`, base64; checked where a hotlist verifier is configured. */
  signature: z.string().max(4096).nullable(),
});

/** What central may ask of a device. Each is answered by a `reply` with the same id. */
export const commandSchema = z.discriminatedUnion('name', [
  z.strictObject({ name: z.literal('health') }),
  z.strictObject({ name: z.literal('hold'), readId: id, caseNumber: z.string().min(1).max(64), reason: text, by: id }),
  z.strictObject({ name: z.literal('release'), readId: id, by: id }),
  z.strictObject({ name: z.literal('delete'), readId: id, reason: text, by: id }),
  z.strictObject({ name: z.literal('correct'), readId: id, plate, reason: text, by: id }),
  hotlistPush,
]);
export type Command = z.infer<typeof commandSchema>;
export type CommandName = Command['name'];

/** Why a command or message was refused: stable codes, and a sentence for people. */
export const REFUSAL_CODES = [
  /** The message does not parse as JSON, or is not an object with v and type. */
  'MALFORMED',
  /** Another protocol version. */
  'UNSUPPORTED_VERSION',
  /** A type this side does not accept. */
  'UNKNOWN_TYPE',
  /** The message's fields break the schema (named in the reason). */
  'INVALID',
  /** A binary frame. */
  'BINARY_REFUSED',
  /** The command names a read the device does not hold. */
  'NOT_FOUND',
  /** The command is well formed but refused (deleting a held read, a bad signature, ...). */
  'REFUSED',
  /** The command failed on the device (disk full, I/O error). */
  'FAILED',
  /** An ack of a batch that is not in flight (replayed or forged): ignored. */
  'UNEXPECTED_ACK',
] as const;
export type RefusalCode = (typeof REFUSAL_CODES)[number];

const refusal = z.strictObject({ code: z.enum(REFUSAL_CODES), message: z.string().max(2000) });

const envelope = { v: z.literal(PROTOCOL_VERSION) };

export const deviceMessageSchema = z.discriminatedUnion('type', [
  z.strictObject({ ...envelope, type: z.literal('reads'), batch: id, lane: z.enum(LANES), reads: z.array(uploadReadSchema).min(1).max(LIMITS.batchReads) }),
  // Both reply forms share type 'reply': a nested union on `ok` (two options with the same
  // discriminator value in one union make zod throw at the first parse).
  z.discriminatedUnion('ok', [
    z.strictObject({ ...envelope, type: z.literal('reply'), id, ok: z.literal(true), result: z.unknown() }),
    z.strictObject({ ...envelope, type: z.literal('reply'), id, ok: z.literal(false), error: refusal }),
  ]),
  z.strictObject({ ...envelope, type: z.literal('renew'), id, csr: z.string().min(1).max(16 * 1024) }),
  z.strictObject({ ...envelope, type: z.literal('error'), ref: id.nullable(), error: refusal }),
]);
export type DeviceMessage = z.infer<typeof deviceMessageSchema>;

export const hubMessageSchema = z.discriminatedUnion('type', [
  z.strictObject({ ...envelope, type: z.literal('welcome'), deviceId: id, time: timeMs, certificateNotAfter: timeMs }),
  z.strictObject({ ...envelope, type: z.literal('ack'), batch: id, ids: z.array(id).max(LIMITS.batchReads) }),
  z.strictObject({ ...envelope, type: z.literal('command'), id, command: commandSchema }),
  z.strictObject({ ...envelope, type: z.literal('renewed'), id, certificate: z.string().min(1).max(16 * 1024) }),
  z.strictObject({ ...envelope, type: z.literal('error'), ref: id.nullable(), error: refusal }),
]);
export type HubMessage = z.infer<typeof hubMessageSchema>;

/** Results of the commands that return something (the others return `{ done: true }`). */
export interface CommandResults {
  health: HealthReport;
  hold: { done: true };
  release: { done: true };
  delete: { done: true };
  correct: { done: true };
  hotlist: { stored: true; entries: number | null; verified: boolean };
}
export { healthReportSchema };

/** Distributes Omit over a union, so each variant keeps its own fields. */
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
export type DeviceMessageBody = DistributiveOmit<DeviceMessage, 'v'>;
export type HubMessageBody = DistributiveOmit<HubMessage, 'v'>;

/** Serializes a message with the protocol version. */
export function encodeMessage(message: DeviceMessageBody | HubMessageBody): string {
  return JSON.stringify({ v: PROTOCOL_VERSION, ...message });
}

export type Parsed<T> = { ok: true; message: T } | { ok: false; ref: string | null; code: RefusalCode; reason: string };

/** Parses what a hub sent; never throws. */
export function parseHubMessage(data: unknown, isBinary: boolean): Parsed<HubMessage> {
  return parseWith(hubMessageSchema, data, isBinary);
}

/** Parses what a device sent; never throws. */
export function parseDeviceMessage(data: unknown, isBinary: boolean): Parsed<DeviceMessage> {
  return parseWith(deviceMessageSchema, data, isBinary);
}

function parseWith<T>(schema: z.ZodType<T>, data: unknown, isBinary: boolean): Parsed<T> {
  if (isBinary) return { ok: false, ref: null, code: 'BINARY_REFUSED', reason: 'binary frames are not part of the protocol; send JSON text' };
  const raw = Buffer.isBuffer(data) ? data.toString('utf8') : Array.isArray(data) ? Buffer.concat(data as Buffer[]).toString('utf8') : String(data);
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (err) {
    return { ok: false, ref: null, code: 'MALFORMED', reason: `not JSON: ${(err as Error).message.slice(0, 200)}` };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, ref: null, code: 'MALFORMED', reason: 'a message must be a JSON object with "v" and "type"' };
  }
  const record = value as Record<string, unknown>;
  const ref = typeof record.id === 'string' ? record.id.slice(0, LIMITS.idChars) : typeof record.batch === 'string' ? record.batch.slice(0, LIMITS.idChars) : null;
  if (record.v !== PROTOCOL_VERSION) {
    return { ok: false, ref, code: 'UNSUPPORTED_VERSION', reason: `protocol version ${JSON.stringify(record.v)} is not supported; this side speaks ${PROTOCOL_VERSION}` };
  }
  const result = schema.safeParse(value);
  if (result.success) return { ok: true, message: result.data };
  const typeIssue = result.error.issues.find((issue) => issue.path.length === 1 && issue.path[0] === 'type');
  if (typeIssue) return { ok: false, ref, code: 'UNKNOWN_TYPE', reason: `unknown message type ${JSON.stringify(record.type)}`.slice(0, 300) };
  return { ok: false, ref, code: 'INVALID', reason: describeIssues(result.error.issues) };
}

function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .slice(0, 5)
    .map((issue) => `${issue.path.length ? issue.path.join('.') : '(message)'}: ${issue.message}`)
    .join('; ')
    .slice(0, 1000);
}
