/**
 * Hotlists pushed by central, kept as received for the hotlist matcher to verify and load:
 * `<dir>/<list>.json` = `{ list, receivedAt, signature, snapshot }`, 0600, replaced atomically
 * (temporary file, fsync, rename, fsync of the directory), written asynchronously so a large
 * list does not stall the event loop.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import * as path from 'node:path';

/** List names become file names: a safe alphabet, no path separators, no leading dot. */
export const HOTLIST_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export interface ReceivedHotlist {
  list: string;
  receivedAt: number;
  signature: string | null;
  snapshot: string;
}

/** The file a list is kept in. @throws when the name is not a safe file name. */
export function hotlistFile(dir: string, list: string): string {
  if (!HOTLIST_NAME_PATTERN.test(list)) {
    throw new RangeError(`hotlist name ${JSON.stringify(list.slice(0, 80))} must be 1 to 128 letters, digits, '.', '_' or '-', starting with a letter or digit`);
  }
  return path.join(dir, `${list}.json`);
}

/** Stores the list atomically; returns the file written. */
export async function saveHotlist(dir: string, hotlist: ReceivedHotlist): Promise<string> {
  const file = hotlistFile(dir, hotlist.list);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const temp = path.join(dir, `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(temp, 'wx', 0o600);
  try {
    await handle.writeFile(JSON.stringify(hotlist), 'utf8');
    await handle.sync();
    await handle.close();
    await rename(temp, file);
  } catch (err) {
    await handle.close().catch(() => undefined);
    await rm(temp, { force: true });
    throw err;
  }
  await syncDirectory(dir);
  return file;
}

async function syncDirectory(dir: string): Promise<void> {
  try {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Some file systems refuse fsync on a directory; the file itself was fsynced.
  }
}
