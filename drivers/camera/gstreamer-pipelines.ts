import { CameraError } from './camera-error';

/**
 * Pipeline strings for the cameras Sightline runs on. Every preset ends in BGR frames at an
 * appsink that keeps only the newest frame (`drop=true max-buffers=1 sync=false`): a reader that
 * falls behind gets the latest picture, never a queue that grows without bound. That setting
 * drops frames by design, so it is for live cameras only; a custom pipeline over files should
 * end in a plain `appsink`.
 */
export type GStreamerPreset = 'pi' | 'jetson' | 'usb' | 'rtsp' | 'custom';

export interface GStreamerSpec {
  preset: GStreamerPreset;
  /** The whole pipeline, for preset 'custom'. */
  pipeline?: string;
  /** V4L2 device for 'usb', default /dev/video0. */
  device?: string;
  /** Camera URL for 'rtsp'. */
  url?: string;
  /** CSI sensor for 'jetson', default 0. */
  sensorId?: number;
  width: number;
  height: number;
  fps: number;
  /** 'usb': ask the camera for MJPG. Default: above 640x480, where raw YUYV outruns USB 2.0. */
  mjpeg?: boolean;
  /** 'rtsp': jitter buffer in ms, default 200. */
  latencyMs?: number;
}

export const LIVE_APPSINK = 'appsink drop=true max-buffers=1 sync=false';
const TO_BGR = 'videoconvert ! video/x-raw,format=BGR';
const MAX_DIMENSION = 8192;
const MAX_FPS = 240;

function invalid(preset: GStreamerPreset, message: string): CameraError {
  return new CameraError('PIPELINE_INVALID', `GStreamer ${preset} preset: ${message}`);
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/** GStreamer framerates are fractions: 30 -> "30/1", 7.5 -> "15/2". */
export function framerateFraction(fps: number): string {
  const num = Math.round(fps * 1000);
  const g = gcd(num, 1000);
  return `${num / g}/${1000 / g}`;
}

function checkGeometry(spec: GStreamerSpec): void {
  for (const key of ['width', 'height'] as const) {
    const v = spec[key];
    if (!Number.isInteger(v) || v < 1 || v > MAX_DIMENSION) {
      throw invalid(spec.preset, `${key} must be an integer from 1 to ${MAX_DIMENSION}, got ${String(v)}`);
    }
  }
  if (typeof spec.fps !== 'number' || !Number.isFinite(spec.fps) || spec.fps <= 0 || spec.fps > MAX_FPS) {
    throw invalid(spec.preset, `fps must be a number above 0 and at most ${MAX_FPS}, got ${String(spec.fps)}`);
  }
}

// Path characters only: no spaces, quotes or "!" that could end the property and add elements.
const DEVICE_PATH = /^\/dev\/[A-Za-z0-9._:/+-]+$/;

function checkDevice(device: string): string {
  if (!DEVICE_PATH.test(device) || device.split('/').includes('..')) {
    throw invalid(
      'usb',
      `device ${JSON.stringify(device)} is not a device path (expected /dev/...; spaces, quotes and "!" are not allowed)`,
    );
  }
  return device;
}

const RTSP_SCHEMES = new Set(['rtsp:', 'rtsps:', 'rtspt:', 'rtspu:']);
// Inside a quoted value only a quote or backslash could escape; the rest are refused because a
// well-formed URL percent-encodes them anyway (%21 for "!", %22 for a quote).
const URL_FORBIDDEN = /["'\\!\s\x00-\x1f\x7f]/;

function checkUrl(url: string): string {
  if (URL_FORBIDDEN.test(url)) {
    throw invalid(
      'rtsp',
      `url ${JSON.stringify(redactCredentials(url))} contains a quote, backslash, "!", space or control character; percent-encode it`,
    );
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw invalid('rtsp', `url ${JSON.stringify(redactCredentials(url))} is not a valid URL`);
  }
  if (!RTSP_SCHEMES.has(parsed.protocol)) {
    throw invalid('rtsp', `url must start with rtsp:// or rtsps://, got ${parsed.protocol}//`);
  }
  return url;
}

function sizeAndRate(spec: GStreamerSpec): string {
  return `width=${spec.width},height=${spec.height},framerate=${framerateFraction(spec.fps)}`;
}

/** Builds the pipeline string for a spec; throws PIPELINE_INVALID naming the bad field. */
export function buildPipeline(spec: GStreamerSpec): string {
  if (spec.preset === 'custom') {
    if (typeof spec.pipeline !== 'string' || spec.pipeline.trim() === '') {
      throw invalid('custom', 'pipeline must be a non-empty string');
    }
    return spec.pipeline.trim();
  }
  checkGeometry(spec);
  switch (spec.preset) {
    case 'pi':
      return `libcamerasrc ! video/x-raw,${sizeAndRate(spec)} ! ${TO_BGR} ! ${LIVE_APPSINK}`;
    case 'jetson': {
      const sensorId = spec.sensorId ?? 0;
      if (!Number.isInteger(sensorId) || sensorId < 0 || sensorId > 15) {
        throw invalid('jetson', `sensorId must be an integer from 0 to 15, got ${String(sensorId)}`);
      }
      return (
        `nvarguscamerasrc sensor-id=${sensorId} ! video/x-raw(memory:NVMM),${sizeAndRate(spec)},format=NV12 ! ` +
        `nvvidconv ! video/x-raw,format=BGRx ! ${TO_BGR} ! ${LIVE_APPSINK}`
      );
    }
    case 'usb': {
      const device = checkDevice(spec.device ?? '/dev/video0');
      const mjpeg = spec.mjpeg ?? spec.width * spec.height > 640 * 480;
      const capture = mjpeg
        ? `image/jpeg,${sizeAndRate(spec)} ! jpegdec`
        : `video/x-raw,${sizeAndRate(spec)}`;
      return `v4l2src device=${device} ! ${capture} ! ${TO_BGR} ! ${LIVE_APPSINK}`;
    }
    case 'rtsp': {
      if (typeof spec.url !== 'string') throw invalid('rtsp', 'url is required');
      const url = checkUrl(spec.url);
      const latency = spec.latencyMs ?? 200;
      if (!Number.isInteger(latency) || latency < 0 || latency > 10_000) {
        throw invalid('rtsp', `latencyMs must be an integer from 0 to 10000, got ${String(latency)}`);
      }
      // The camera's own size and rate are whatever it streams; scale and thin them to the spec.
      return (
        `rtspsrc location="${url}" latency=${latency} protocols=tcp ! decodebin ! videoconvert ! videoscale ! ` +
        `videorate drop-only=true ! video/x-raw,format=BGR,${sizeAndRate(spec)} ! ${LIVE_APPSINK}`
      );
    }
    default: {
      const unknown: never = spec.preset;
      throw new CameraError('PIPELINE_INVALID', `unknown GStreamer preset ${JSON.stringify(unknown)}`);
    }
  }
}

/** Hides URL passwords (rtsp://user:secret@cam) so pipelines can go into logs and errors. */
export function redactCredentials(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/[^\s:@/"']+):[^\s@/"']*@/gi, '$1:***@');
}
