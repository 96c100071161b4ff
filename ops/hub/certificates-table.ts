/**
 * The revocation list: every device certificate the hub issued (enrollment, renewal) or first saw
 * at a connection, by serial. A certificate with revoked_at set is refused at the handshake, and a
 * device connected with it is closed.
 */
import type { HubTables, Sql } from './hub-database';
import { ensureDevice } from './devices-table';

export interface CertificateRecord {
  serial: string;
  deviceId: string;
  notBefore: number;
  notAfter: number;
  /** When the hub issued it; null for a certificate issued elsewhere and first seen at a connection. */
  issuedAt: number | null;
}

export async function recordCertificate(sql: Sql, cert: CertificateRecord, now: number): Promise<void> {
  await ensureDevice(sql, cert.deviceId, now);
  await sql.run(
    `INSERT OR IGNORE INTO certificates (serial, device_id, not_before, not_after, issued_at, first_seen_at) VALUES (?, ?, ?, ?, ?, ?)`,
    [cert.serial, cert.deviceId, cert.notBefore, cert.notAfter, cert.issuedAt, now],
  );
}

export interface Revocation {
  serial: string;
  deviceId: string;
  revokedAt: number;
  reason: string | null;
}

/** What the hub knows of a serial: unknown (never issued nor seen), valid, or its revocation. */
export async function certificateStatus(db: HubTables, serial: string): Promise<'unknown' | 'valid' | Revocation> {
  const row = await db.read((sql) =>
    sql.get<{ serial: string; device_id: string; revoked_at: number | null; reason: string | null }>('SELECT serial, device_id, revoked_at, reason FROM certificates WHERE serial = ?', [serial]),
  );
  if (row === undefined) return 'unknown';
  return row.revoked_at === null ? 'valid' : { serial: row.serial, deviceId: row.device_id, revokedAt: row.revoked_at, reason: row.reason };
}

/** Revokes every unrevoked certificate of the device (except `keepSerial`); returns the serials. */
export async function revokeDeviceCertificates(sql: Sql, deviceId: string, reason: string, now: number, keepSerial?: string): Promise<string[]> {
  const rows = await sql.all<{ serial: string }>('SELECT serial FROM certificates WHERE device_id = ? AND revoked_at IS NULL AND serial != ?', [deviceId, keepSerial ?? '']);
  await sql.run('UPDATE certificates SET revoked_at = ?, reason = ? WHERE device_id = ? AND revoked_at IS NULL AND serial != ?', [now, reason, deviceId, keepSerial ?? '']);
  return rows.map((r) => r.serial);
}

/** Revocations made at or after `since` (by this process or another: the CLI). */
export async function revokedSince(db: HubTables, since: number): Promise<Revocation[]> {
  const rows = await db.read((sql) =>
    sql.all<{ serial: string; device_id: string; revoked_at: number; reason: string | null }>(
      'SELECT serial, device_id, revoked_at, reason FROM certificates WHERE revoked_at IS NOT NULL AND revoked_at >= ?',
      [since],
    ),
  );
  return rows.map((r) => ({ serial: r.serial, deviceId: r.device_id, revokedAt: r.revoked_at, reason: r.reason }));
}
