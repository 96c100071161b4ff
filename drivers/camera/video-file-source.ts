import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import cv = require('../opencv');
import type { Logger } from '../log';
import { silentLogger } from '../log';
import { CameraError } from './camera-error';
import type { Frame, FrameImage, FrameSource } from './frame';
import { FrameBuffers } from './frame-buffers';
import { FramePacer } from './frame-pacer';
import { matToBgrImage } from './mat-to-bgr';
import { SerialReads } from './serial-reads';

export interface VideoFileSourceOptions {
  id?: string;
  path: string;
  /** Pace frames at the file's own frame rate, as a camera would deliver them. */
  realtime?: boolean;
  /** Explicit pacing rate; overrides `realtime`. 0: as fast as read() is called. */
  fps?: number;
  /** Start again from the first frame at the end of the file. */
  loop?: boolean;
}

// Container frame rates outside this range are taken as missing metadata, not a real rate.
const PLAUSIBLE_FPS = { min: 0.1, max: 1000 };

/** Replays a video file (decoded by OpenCV's FFmpeg backend) as BGR frames. */
export class VideoFileSource implements FrameSource {
  readonly id: string;
  readonly description: string;
  readonly live = false;
  private readonly file: string;
  private readonly loop: boolean;
  private readonly options: VideoFileSourceOptions;
  private readonly closing = new AbortController();
  private pacer = new FramePacer(0);
  private cap: cv.VideoCapture | null = null;
  private ended = false;
  private closed = false;
  private seq = 0;
  private framesThisPass = 0;
  private readonly reads = new SerialReads();
  private readonly buffers = new FrameBuffers();

  constructor(
    options: VideoFileSourceOptions,
    private readonly log: Logger = silentLogger,
  ) {
    this.options = options;
    this.file = path.resolve(options.path);
    this.id = options.id ?? 'video';
    this.description = `video ${this.file}`;
    this.loop = options.loop ?? false;
  }

  async open(): Promise<void> {
    if (this.closed) throw this.closedError();
    if (this.cap) return;
    let st;
    try {
      st = await fs.stat(this.file);
    } catch (err) {
      throw new CameraError('CAMERA_NOT_FOUND', `video file ${this.file} cannot be found: ${(err as Error).message}`);
    }
    if (!st.isFile()) throw new CameraError('CAMERA_NOT_FOUND', `video file ${this.file} is not a regular file`);
    if (this.closed) throw this.closedError();
    this.cap = this.openCapture();
    this.pacer = new FramePacer(this.pacingFps(this.cap));
    this.log.info({ source: this.id, file: this.file, paced: this.pacer.paced }, 'video file source opened');
  }

  read(): Promise<Frame | null> {
    return this.reads.run(() => this.readOne());
  }

  recycle(image: FrameImage): void {
    this.buffers.giveImage(image);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.closing.abort(this.closedError());
    // Safe with a read in flight: that pool job holds its own reference to the capture.
    this.cap?.release();
    this.cap = null;
  }

  private openCapture(): cv.VideoCapture {
    try {
      return new cv.VideoCapture(this.file, cv.CAP_FFMPEG);
    } catch (err) {
      throw new CameraError('CAMERA_OPEN_FAILED', `OpenCV cannot open video file ${this.file} (${String(err)})`);
    }
  }

  private pacingFps(cap: cv.VideoCapture): number {
    if (this.options.fps !== undefined) return this.options.fps;
    if (!this.options.realtime) return 0;
    const fileFps = cap.get(cv.CAP_PROP_FPS);
    if (Number.isFinite(fileFps) && fileFps >= PLAUSIBLE_FPS.min && fileFps <= PLAUSIBLE_FPS.max) return fileFps;
    this.log.warn({ source: this.id, file: this.file, fileFps }, 'video file has no usable frame rate; replaying unpaced');
    return 0;
  }

  private async readOne(): Promise<Frame | null> {
    for (;;) {
      if (this.closed) throw this.closedError();
      if (this.ended) return null;
      const cap = this.cap;
      if (!cap) throw new CameraError('SOURCE_CLOSED', `video source ${this.id} read before open()`);
      let mat: cv.Mat;
      try {
        mat = await cap.readAsync();
      } catch (err) {
        if (this.closed) throw this.closedError();
        throw new CameraError('CAMERA_READ_FAILED', `reading video file ${this.file} failed: ${String(err)}`);
      }
      if (this.closed) throw this.closedError();
      if (mat.empty) {
        if (this.framesThisPass === 0) {
          throw new CameraError('SOURCE_EMPTY', `video file ${this.file} has no frames OpenCV can decode`);
        }
        if (!this.loop) {
          this.ended = true;
          return null;
        }
        // Reopening rather than seeking: seeking to 0 is unreliable for some codecs and containers.
        cap.release();
        this.cap = this.openCapture();
        this.framesThisPass = 0;
        continue;
      }
      this.framesThisPass++;
      const image = await matToBgrImage(mat, `video file ${this.file}`, this.buffers);
      await this.pacer.wait(this.closing.signal);
      if (this.closed) throw this.closedError();
      return { sourceId: this.id, seq: this.seq++, capturedAt: Date.now(), capturedMono: performance.now(), image };
    }
  }

  private closedError(): CameraError {
    return new CameraError('SOURCE_CLOSED', `video source ${this.id} is closed`);
  }
}
