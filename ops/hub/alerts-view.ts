/**
 * Alerts as the hub shows them: each with its read (plate, confidence, crop size), the matches,
 * advisory and frame size; the images themselves fetched one alert at a time (alertImages).
 */
import { alertRecordSchema, type AlertRecord } from '../../firmware/hotlist/alert';
import type { HubTables } from './hub-database';

export interface HubAlertRow {
  deviceId: string;
  readId: string;
  raisedAt: number;
  receivedAt: number;
  plate: string;
  confidence: number;
  firstSeen: number;
  sourceId: string;
  /** The alert record as the device sent it: matches, advisory, frame size, frameMissing. */
  alert: AlertRecord;
  cropBytes: number;
  /** Bytes of the full-frame JPEG; 0 when the device could not keep it. */
  frameBytes: number;
}

export interface ListAlertsOptions {
  device?: string;
  /** Newest first, at most this many (default 50). */
  limit?: number;
}

interface AlertSqlRow {
  device_id: string;
  read_id: string;
  raised_at: number;
  received_at: number;
  record: string;
  frame_bytes: number | null;
  plate: string;
  confidence: number;
  first_seen: number;
  source_id: string;
  crop_bytes: number;
}

export async function listAlerts(db: HubTables, options: ListAlertsOptions = {}): Promise<HubAlertRow[]> {
  const params: (string | number)[] = [];
  let where = '';
  if (options.device !== undefined) {
    where = 'WHERE a.device_id = ?';
    params.push(options.device);
  }
  params.push(options.limit ?? 50);
  const rows = await db.read((sql) =>
    sql.all<AlertSqlRow>(
      `SELECT a.device_id, a.read_id, a.raised_at, a.received_at, a.record, length(a.frame) AS frame_bytes,
              r.plate, r.confidence, r.first_seen, r.source_id, length(r.crop) AS crop_bytes
       FROM alerts a JOIN reads r ON r.device_id = a.device_id AND r.read_id = a.read_id
       ${where} ORDER BY a.raised_at DESC, a.received_at DESC LIMIT ?`,
      params,
    ),
  );
  return rows.map((r) => ({
    deviceId: r.device_id,
    readId: r.read_id,
    raisedAt: r.raised_at,
    receivedAt: r.received_at,
    plate: r.plate,
    confidence: r.confidence,
    firstSeen: r.first_seen,
    sourceId: r.source_id,
    alert: parseRecord(r),
    cropBytes: r.crop_bytes,
    frameBytes: r.frame_bytes ?? 0,
  }));
}

/** The plate crop and full frame of one alert (frame null when the device had none); null when there is no such alert. */
export async function alertImages(db: HubTables, deviceId: string, readId: string): Promise<{ crop: Buffer; frame: Buffer | null } | null> {
  const row = await db.read((sql) =>
    sql.get<{ crop: Buffer; frame: Buffer | null }>(
      `SELECT r.crop, a.frame FROM alerts a JOIN reads r ON r.device_id = a.device_id AND r.read_id = a.read_id WHERE a.device_id = ? AND a.read_id = ?`,
      [deviceId, readId],
    ),
  );
  return row === undefined ? null : { crop: row.crop, frame: row.frame };
}

/** Checked again on the way out: the row was written by this hub, but a damaged one must say so, not print garbage. */
function parseRecord(row: AlertSqlRow): AlertRecord {
  try {
    return alertRecordSchema.parse(JSON.parse(row.record));
  } catch (err) {
    throw new Error(`alert ${row.read_id} of ${row.device_id} in the hub database is damaged: ${(err as Error).message.slice(0, 300)}`);
  }
}
