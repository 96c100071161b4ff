import type { Logger } from '../log';
import type { FrameSource } from './frame';
import { FolderSource } from './folder-source';
import { buildPipeline, redactCredentials, type GStreamerSpec } from './gstreamer-pipelines';
import { GStreamerSource } from './gstreamer-source';
import { ReconnectingSource, type ReconnectingSourceOptions } from './reconnecting-source';
import { SyntheticTrafficSource, type SyntheticTrafficOptions } from './synthetic/synthetic-source';
import { VideoFileSource } from './video-file-source';

type ReconnectSettings = Pick<ReconnectingSourceOptions, 'initialDelayMs' | 'maxDelayMs' | 'readTimeoutMs'>;

/** Which frame source to run, as the config describes it. */
export type SourceSpec =
  | ({ kind: 'synthetic' } & Partial<SyntheticTrafficOptions>)
  | ({ kind: 'gstreamer'; id?: string; reconnect?: ReconnectSettings } & GStreamerSpec)
  | { kind: 'folder'; id?: string; path: string; fps?: number; loop: boolean }
  | { kind: 'video'; id?: string; path: string; realtime: boolean; loop: boolean; fps?: number };

function createGStreamerSource(spec: Extract<SourceSpec, { kind: 'gstreamer' }>, log: Logger): FrameSource {
  const pipeline = buildPipeline(spec);
  const id = spec.id ?? `gst:${spec.preset}`;
  // Presets are cameras; a custom pipeline is live unless it ends by itself (files, num-buffers).
  const first = new GStreamerSource({ id, pipeline, live: spec.preset === 'custom' ? undefined : true }, log);
  if (!first.live) return first;
  let reuse: GStreamerSource | null = first;
  const factory = (): FrameSource => {
    const source = reuse ?? new GStreamerSource({ id, pipeline, live: true }, log);
    reuse = null;
    return source;
  };
  return new ReconnectingSource(factory, { id, description: redactCredentials(pipeline), ...spec.reconnect }, log);
}

/** Builds the source a spec names; live GStreamer cameras come wrapped in a ReconnectingSource. */
export function createSource(spec: SourceSpec, log: Logger): FrameSource {
  switch (spec.kind) {
    case 'synthetic': {
      const { kind: _kind, ...options } = spec;
      return new SyntheticTrafficSource(options, log);
    }
    case 'gstreamer':
      return createGStreamerSource(spec, log);
    case 'folder':
      return new FolderSource({ id: spec.id, path: spec.path, fps: spec.fps, loop: spec.loop }, log);
    case 'video':
      return new VideoFileSource(
        { id: spec.id, path: spec.path, realtime: spec.realtime, loop: spec.loop, fps: spec.fps },
        log,
      );
    default: {
      const unknown: never = spec;
      throw new TypeError(`unknown source kind ${JSON.stringify((unknown as { kind: unknown }).kind)}`);
    }
  }
}
