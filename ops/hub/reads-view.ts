/** Reads as the hub shows them: every field but the crop (its size only). */
import type { HubTables } from './hub-database';

export interface HubReadRow {
  seq: number;
  deviceId: string;
  readId: string;
  dataClass: 'read' | 'hit';
  lane: 'alert' | 'backlog';
  batchId: string;
  plate: string;
  confidence: number;
  firstSeen: number;
  lastSeen: number;
  frameCount: number;
  sourceId: string;
  format: string | null;
  held: boolean;
  originalPlate: string | null;
  cropBytes: number;
  receivedAt: number;
}

export interface ListReadsOptions {
  device?: string;
  /** Hotlist hits only. */
  alerts?: boolean;
  /** Newest first, at most this many (default 50). */
  limit?: number;
}

export async function listReads(db: HubTables, options: ListReadsOptions = {}): Promise<HubReadRow[]> {
  const where: string[] = [];
  const params: (string | number)[] = [];
  if (options.device !== undefined) {
    where.push('device_id = ?');
    params.push(options.device);
  }
  if (options.alerts) where.push("data_class = 'hit'");
  params.push(options.limit ?? 50);
  const rows = await db.read((sql) =>
    sql.all<{
      seq: number; device_id: string; read_id: string; data_class: 'read' | 'hit'; lane: 'alert' | 'backlog'; batch_id: string; plate: string; confidence: number;
      first_seen: number; last_seen: number; frame_count: number; source_id: string; format: string | null; held: number; original_plate: string | null; crop_bytes: number; received_at: number;
    }>(
      `SELECT seq, device_id, read_id, data_class, lane, batch_id, plate, confidence, first_seen, last_seen, frame_count, source_id, format, held,
              original_plate, length(crop) AS crop_bytes, received_at
       FROM reads ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq DESC LIMIT ?`,
      params,
    ),
  );
  return rows.map((r) => ({
    seq: r.seq,
    deviceId: r.device_id,
    readId: r.read_id,
    dataClass: r.data_class,
    lane: r.lane,
    batchId: r.batch_id,
    plate: r.plate,
    confidence: r.confidence,
    firstSeen: r.first_seen,
    lastSeen: r.last_seen,
    frameCount: r.frame_count,
    sourceId: r.source_id,
    format: r.format,
    held: r.held === 1,
    originalPlate: r.original_plate,
    cropBytes: r.crop_bytes,
    receivedAt: r.received_at,
  }));
}
