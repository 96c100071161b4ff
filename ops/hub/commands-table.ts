/**
 * Commands from central to devices: queued here (by the hub itself or a CLI process), sent by the
 * running hub to the device when it is connected (again after a reconnect until replied), and
 * the reply stored with the command.
 */
import { randomUUID } from 'node:crypto';
import type { Command, CommandName, RefusalCode } from '../../firmware/uplink/protocol';
import type { HubTables, Sql } from './hub-database';

/** A device's answer as stored: ok with a result, or refused with a code and a reason. */
export type StoredReply = { ok: true; result: unknown } | { ok: false; error: { code: RefusalCode; message: string } };

export interface CommandRow {
  id: string;
  deviceId: string;
  name: CommandName;
  by: string;
  createdAt: number;
  sentAt: number | null;
  repliedAt: number | null;
  reply: StoredReply | null;
}

interface Raw {
  id: string;
  device_id: string;
  name: CommandName;
  requested_by: string;
  created_at: number;
  sent_at: number | null;
  replied_at: number | null;
  reply: string | null;
}

/** Every column but the body (a hotlist can be megabytes). */
const COLUMNS = 'id, device_id, name, requested_by, created_at, sent_at, replied_at, reply';

function fromRaw(r: Raw): CommandRow {
  return {
    id: r.id,
    deviceId: r.device_id,
    name: r.name,
    by: r.requested_by,
    createdAt: r.created_at,
    sentAt: r.sent_at,
    repliedAt: r.replied_at,
    reply: r.reply === null ? null : (JSON.parse(r.reply) as StoredReply),
  };
}

/** Queues a command for the device; returns its id. The caller validated it with commandSchema. */
export async function queueCommand(sql: Sql, deviceId: string, command: Command, by: string, now: number): Promise<string> {
  const id = randomUUID();
  await sql.run('INSERT INTO commands (id, device_id, name, body, requested_by, created_at) VALUES (?, ?, ?, ?, ?, ?)', [id, deviceId, command.name, JSON.stringify(command), by, now]);
  return id;
}

/** Queues a health pull unless one for this device is still unanswered; returns its id or null. */
export async function queueHealthPull(sql: Sql, deviceId: string, now: number): Promise<string | null> {
  const open = await sql.get('SELECT 1 AS one FROM commands WHERE device_id = ? AND replied_at IS NULL AND name = ?', [deviceId, 'health']);
  return open ? null : queueCommand(sql, deviceId, { name: 'health' }, 'hub', now);
}

export interface OpenCommand {
  id: string;
  deviceId: string;
  name: CommandName;
}

/** Commands not yet replied, oldest first, without their bodies (a hotlist can be megabytes). */
export async function openCommands(db: HubTables): Promise<OpenCommand[]> {
  const rows = await db.read((sql) => sql.all<{ id: string; device_id: string; name: CommandName }>('SELECT id, device_id, name FROM commands WHERE replied_at IS NULL ORDER BY created_at, rowid'));
  return rows.map((r) => ({ id: r.id, deviceId: r.device_id, name: r.name }));
}

/** The command's body as queued (JSON text), or null when there is no such command. */
export async function commandBody(db: HubTables, id: string): Promise<string | null> {
  return (await db.read((sql) => sql.get<{ body: string }>('SELECT body FROM commands WHERE id = ?', [id])))?.body ?? null;
}

export async function markSent(sql: Sql, ids: readonly string[], now: number): Promise<void> {
  for (const id of ids) await sql.run('UPDATE commands SET sent_at = ? WHERE id = ?', [now, id]);
}

export async function getCommand(db: HubTables, id: string): Promise<CommandRow | null> {
  const row = await db.read((sql) => sql.get<Raw>(`SELECT ${COLUMNS} FROM commands WHERE id = ?`, [id]));
  return row ? fromRaw(row) : null;
}

/** Stores the reply unless the command was answered already; returns whether it stored it. */
export async function storeReply(sql: Sql, id: string, reply: StoredReply, now: number): Promise<boolean> {
  const { changes } = await sql.run('UPDATE commands SET replied_at = ?, reply = ? WHERE id = ? AND replied_at IS NULL', [now, JSON.stringify(reply), id]);
  return changes > 0;
}

export async function listCommands(db: HubTables, deviceId?: string, limit = 50): Promise<CommandRow[]> {
  const rows = await db.read((sql) =>
    deviceId === undefined
      ? sql.all<Raw>(`SELECT ${COLUMNS} FROM commands ORDER BY created_at DESC, rowid DESC LIMIT ?`, [limit])
      : sql.all<Raw>(`SELECT ${COLUMNS} FROM commands WHERE device_id = ? ORDER BY created_at DESC, rowid DESC LIMIT ?`, [deviceId, limit]),
  );
  return rows.map(fromRaw);
}
