import { closeSync, fchmodSync, fstatSync, mkdirSync, openSync } from 'node:fs';

/**
 * Makes an open file 0600 if others could read or write it. Returns its mode before (octal
 * text) when it had to change it, for the caller to log; null when it was private already.
 */
export function makePrivate(fd: number): string | null {
  const mode = fstatSync(fd).mode & 0o777;
  if ((mode & 0o077) === 0) return null;
  fchmodSync(fd, 0o600);
  return mode.toString(8);
}

/**
 * The directory 0700 and the file 0600, made before SQLite touches them (SQLite gives its -wal
 * and -shm files the database file's mode). An existing file others could read is made 0600; its
 * mode before is returned for the caller to log (null when it was private already).
 * @throws Error saying which step failed on which path
 */
export function createPrivateFile(dir: string, file: string): string | null {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw new Error(`cannot create the directory ${dir}: ${(err as Error).message}`);
  }
  let fd: number;
  try {
    fd = openSync(file, 'a', 0o600);
  } catch (err) {
    throw new Error(`cannot create ${file}: ${(err as Error).message}`);
  }
  try {
    return makePrivate(fd);
  } catch (err) {
    throw new Error(`cannot make ${file} private (0600): ${(err as Error).message}`);
  } finally {
    closeSync(fd);
  }
}
