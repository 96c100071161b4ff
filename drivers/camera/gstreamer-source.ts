import cv = require('../opencv');
import type { Logger } from '../log';
import { silentLogger } from '../log';
import { CameraError } from './camera-error';
import type { Frame, FrameImage, FrameSource } from './frame';
import { FrameBuffers } from './frame-buffers';
import { checkPipeline, type PipelineCheckOptions } from './gstreamer-check';
import { parsePipeline, pipelineIsFinite } from './gstreamer-parse';
import { redactCredentials } from './gstreamer-pipelines';
import { matToBgrImage } from './mat-to-bgr';
import { SerialReads } from './serial-reads';

export interface GStreamerSourceOptions {
  id: string;
  pipeline: string;
  /**
   * Whether this is a camera that can fail and come back. Default: false when the pipeline ends
   * by itself (filesrc, multifilesrc, a num-buffers limit), true otherwise.
   */
  live?: boolean;
  /** Overrides for the pre-open check (element lookup, path test). */
  check?: Omit<PipelineCheckOptions, 'log'>;
}

function inferLive(pipeline: string): boolean {
  try {
    return !pipelineIsFinite(parsePipeline(pipeline));
  } catch {
    return true; // malformed: open() will say why
  }
}

/**
 * Frames from a GStreamer pipeline through OpenCV's VideoCapture. Frames are pulled with
 * readAsync, so the wait for the camera happens in libuv's pool and not on the event loop.
 * Opening is synchronous in this binding (no async constructor), so open() blocks for as long
 * as GStreamer takes to reach PLAYING.
 */
export class GStreamerSource implements FrameSource {
  readonly id: string;
  readonly description: string;
  readonly live: boolean;
  private readonly pipeline: string;
  private readonly checkOptions: PipelineCheckOptions;
  private cap: cv.VideoCapture | null = null;
  private closed = false;
  private ended = false;
  private seq = 0;
  // VideoCapture must not be read from two pool threads at once, so reads run one after another.
  private readonly reads = new SerialReads();
  private readonly buffers = new FrameBuffers();

  constructor(
    options: GStreamerSourceOptions,
    private readonly log: Logger = silentLogger,
  ) {
    this.id = options.id;
    this.pipeline = options.pipeline;
    this.description = redactCredentials(options.pipeline);
    this.live = options.live ?? inferLive(options.pipeline);
    this.checkOptions = { ...options.check, log };
  }

  async open(): Promise<void> {
    if (this.closed) throw this.closedError();
    if (this.cap) return;
    await checkPipeline(this.pipeline, this.checkOptions);
    if (this.closed) throw this.closedError();
    try {
      this.cap = new cv.VideoCapture(this.pipeline, cv.CAP_GSTREAMER);
    } catch (err) {
      // The binding throws a bare string; GStreamer's own reason goes to stderr.
      throw new CameraError(
        'CAMERA_OPEN_FAILED',
        `OpenCV could not open GStreamer pipeline "${this.description}" (${String(err)})`,
      );
    }
    this.ended = false;
    this.log.info({ source: this.id, pipeline: this.description, live: this.live }, 'GStreamer source opened');
  }

  read(): Promise<Frame | null> {
    return this.reads.run(() => this.readOne());
  }

  recycle(image: FrameImage): void {
    this.buffers.giveImage(image);
  }

  private async readOne(): Promise<Frame | null> {
    if (this.closed) throw this.closedError();
    const cap = this.cap;
    if (!cap) throw new CameraError('SOURCE_CLOSED', `GStreamer source ${this.id} read before open()`);
    if (this.ended) return null;
    let mat: cv.Mat;
    try {
      mat = await cap.readAsync();
    } catch (err) {
      if (this.closed) throw this.closedError();
      throw new CameraError('CAMERA_READ_FAILED', `reading GStreamer pipeline "${this.description}" failed: ${String(err)}`);
    }
    const capturedAt = Date.now();
    const capturedMono = performance.now();
    if (this.closed) throw this.closedError();
    if (mat.empty) {
      if (!this.live) {
        this.ended = true;
        return null;
      }
      throw new CameraError(
        'CAMERA_READ_FAILED',
        `GStreamer pipeline "${this.description}" delivered no frame (camera stopped, unplugged or stream ended)`,
      );
    }
    const image = await matToBgrImage(mat, `GStreamer pipeline "${this.description}"`, this.buffers);
    return { sourceId: this.id, seq: this.seq++, capturedAt, capturedMono, image };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Safe with a read in flight: the pool job holds its own reference to the capture, which
    // is torn down when that read returns. The read then rejects with SOURCE_CLOSED.
    this.cap?.release();
    this.cap = null;
    this.log.info({ source: this.id }, 'GStreamer source closed');
  }

  private closedError(): CameraError {
    return new CameraError('SOURCE_CLOSED', `GStreamer source ${this.id} is closed`);
  }
}
