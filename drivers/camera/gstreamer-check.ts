import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { Logger } from '../log';
import { silentLogger } from '../log';
import { CameraError } from './camera-error';
import { parsePipeline, pipelineElements, type ParsedPipeline, type PipelineElement } from './gstreamer-parse';

/**
 * Checks a pipeline before OpenCV opens it, because OpenCV's only verdict is "not opened":
 * syntax (via gstreamer-parse), that it ends in the appsink OpenCV reads from, that the appsink
 * receives a pixel format we can turn into BGR, that every element factory is installed, and
 * that the device or file a source element names is there.
 */

/** Whether an element factory is installed; null when it cannot be told (no gst-inspect). */
export type ElementExists = (factory: string) => Promise<boolean | null>;

export interface PipelineCheckOptions {
  exists?: ElementExists;
  pathExists?: (p: string) => Promise<boolean>;
  log?: Logger;
}

const INSPECT_TIMEOUT_MS = 15_000;
// One entry per factory name ever checked: a pipeline names a handful, so this stays small.
const inspectCache = new Map<string, Promise<boolean | null>>();

/** Asks `gst-inspect-1.0 --exists` (exit 0: installed, 1: not), caching definite answers. */
export function gstInspectExists(factory: string): Promise<boolean | null> {
  const cached = inspectCache.get(factory);
  if (cached) return cached;
  const answer = new Promise<boolean | null>((resolve) => {
    execFile('gst-inspect-1.0', ['--exists', factory], { timeout: INSPECT_TIMEOUT_MS }, (err) => {
      if (!err) resolve(true);
      else if (err.code === 1) resolve(false);
      else resolve(null);
    });
  });
  inspectCache.set(factory, answer);
  // An unknown answer (tool missing, timed out) is not cached, so a later check asks again.
  void answer.then((a) => {
    if (a === null) inspectCache.delete(factory);
  });
  return answer;
}

async function defaultPathExists(p: string): Promise<boolean> {
  try {
    await fs.stat(p);
    return true;
  } catch {
    return false;
  }
}

/** Formats OpenCV 4.6's GStreamer backend delivers as whole pixels we can make BGR from. */
const APPSINK_FORMATS = new Set(['BGR', 'BGRx', 'BGRA', 'GRAY8', 'GRAY16_LE']);

function describe(e: PipelineElement): string {
  return `element ${e.position} "${e.factory}"`;
}

function checkEndsInAppsink(parsed: ParsedPipeline): void {
  const nodes = parsed.nodes;
  const last = nodes[nodes.length - 1];
  if (last.kind !== 'element' || last.factory !== 'appsink') {
    const what = last.kind === 'element' ? `"${last.factory}"` : last.kind === 'caps' ? `caps "${last.text}"` : `"${last.name}"`;
    throw new CameraError(
      'PIPELINE_INVALID',
      `GStreamer pipeline must end in appsink, where OpenCV takes the frames; it ends in element ${last.position} ${what}`,
    );
  }
  const before = nodes[nodes.length - 2];
  if (before?.kind !== 'caps') return;
  const rawVideo = before.mediaType === 'video/x-raw';
  if (!rawVideo || (before.format !== null && !APPSINK_FORMATS.has(before.format))) {
    const asked = rawVideo ? `format=${before.format}` : before.mediaType;
    throw new CameraError(
      'PIPELINE_INVALID',
      `GStreamer pipeline element ${before.position} hands appsink ${asked}, which OpenCV cannot deliver as BGR pixels; ` +
        'end with "! videoconvert ! video/x-raw,format=BGR ! appsink"',
    );
  }
}

async function checkFactories(elements: PipelineElement[], exists: ElementExists, log: Logger): Promise<void> {
  const names = [...new Set(elements.map((e) => e.factory))];
  const answers = new Map(await Promise.all(names.map(async (n) => [n, await exists(n)] as const)));
  for (const e of elements) {
    const answer = answers.get(e.factory);
    if (answer === false) {
      throw new CameraError(
        'PIPELINE_INVALID',
        `GStreamer pipeline ${describe(e)} does not exist (not installed?)`,
      );
    }
    if (answer === null) {
      log.warn({ element: e.factory }, 'cannot tell whether GStreamer element is installed (gst-inspect-1.0 unavailable)');
    }
  }
}

async function checkSourcePaths(elements: PipelineElement[], pathExists: (p: string) => Promise<boolean>): Promise<void> {
  for (const e of elements) {
    if (e.factory === 'v4l2src') {
      // v4l2src opens /dev/video0 when no device is given.
      const device = e.properties.get('device') ?? '/dev/video0';
      if (!(await pathExists(device))) {
        throw new CameraError('CAMERA_NOT_FOUND', `V4L2 device ${device} does not exist (GStreamer pipeline ${describe(e)})`);
      }
    } else if (e.factory === 'filesrc') {
      const location = e.properties.get('location');
      if (location !== undefined && !(await pathExists(location))) {
        throw new CameraError('CAMERA_NOT_FOUND', `file ${location} does not exist (GStreamer pipeline ${describe(e)})`);
      }
    } else if (e.factory === 'multifilesrc') {
      const location = e.properties.get('location');
      const dir = location === undefined ? undefined : path.dirname(location);
      if (dir !== undefined && !(await pathExists(dir))) {
        throw new CameraError('CAMERA_NOT_FOUND', `folder ${dir} does not exist (GStreamer pipeline ${describe(e)})`);
      }
    }
  }
}

/** Validates a pipeline; resolves with its parse or rejects with a CameraError naming the fault. */
export async function checkPipeline(pipeline: string, options: PipelineCheckOptions = {}): Promise<ParsedPipeline> {
  const parsed = parsePipeline(pipeline);
  checkEndsInAppsink(parsed);
  const elements = pipelineElements(parsed);
  await checkFactories(elements, options.exists ?? gstInspectExists, options.log ?? silentLogger);
  await checkSourcePaths(elements, options.pathExists ?? defaultPathExists);
  return parsed;
}
