/** The key-encryption key's check value, as the store records it (store_meta 'kek_check'). */
import { timingSafeEqual } from 'node:crypto';
import type { Database } from 'sqlite3';
import { get } from './sqlite-async';

export async function storedCheckValue(db: Database): Promise<Buffer | null> {
  const row = await get<{ value: unknown }>(db, "SELECT value FROM store_meta WHERE name = 'kek_check'");
  return row !== undefined && Buffer.isBuffer(row.value) ? row.value : null;
}

export function checkValuesEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
