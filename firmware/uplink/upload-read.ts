/** A stored read as it travels to central (protocol's UploadRead), checked before it is sent. */
import { alertRecordOf, type AlertDetails } from '../hotlist/alert';
import type { StoredRead } from '../store/read-store';
import { LIMITS, uploadReadSchema, type UploadAlert, type UploadRead } from './protocol';

export type Conversion = { ok: true; read: UploadRead; bytes: number } | { ok: false; reason: string };

/**
 * The protocol form of a stored read, with its encoded size. A read the protocol cannot carry
 * (a plate longer than the protocol's 12 characters, an oversized crop or frame, alert details
 * that break their bounds) is refused here rather than sent: the hub would refuse the whole
 * batch, and the batch would come back forever.
 */
export function toUploadRead(read: StoredRead): Conversion {
  const frame = read.alert?.frame ?? null;
  const candidate: UploadRead = {
    id: read.id,
    dataClass: read.dataClass,
    plate: read.plate,
    confidence: read.confidence,
    alternatives: read.alternatives.map((a) => ({ plate: a.plate, confidence: a.confidence })),
    // Checked below by size: Buffer's base64 is well formed, and the schema's regex over every
    // crop would cost more than the rest of the batch's validation together.
    crop: '',
    quad: [read.quad[0], read.quad[1], read.quad[2], read.quad[3]].map((p) => ({ x: p.x, y: p.y })) as UploadRead['quad'],
    firstSeen: read.firstSeen,
    lastSeen: read.lastSeen,
    frameCount: read.frameCount,
    sourceId: read.sourceId,
    format: read.format,
    held: read.held,
    originalPlate: read.originalPlate,
    // The frame likewise: a one-character stand-in, the real base64 put in after the check.
    alert: read.alert ? uploadAlertOf(read.alert, frame === null ? null : 'AAAA') : null,
  };
  if (read.crop.length > LIMITS.cropBytes) return { ok: false, reason: `crop: ${read.crop.length} bytes, more than the protocol's ${LIMITS.cropBytes}` };
  if (frame !== null && (frame.jpeg.length === 0 || frame.jpeg.length > LIMITS.frameBytes)) {
    return { ok: false, reason: `alert.frameJpeg: ${frame.jpeg.length} bytes, not within the protocol's 1 to ${LIMITS.frameBytes}` };
  }
  const checked = uploadReadSchema.safeParse(candidate);
  if (!checked.success) {
    const reason = checked.error.issues
      .slice(0, 3)
      .map((issue) => `${issue.path.join('.') || '(read)'}: ${issue.message}`)
      .join('; ');
    return { ok: false, reason };
  }
  const alert = checked.data.alert;
  const uploadRead: UploadRead = {
    ...checked.data,
    crop: read.crop.toString('base64'),
    alert: alert === null ? null : { ...alert, frameJpeg: frame === null ? null : frame.jpeg.toString('base64') },
  };
  return { ok: true, read: uploadRead, bytes: encodedBoundBytes(uploadRead) };
}

/** The alert's protocol form: its record (alert.ts) and the frame's base64. */
function uploadAlertOf(details: AlertDetails, frameJpeg: string | null): UploadAlert {
  return { ...alertRecordOf(details), frameJpeg };
}

/**
 * An upper bound of the read's JSON size, without encoding it twice: the crop's and frame's
 * base64 plus the other fields, each bounded by the schema (ten alternatives, 128-character ids,
 * a quad); the alert record, a few kB, is measured exactly.
 */
export function encodedBoundBytes(read: UploadRead): number {
  let bytes = read.crop.length + (read.id.length + read.sourceId.length) * 6 + (read.format?.length ?? 0) * 6 + 2048;
  if (read.alert !== null) {
    const { frameJpeg, ...record } = read.alert;
    bytes += (frameJpeg?.length ?? 0) + Buffer.byteLength(JSON.stringify(record)) + 64;
  }
  return bytes;
}
