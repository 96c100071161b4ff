import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CameraError, type CameraErrorCode } from '../../../drivers/camera/camera-error';
import { checkPipeline, gstInspectExists } from '../../../drivers/camera/gstreamer-check';
import { parsePipeline, pipelineIsFinite } from '../../../drivers/camera/gstreamer-parse';
import { buildPipeline } from '../../../drivers/camera/gstreamer-pipelines';
import { recordingLogger } from './recording-logger';

async function rejectsWith(pipeline: string, code: CameraErrorCode, pattern: RegExp): Promise<void> {
  await assert.rejects(
    checkPipeline(pipeline),
    (err: unknown) => {
      assert.ok(err instanceof CameraError, `expected a CameraError, got ${String(err)}`);
      assert.equal(err.code, code, err.message);
      assert.match(err.message, pattern);
      return true;
    },
  );
}

describe('GStreamer pipeline parsing', () => {
  it('splits elements, properties, caps with parentheses and quoted values', () => {
    const parsed = parsePipeline(
      'filesrc location="/tmp/a b!c.avi" ! decodebin ! video/x-raw(memory:NVMM),width=(int)1920,format=NV12 ! ' +
        "videoconvert name='conv 1' ! video/x-raw, format=BGR ! appsink drop=true",
    );
    assert.deepEqual(
      parsed.nodes.map((n) => (n.kind === 'element' ? n.factory : n.kind === 'caps' ? `caps:${n.format}` : n.name)),
      ['filesrc', 'decodebin', 'caps:NV12', 'videoconvert', 'caps:BGR', 'appsink'],
    );
    const first = parsed.nodes[0];
    assert.ok(first.kind === 'element');
    assert.equal(first.properties.get('location'), '/tmp/a b!c.avi');
    const conv = parsed.nodes[3];
    assert.ok(conv.kind === 'element');
    assert.equal(conv.properties.get('name'), 'conv 1');
    assert.deepEqual(parsed.nodes.map((n) => n.position), [1, 2, 3, 4, 5, 6]);
  });

  it('unescapes backslashes inside double quotes', () => {
    const node = parsePipeline('filesrc location="/tmp/say \\"hi\\".avi" ! appsink').nodes[0];
    assert.ok(node.kind === 'element');
    assert.equal(node.properties.get('location'), '/tmp/say "hi".avi');
  });

  it('reads branch references as links, not elements', () => {
    const parsed = parsePipeline('videotestsrc ! tee name=t t. ! queue ! appsink');
    assert.deepEqual(
      parsed.nodes.map((n) => `${n.kind}:${n.kind === 'reference' ? n.name : n.kind === 'element' ? n.factory : n.text}`),
      ['element:videotestsrc', 'element:tee', 'reference:t.', 'element:queue', 'element:appsink'],
    );
  });

  it('tells finite pipelines from live ones', () => {
    const finite = (p: string): boolean => pipelineIsFinite(parsePipeline(p));
    assert.equal(finite('videotestsrc num-buffers=5 ! appsink'), true);
    assert.equal(finite('filesrc location=/x.avi ! decodebin ! appsink'), true);
    assert.equal(finite('multifilesrc location=/x/%03d.png ! pngdec ! appsink'), true);
    assert.equal(finite('multifilesrc location=/x/%03d.png loop=true ! pngdec ! appsink'), false);
    assert.equal(finite('videotestsrc ! appsink'), false);
    assert.equal(finite('videotestsrc num-buffers=-1 ! appsink'), false);
    assert.equal(finite('v4l2src device=/dev/video0 ! appsink'), false);
  });
});

describe('checkPipeline (real gst-inspect-1.0)', () => {
  let dir: string;

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sightline-gstcheck-'));
  });

  after(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('accepts a valid pipeline and returns its parse', async () => {
    const parsed = await checkPipeline('videotestsrc num-buffers=1 ! video/x-raw,width=32,height=24,format=BGR ! appsink');
    assert.equal(parsed.nodes.length, 3);
  });

  it('names an element that is not installed, with its position', async () => {
    await rejectsWith(
      'videotestsrc ! foosrc ! videoconvert ! appsink',
      'PIPELINE_INVALID',
      /^GStreamer pipeline element 2 "foosrc" does not exist \(not installed\?\)$/,
    );
  });

  it('reports the first missing element in pipeline order when several are missing', async () => {
    await rejectsWith('videotestsrc ! nosuchthing1 ! nosuchthing2 ! appsink', 'PIPELINE_INVALID', /element 2 "nosuchthing1"/);
  });

  it('refuses a pipeline that does not end in appsink, naming what it ends in', async () => {
    await rejectsWith('videotestsrc ! videoconvert ! fakesink', 'PIPELINE_INVALID', /must end in appsink.*element 3 "fakesink"/);
    await rejectsWith('videotestsrc ! video/x-raw,format=BGR', 'PIPELINE_INVALID', /must end in appsink.*element 2 caps "video\/x-raw,format=BGR"/);
  });

  it('refuses unbalanced quotes, naming the element and character', async () => {
    await rejectsWith('videotestsrc ! filesink location="/tmp/x ! appsink', 'PIPELINE_INVALID', /element 2 has an unbalanced " quote \(opened at character 34\)/);
    await rejectsWith("videotestsrc name='a ! appsink", 'PIPELINE_INVALID', /element 1 has an unbalanced ' quote/);
  });

  it('refuses unbalanced brackets in caps', async () => {
    await rejectsWith('videotestsrc ! video/x-raw(memory:NVMM,format=BGR ! appsink', 'PIPELINE_INVALID', /element 2 has an unclosed "\("/);
    await rejectsWith('videotestsrc ! video/x-raw,format=BGR) ! appsink', 'PIPELINE_INVALID', /element 2 has an unmatched "\)"/);
  });

  it('refuses empty segments and an empty pipeline', async () => {
    await rejectsWith('videotestsrc ! ! appsink', 'PIPELINE_INVALID', /element 2 is empty/);
    await rejectsWith('! videotestsrc ! appsink', 'PIPELINE_INVALID', /element 1 is empty/);
    await rejectsWith('videotestsrc ! appsink !', 'PIPELINE_INVALID', /element 3 is empty/);
    await rejectsWith('   ', 'PIPELINE_INVALID', /pipeline is empty/);
  });

  it('refuses words that are neither elements nor properties', async () => {
    await rejectsWith('videotestsrc ! video-convert# ! appsink', 'PIPELINE_INVALID', /element 2: "video-convert#" is neither/);
  });

  it('refuses appsink caps OpenCV cannot deliver as BGR', async () => {
    await rejectsWith('videotestsrc ! video/x-raw,format=I420 ! appsink', 'PIPELINE_INVALID', /element 2 hands appsink format=I420/);
    await rejectsWith('videotestsrc ! jpegenc ! image/jpeg ! appsink', 'PIPELINE_INVALID', /element 3 hands appsink image\/jpeg/);
  });

  it('reports a missing V4L2 device as CAMERA_NOT_FOUND naming the path', async () => {
    const device = path.join(dir, 'video9');
    await rejectsWith(
      `v4l2src device=${device} ! videoconvert ! appsink`,
      'CAMERA_NOT_FOUND',
      new RegExp(`V4L2 device ${device} does not exist \\(GStreamer pipeline element 1 "v4l2src"\\)`),
    );
  });

  it('reports the usb preset on a machine without that camera as CAMERA_NOT_FOUND', async () => {
    const device = '/dev/video-sightline-test-absent';
    await rejectsWith(buildPipeline({ preset: 'usb', device, width: 640, height: 480, fps: 30 }), 'CAMERA_NOT_FOUND', /\/dev\/video-sightline-test-absent/);
  });

  it('reports a missing filesrc file or multifilesrc folder as CAMERA_NOT_FOUND', async () => {
    const file = path.join(dir, 'absent.avi');
    await rejectsWith(`filesrc location="${file}" ! decodebin ! videoconvert ! appsink`, 'CAMERA_NOT_FOUND', new RegExp(`file ${file} does not exist`));
    const pattern = path.join(dir, 'nope', 'img%03d.png');
    await rejectsWith(`multifilesrc location=${pattern} ! pngdec ! appsink`, 'CAMERA_NOT_FOUND', /folder .*nope does not exist/);
  });

  it('gstInspectExists answers from gst-inspect-1.0 and caches', async () => {
    assert.equal(await gstInspectExists('videotestsrc'), true);
    assert.equal(await gstInspectExists('definitely-not-an-element'), false);
    assert.strictEqual(gstInspectExists('videotestsrc'), gstInspectExists('videotestsrc'));
  });

  it('warns, but goes on, when it cannot tell whether an element exists', async () => {
    const { log, entries } = recordingLogger();
    await checkPipeline('videotestsrc ! appsink', { exists: async () => null, log });
    assert.deepEqual(
      entries.filter((e) => e.level === 'warn').map((e) => e.fields.element),
      ['videotestsrc', 'appsink'],
    );
  });
});
