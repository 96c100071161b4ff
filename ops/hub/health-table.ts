/** Devices' health reports as the hub received them (validated against healthReportSchema). */
import type { HealthReport } from '../../firmware/health/health-report';
import type { HubTables, Sql } from './hub-database';

export interface HealthRow {
  deviceId: string;
  receivedAt: number;
  commandId: string | null;
  report: HealthReport;
}

/** Reports older than this are pruned at each scheduled pull; the last one per device is kept regardless. */
export const HEALTH_RETENTION_MS = 7 * 86_400_000;

export async function storeHealth(sql: Sql, deviceId: string, commandId: string | null, report: HealthReport, now: number): Promise<void> {
  await sql.run('INSERT INTO health (device_id, received_at, command_id, report) VALUES (?, ?, ?, ?)', [deviceId, now, commandId, JSON.stringify(report)]);
}

/** The last report of each device (or of one device). */
export async function lastHealth(db: HubTables, deviceId?: string): Promise<HealthRow[]> {
  const where = deviceId === undefined ? '' : 'WHERE device_id = ?';
  const rows = await db.read((sql) =>
    sql.all<{ device_id: string; received_at: number; command_id: string | null; report: string }>(
      `SELECT h.device_id, h.received_at, h.command_id, h.report FROM health h
       JOIN (SELECT max(seq) AS seq FROM health ${where} GROUP BY device_id) last ON last.seq = h.seq
       ORDER BY h.device_id`,
      deviceId === undefined ? [] : [deviceId],
    ),
  );
  return rows.map((r) => ({ deviceId: r.device_id, receivedAt: r.received_at, commandId: r.command_id, report: JSON.parse(r.report) as HealthReport }));
}

/** Deletes reports older than `before`, except each device's last. */
export async function pruneHealth(sql: Sql, before: number): Promise<number> {
  const { changes } = await sql.run('DELETE FROM health WHERE received_at < ? AND seq NOT IN (SELECT max(seq) FROM health GROUP BY device_id)', [before]);
  return changes;
}
