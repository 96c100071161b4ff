import assert from 'node:assert/strict';
import { CameraError } from '../../../drivers/camera/camera-error';
import { parsePipeline, pipelineElements } from '../../../drivers/camera/gstreamer-parse';
import {
  buildPipeline,
  framerateFraction,
  redactCredentials,
  type GStreamerSpec,
} from '../../../drivers/camera/gstreamer-pipelines';

const size = { width: 1280, height: 720, fps: 30 };

function rejectsSpec(spec: GStreamerSpec, pattern: RegExp): void {
  assert.throws(
    () => buildPipeline(spec),
    (err: unknown) => err instanceof CameraError && err.code === 'PIPELINE_INVALID' && pattern.test(err.message),
  );
}

/** The factories a pipeline string instantiates, in order. */
function factories(pipeline: string): string[] {
  return pipelineElements(parsePipeline(pipeline)).map((e) => e.factory);
}

describe('GStreamer pipeline presets', () => {
  it('pi: libcamerasrc at the requested size and rate, BGR into a newest-frame appsink', () => {
    assert.equal(
      buildPipeline({ preset: 'pi', ...size }),
      'libcamerasrc ! video/x-raw,width=1280,height=720,framerate=30/1 ! videoconvert ! video/x-raw,format=BGR ! ' +
        'appsink drop=true max-buffers=1 sync=false',
    );
  });

  it('jetson: nvarguscamerasrc with the sensor id, NVMM caps and nvvidconv', () => {
    assert.equal(
      buildPipeline({ preset: 'jetson', sensorId: 1, width: 1920, height: 1080, fps: 30 }),
      'nvarguscamerasrc sensor-id=1 ! video/x-raw(memory:NVMM),width=1920,height=1080,framerate=30/1,format=NV12 ! ' +
        'nvvidconv ! video/x-raw,format=BGRx ! videoconvert ! video/x-raw,format=BGR ! appsink drop=true max-buffers=1 sync=false',
    );
    assert.match(buildPipeline({ preset: 'jetson', ...size }), /sensor-id=0 /);
  });

  it('usb: raw capture at small sizes, MJPG + jpegdec above 640x480 unless told otherwise', () => {
    assert.equal(
      buildPipeline({ preset: 'usb', device: '/dev/video2', width: 640, height: 480, fps: 30 }),
      'v4l2src device=/dev/video2 ! video/x-raw,width=640,height=480,framerate=30/1 ! videoconvert ! ' +
        'video/x-raw,format=BGR ! appsink drop=true max-buffers=1 sync=false',
    );
    assert.deepEqual(factories(buildPipeline({ preset: 'usb', ...size })), ['v4l2src', 'jpegdec', 'videoconvert', 'appsink']);
    assert.match(buildPipeline({ preset: 'usb', ...size }), /v4l2src device=\/dev\/video0 ! image\/jpeg,width=1280/);
    assert.doesNotMatch(buildPipeline({ preset: 'usb', mjpeg: false, ...size }), /jpeg/);
    assert.match(buildPipeline({ preset: 'usb', mjpeg: true, width: 320, height: 240, fps: 15 }), /image\/jpeg.* ! jpegdec/);
  });

  it('usb: accepts udev paths such as /dev/v4l/by-path/...:1.0-video-index0', () => {
    const device = '/dev/v4l/by-path/platform-xhci-hcd.0-usb-0:1:1.0-video-index0';
    assert.match(buildPipeline({ preset: 'usb', device, ...size }), new RegExp(`device=${device.replace(/[.]/g, '\\.')} `));
  });

  it('rtsp: quoted location, latency, TCP, decodebin, then scaled and thinned to the spec', () => {
    assert.equal(
      buildPipeline({ preset: 'rtsp', url: 'rtsp://10.0.0.5:554/stream1', latencyMs: 100, width: 1920, height: 1080, fps: 15 }),
      'rtspsrc location="rtsp://10.0.0.5:554/stream1" latency=100 protocols=tcp ! decodebin ! videoconvert ! videoscale ! ' +
        'videorate drop-only=true ! video/x-raw,format=BGR,width=1920,height=1080,framerate=15/1 ! ' +
        'appsink drop=true max-buffers=1 sync=false',
    );
    assert.match(buildPipeline({ preset: 'rtsp', url: 'rtsp://cam/x', ...size }), / latency=200 /);
  });

  it('custom: the given pipeline, trimmed', () => {
    assert.equal(buildPipeline({ preset: 'custom', pipeline: '  videotestsrc ! appsink ', ...size }), 'videotestsrc ! appsink');
    rejectsSpec({ preset: 'custom', ...size }, /custom preset: pipeline must be a non-empty string/);
  });

  it('writes fractional frame rates as reduced fractions', () => {
    assert.equal(framerateFraction(30), '30/1');
    assert.equal(framerateFraction(7.5), '15/2');
    assert.equal(framerateFraction(0.5), '1/2');
  });

  it('rejects device paths that could inject elements or properties', () => {
    for (const device of ['/dev/video0 ! fakesink', '/dev/video0"', "/dev/video0'", '/dev/video0 name=x', 'video0', '/dev/../etc/passwd', '/dev/video0!']) {
      rejectsSpec({ preset: 'usb', device, ...size }, /usb preset: device .* is not a device path/);
    }
  });

  it('rejects URLs that could break out of the quoted location', () => {
    for (const url of ['rtsp://cam/x" ! fakesink', 'rtsp://cam/x ! filesink location=/tmp/y', 'rtsp://cam/x!', "rtsp://cam/'x", 'rtsp://cam/x\\', 'rtsp://cam/\nx']) {
      rejectsSpec({ preset: 'rtsp', url, ...size }, /rtsp preset: url .* percent-encode it/);
    }
  });

  it('rejects URLs that are not rtsp, and a missing url', () => {
    rejectsSpec({ preset: 'rtsp', url: 'http://cam/x', ...size }, /must start with rtsp:\/\//);
    rejectsSpec({ preset: 'rtsp', url: 'not a url', ...size }, /percent-encode|not a valid URL/);
    rejectsSpec({ preset: 'rtsp', url: 'rtsp//cam', ...size }, /not a valid URL/);
    rejectsSpec({ preset: 'rtsp', ...size }, /url is required/);
  });

  it('rejects bad sizes, rates, sensor ids and latencies, naming the field', () => {
    rejectsSpec({ preset: 'pi', width: 0, height: 720, fps: 30 }, /pi preset: width must be an integer/);
    rejectsSpec({ preset: 'pi', width: 1280, height: 720.5, fps: 30 }, /height must be an integer/);
    rejectsSpec({ preset: 'usb', width: 1280, height: 720, fps: 0 }, /usb preset: fps must be/);
    rejectsSpec({ preset: 'usb', width: 1280, height: 720, fps: NaN }, /fps must be/);
    rejectsSpec({ preset: 'jetson', sensorId: -1, ...size }, /sensorId must be an integer from 0 to 15, got -1/);
    rejectsSpec({ preset: 'rtsp', url: 'rtsp://cam/x', latencyMs: -5, ...size }, /latencyMs/);
  });

  it('every preset parses as a pipeline that ends in appsink', () => {
    const specs: GStreamerSpec[] = [
      { preset: 'pi', ...size },
      { preset: 'jetson', ...size },
      { preset: 'usb', ...size },
      { preset: 'usb', mjpeg: false, ...size },
      { preset: 'rtsp', url: 'rtsp://u:p@cam/x', ...size },
    ];
    for (const spec of specs) {
      const names = factories(buildPipeline(spec));
      assert.equal(names[names.length - 1], 'appsink', spec.preset);
    }
  });

  it('redacts URL passwords for logs', () => {
    assert.equal(
      redactCredentials('rtspsrc location="rtsp://admin:s3cret@10.0.0.5/x" latency=200'),
      'rtspsrc location="rtsp://admin:***@10.0.0.5/x" latency=200',
    );
    assert.equal(redactCredentials('rtsp://10.0.0.5/x'), 'rtsp://10.0.0.5/x');
  });
});
