import * as path from 'node:path';
import type { SourceSpec } from '../../drivers/camera/create-source';
import type { Config } from '../config/schema';

/** The camera section of the config, as the driver factory wants it. */
export function sourceSpecFromConfig(camera: Config['camera']): SourceSpec {
  switch (camera.source) {
    case 'synthetic':
      return { kind: 'synthetic', ...camera.synthetic, seed: camera.synthetic.seed ?? undefined, realtime: true };
    case 'gstreamer': {
      const g = camera.gstreamer;
      return {
        kind: 'gstreamer',
        preset: g.preset,
        pipeline: g.pipeline ?? undefined,
        device: g.device,
        url: g.url ?? undefined,
        sensorId: g.sensorId,
        width: g.width,
        height: g.height,
        fps: g.fps,
        reconnect: camera.reconnect,
      };
    }
    case 'folder':
      // The schema requires the path when the source is folder.
      return { kind: 'folder', path: path.resolve(camera.folder.path ?? ''), fps: camera.folder.fps, loop: camera.folder.loop };
    case 'video':
      return { kind: 'video', path: path.resolve(camera.video.path ?? ''), realtime: camera.video.realtime, loop: camera.video.loop };
  }
}

/** Unpaced replays wait for the recognizer; cameras and paced replays drop frames when it is busy. */
export function busyPolicy(camera: Config['camera']): 'drop' | 'wait' {
  if (camera.source === 'folder') return camera.folder.fps > 0 ? 'drop' : 'wait';
  if (camera.source === 'video') return camera.video.realtime ? 'drop' : 'wait';
  return 'drop';
}
