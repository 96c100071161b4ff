/**
 * Files that are either the old or the new content after a power cut: written to a temporary
 * name in the same directory, fsynced, renamed over the target, and the directory fsynced so the
 * rename itself is durable.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, linkSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import * as path from 'node:path';

export interface FileContent {
  file: string;
  data: string | Buffer;
}

/**
 * Replaces each file atomically, all temporaries written and synced before the first rename, so
 * the window in which only some are replaced is a few renames long. Same directory for all.
 */
export function writeFilesAtomic(files: readonly FileContent[], mode: number): void {
  const written: { temp: string; file: string }[] = [];
  try {
    for (const { file, data } of files) {
      const temp = tempName(file);
      writeSynced(temp, data, mode, 'wx');
      written.push({ temp, file });
    }
    for (const { temp, file } of written) renameSync(temp, file);
  } catch (err) {
    for (const { temp } of written) rmSync(temp, { force: true });
    throw err;
  }
  for (const dir of new Set(files.map((f) => path.dirname(f.file)))) syncDirectory(dir);
}

export function writeFileAtomic(file: string, data: string | Buffer, mode: number): void {
  writeFilesAtomic([{ file, data }], mode);
}

/**
 * writeFileAtomic without blocking the event loop, for large files a running appliance replaces
 * (a hotlist of 100,000 entries): the write and both fsyncs go through libuv's thread pool.
 */
export async function replaceFileAtomic(file: string, data: string | Buffer, mode: number): Promise<void> {
  const temp = tempName(file);
  const handle = await open(temp, 'wx', mode);
  try {
    await handle.writeFile(data);
    await handle.sync();
    await handle.close();
    await rename(temp, file);
  } catch (err) {
    await handle.close().catch(() => undefined);
    await rm(temp, { force: true });
    throw err;
  }
  await syncDirectoryAsync(path.dirname(file));
}

/** Makes a rename or removal in `dir` durable, off the event loop. */
export async function syncDirectoryAsync(dir: string): Promise<void> {
  try {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Some file systems refuse fsync on a directory; the file data itself was fsynced.
  }
}

/**
 * Creates `file` with this content only if it does not exist yet, atomically: the content is
 * written and synced under a temporary name, then hard-linked to the target (link(2) fails with
 * EEXIST rather than replace), so no reader ever sees a half-written file and nothing is overwritten.
 * @throws an error with code EEXIST when the file exists.
 */
export function createFileExclusive(file: string, data: string | Buffer, mode: number): void {
  const temp = tempName(file);
  writeSynced(temp, data, mode, 'wx');
  try {
    linkSync(temp, file);
  } finally {
    rmSync(temp, { force: true });
  }
  syncDirectory(path.dirname(file));
}

function tempName(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
}

function writeSynced(file: string, data: string | Buffer, mode: number, flags: string): void {
  const fd = openSync(file, flags, mode);
  try {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    let offset = 0;
    while (offset < bytes.length) offset += writeSync(fd, bytes, offset, bytes.length - offset);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    rmSync(file, { force: true });
    throw err;
  }
  closeSync(fd);
}

function syncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Some file systems refuse fsync on a directory; the file data itself was fsynced.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
