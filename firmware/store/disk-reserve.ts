/**
 * A file of zeros kept beside the database, given up when the disk fills. SQLite in WAL mode
 * cannot even delete on a full disk: the checkpoint that would reuse the log must grow the
 * database first. Releasing the reserve gives the checkpoint and the eviction that follows room
 * to run. It is laid down again only where the file system has twice its size free, so the
 * space it takes never starves the log it was released for.
 */
import { closeSync, fsyncSync, openSync, rmSync, statfsSync, statSync, writeSync } from 'node:fs';
import * as path from 'node:path';
import type { Logger } from '../../drivers/log';

const CHUNK = Buffer.alloc(1024 * 1024);

export class DiskReserve {
  constructor(
    readonly file: string,
    readonly bytes: number,
    private readonly log: Logger,
  ) {}

  /** Whether the reserve is in place at its full size. */
  get present(): boolean {
    try {
      return statSync(this.file).size >= this.bytes;
    } catch {
      return false;
    }
  }

  /** Lays the reserve down (if absent) where the disk has room for it twice over. Returns whether it is in place. */
  ensure(): boolean {
    if (this.bytes === 0 || this.present) return true;
    try {
      const fs = statfsSync(path.dirname(this.file));
      if (fs.bavail * fs.bsize < 2 * this.bytes) return false;
    } catch {
      return false;
    }
    let fd: number | undefined;
    try {
      fd = openSync(this.file, 'w', 0o600);
      for (let written = 0; written < this.bytes; ) {
        const n = Math.min(CHUNK.length, this.bytes - written);
        written += writeSync(fd, CHUNK, 0, n);
      }
      fsyncSync(fd);
      return true;
    } catch (err) {
      if (fd !== undefined) closeSync(fd);
      fd = undefined;
      rmSync(this.file, { force: true });
      this.log.warn({ file: this.file, bytes: this.bytes, err: (err as Error).message }, 'no room for the disk reserve');
      return false;
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  }

  /** Gives the reserve's space back to the file system. Returns whether there was one. */
  release(): boolean {
    const had = this.present;
    rmSync(this.file, { force: true });
    return had;
  }
}
