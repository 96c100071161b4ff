import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { Logger } from '../log';
import { silentLogger } from '../log';
import { CameraError } from './camera-error';
import type { Frame, FrameSource } from './frame';
import { FramePacer } from './frame-pacer';
import { SerialReads } from './serial-reads';

export const IMAGE_EXTENSIONS: ReadonlySet<string> = new Set(['.jpg', '.jpeg', '.png', '.bmp', '.webp', '.tif', '.tiff']);

/** Larger files are skipped: an image of this size is not a camera frame, and would be held in memory whole. */
export const DEFAULT_MAX_FILE_BYTES = 64 * 1024 * 1024;

export interface FolderSourceOptions {
  id?: string;
  path: string;
  /** Frames per second in wall time; omitted or 0 hands out frames as fast as read() is called. */
  fps?: number;
  /** Start again from the first image after the last (the folder is listed again each pass). */
  loop?: boolean;
  maxFileBytes?: number;
}

// Numeric collation puts frame2 before frame10; a fixed locale keeps the order the same everywhere.
const naturalOrder = new Intl.Collator('en', { numeric: true });

/**
 * Replays the images in a folder as frames, in natural name order. Files are handed over still
 * encoded (EncodedImage); decoding happens later in a recognizer worker. A file that cannot be
 * read is skipped, logged and counted, and the next one is returned.
 */
export class FolderSource implements FrameSource {
  readonly id: string;
  readonly description: string;
  readonly live = false;
  private readonly folder: string;
  private readonly loop: boolean;
  private readonly maxFileBytes: number;
  private readonly pacer: FramePacer;
  private readonly closing = new AbortController();
  private files: string[] = [];
  private index = 0;
  private framesThisPass = 0;
  private seq = 0;
  private skippedCount = 0;
  private opened = false;
  private closed = false;
  private readonly reads = new SerialReads();

  constructor(
    options: FolderSourceOptions,
    private readonly log: Logger = silentLogger,
  ) {
    this.folder = path.resolve(options.path);
    this.id = options.id ?? 'folder';
    this.description = `folder ${this.folder}`;
    this.loop = options.loop ?? false;
    this.maxFileBytes = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
    this.pacer = new FramePacer(options.fps ?? 0);
  }

  /** Files skipped so far because they could not be read. */
  get skipped(): number {
    return this.skippedCount;
  }

  async open(): Promise<void> {
    if (this.closed) throw this.closedError();
    this.files = await this.list();
    this.index = 0;
    this.framesThisPass = 0;
    this.opened = true;
    this.log.info({ source: this.id, folder: this.folder, images: this.files.length }, 'folder source opened');
  }

  read(): Promise<Frame | null> {
    return this.reads.run(() => this.readOne());
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.closing.abort(this.closedError());
  }

  private async readOne(): Promise<Frame | null> {
    if (!this.opened && !this.closed) {
      throw new CameraError('SOURCE_CLOSED', `folder source ${this.id} read before open()`);
    }
    for (;;) {
      if (this.closed) throw this.closedError();
      if (this.index >= this.files.length) {
        if (!this.loop) return null;
        if (this.framesThisPass === 0) {
          throw new CameraError(
            'SOURCE_EMPTY',
            `folder ${this.folder} has no readable images (${this.skippedCount} skipped so far)`,
          );
        }
        this.files = await this.list();
        this.index = 0;
        this.framesThisPass = 0;
        continue;
      }
      const file = this.files[this.index++];
      const bytes = await this.readImage(file);
      if (!bytes) continue;
      this.framesThisPass++;
      await this.pacer.wait(this.closing.signal);
      if (this.closed) throw this.closedError();
      return {
        sourceId: this.id,
        seq: this.seq++,
        capturedAt: Date.now(),
        capturedMono: performance.now(),
        image: { kind: 'encoded', name: file, bytes },
      };
    }
  }

  private async list(): Promise<string[]> {
    let names: string[];
    try {
      const st = await fs.stat(this.folder);
      if (!st.isDirectory()) {
        throw new CameraError('CAMERA_NOT_FOUND', `image folder ${this.folder} is not a directory`);
      }
      names = await fs.readdir(this.folder);
    } catch (err) {
      if (err instanceof CameraError) throw err;
      throw new CameraError('CAMERA_NOT_FOUND', `image folder ${this.folder} cannot be read: ${(err as Error).message}`);
    }
    const images = names
      .filter((n) => IMAGE_EXTENSIONS.has(path.extname(n).toLowerCase()))
      .sort(naturalOrder.compare);
    if (images.length === 0) {
      throw new CameraError(
        'SOURCE_EMPTY',
        `image folder ${this.folder} has no images (${[...IMAGE_EXTENSIONS].join(', ')})`,
      );
    }
    return images.map((n) => path.join(this.folder, n));
  }

  /** The file's bytes, or null after logging and counting why it was skipped. */
  private async readImage(file: string): Promise<Buffer | null> {
    let handle: fs.FileHandle | undefined;
    let reason: string;
    try {
      handle = await fs.open(file, 'r');
      const st = await handle.stat();
      if (!st.isFile()) reason = 'not a regular file';
      else if (st.size === 0) reason = 'empty file';
      else if (st.size > this.maxFileBytes) reason = `${st.size} bytes, over the ${this.maxFileBytes} byte limit`;
      else return await handle.readFile();
    } catch (err) {
      reason = (err as Error).message;
    } finally {
      await handle?.close().catch(() => undefined);
    }
    this.skippedCount++;
    this.log.warn({ source: this.id, file, reason, skipped: this.skippedCount }, 'skipping unreadable image');
    return null;
  }

  private closedError(): CameraError {
    return new CameraError('SOURCE_CLOSED', `folder source ${this.id} is closed`);
  }
}
