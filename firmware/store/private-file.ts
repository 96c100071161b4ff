import { fchmodSync, fstatSync } from 'node:fs';

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
