/** The devices the hub knows: when seen, whether connected now, what they sent. */
import type { HubTables, Sql } from './hub-database';

export interface DeviceRow {
  deviceId: string;
  firstSeenAt: number;
  enrolledAt: number | null;
  /** As the hub last recorded it; a hub that was killed leaves this set until it starts again. */
  connected: boolean;
  lastConnectedAt: number | null;
  lastDisconnectedAt: number | null;
  lastAddress: string | null;
  reads: number;
  alerts: number;
  duplicates: number;
  lastReadAt: number | null;
  /** The newest unrevoked certificate's expiry; null when every certificate is revoked. */
  certificateNotAfter: number | null;
  revokedCertificates: number;
  lastHealthAt: number | null;
}

export async function ensureDevice(sql: Sql, deviceId: string, now: number): Promise<void> {
  await sql.run('INSERT OR IGNORE INTO devices (device_id, first_seen_at) VALUES (?, ?)', [deviceId, now]);
}

export async function markEnrolled(sql: Sql, deviceId: string, now: number): Promise<void> {
  await ensureDevice(sql, deviceId, now);
  await sql.run('UPDATE devices SET enrolled_at = ? WHERE device_id = ?', [now, deviceId]);
}

export async function markConnected(sql: Sql, deviceId: string, address: string | null, now: number): Promise<void> {
  await ensureDevice(sql, deviceId, now);
  await sql.run('UPDATE devices SET connected = 1, last_connected_at = ?, last_address = ? WHERE device_id = ?', [now, address, deviceId]);
}

export async function markDisconnected(sql: Sql, deviceId: string, now: number): Promise<void> {
  await sql.run('UPDATE devices SET connected = 0, last_disconnected_at = ? WHERE device_id = ?', [now, deviceId]);
}

/** At start: no device is connected to a hub that has just started. */
export async function resetConnected(sql: Sql): Promise<void> {
  await sql.run('UPDATE devices SET connected = 0 WHERE connected = 1');
}

export async function deviceExists(db: HubTables, deviceId: string): Promise<boolean> {
  return (await db.read((sql) => sql.get('SELECT 1 AS one FROM devices WHERE device_id = ?', [deviceId]))) !== undefined;
}

interface Raw {
  device_id: string;
  first_seen_at: number;
  enrolled_at: number | null;
  connected: number;
  last_connected_at: number | null;
  last_disconnected_at: number | null;
  last_address: string | null;
  reads: number;
  alerts: number;
  duplicates: number;
  last_read_at: number | null;
  cert_not_after: number | null;
  revoked: number;
  last_health_at: number | null;
}

export async function listDevices(db: HubTables): Promise<DeviceRow[]> {
  const rows = await db.read((sql) =>
    sql.all<Raw>(`SELECT d.*,
        (SELECT max(not_after) FROM certificates c WHERE c.device_id = d.device_id AND c.revoked_at IS NULL) AS cert_not_after,
        (SELECT count(*) FROM certificates c WHERE c.device_id = d.device_id AND c.revoked_at IS NOT NULL) AS revoked,
        (SELECT max(received_at) FROM health h WHERE h.device_id = d.device_id) AS last_health_at
      FROM devices d ORDER BY d.device_id`),
  );
  return rows.map((r) => ({
    deviceId: r.device_id,
    firstSeenAt: r.first_seen_at,
    enrolledAt: r.enrolled_at,
    connected: r.connected === 1,
    lastConnectedAt: r.last_connected_at,
    lastDisconnectedAt: r.last_disconnected_at,
    lastAddress: r.last_address,
    reads: r.reads,
    alerts: r.alerts,
    duplicates: r.duplicates,
    lastReadAt: r.last_read_at,
    certificateNotAfter: r.cert_not_after,
    revokedCertificates: r.revoked,
    lastHealthAt: r.last_health_at,
  }));
}
