import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ConfigError, type ConfigErrorCode, type ConfigIssue } from '../../../firmware/config/config-error';
import { loadConfig, MAX_CONFIG_BYTES, parseConfig } from '../../../firmware/config/load-config';
import type { Config } from '../../../firmware/config/schema';
import { DEMO_FEATURED_PLATES } from '../../../drivers/camera/synthetic/featured-plates';

/** The error a config text gives; fails the test when it loads. */
function configError(text: string, code: ConfigErrorCode = 'CONFIG_INVALID'): ConfigError {
  try {
    parseConfig(text, 'test.yaml');
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    assert.equal(err.code, code, err.message);
    return err;
  }
  assert.fail('the config loaded');
}

function issueAt(err: ConfigError, keyPath: string): ConfigIssue {
  const issue = err.issues.find((i) => i.path === keyPath);
  assert.ok(issue, `no issue for ${keyPath} in:\n${err.message}`);
  return issue;
}

const lines = (...l: string[]) => `${l.join('\n')}\n`;

describe('loadConfig', () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'sightline-config-'));
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  function writeConfig(name: string, text: string): string {
    const file = path.join(dir, name);
    writeFileSync(file, text);
    return file;
  }

  it('gives every default without a file', () => {
    const config = loadConfig();
    assert.equal(config.camera.source, 'synthetic');
    assert.deepEqual(config.camera.synthetic, {
      width: 1920, height: 1080, fps: 25, seed: null, vehiclesPerMinute: 30, nightFraction: 0.3, featuredPlates: [...DEMO_FEATURED_PLATES], featuredShare: 0.1,
    });
    assert.deepEqual(config.camera.gstreamer, {
      preset: 'usb', pipeline: null, device: '/dev/video0', url: null, sensorId: 0, width: 1920, height: 1080, fps: 30,
    });
    assert.deepEqual(config.camera.folder, { path: null, fps: 0, loop: false });
    assert.deepEqual(config.camera.video, { path: null, realtime: true, loop: false });
    assert.deepEqual(config.camera.reconnect, { initialDelayMs: 500, maxDelayMs: 30000 });
    assert.deepEqual(config.recognizer, {
      workers: 'auto', threadsPerWorker: 1, detectLongSide: 960, localizer: 'finder', finderLongSide: 640, textFallbackBelow: 0, plateOcrModels: 4,
      wideViews: true, minConfidence: 0.5, ocr: 'both',
      roi: { x: 0, y: 0, width: 1, height: 1 },
      motionGate: { enabled: true, levelThreshold: 12, minChangedPercent: 0.2, heartbeatMs: 500 },
    });
    assert.deepEqual(config.pipeline, {
      tracker: { windowMs: 1500, maxTrackMs: 15000, minFrames: 2, confirmFrames: 3, maxAlternatives: 5 },
      plateFormat: { region: 'us', mode: 'downrank', custom: [] },
    });
    assert.deepEqual(config.store, {
      dataDir: './data',
      keyFile: null,
      quotaMB: 1024,
      protectedQuotaMB: 256,
      diskReserveMB: 8,
      retention: { readsDays: 30, hitsDays: 365, epochHours: 24 },
      purgeIntervalMinutes: 60,
    });
    assert.deepEqual(config.device, { id: null });
    assert.deepEqual(config.hotlist, { staleAfterHours: 24, maxConfusable: 1, reloadSeconds: 60 });
    assert.deepEqual(config.uplink, {
      enabled: true,
      url: null,
      identityDir: null,
      heartbeatSeconds: 10,
      connectTimeoutSeconds: 10,
      backoff: { initialMs: 1000, maxMs: 60000 },
      batchReads: 50,
      windowBatches: 8,
      maxBufferedMB: 1,
    });
    assert.deepEqual(config.log, { level: 'info' });
  });

  it('gives the defaults for an empty file or one with only comments', () => {
    assert.deepEqual(loadConfig(writeConfig('empty.yaml', '')), loadConfig());
    assert.deepEqual(loadConfig(writeConfig('comments.yaml', '# nothing set yet\n')), loadConfig());
  });

  it('fills in the defaults around a partial section', () => {
    const config = loadConfig(writeConfig('partial.yaml', lines('camera:', '  synthetic:', '    fps: 10')));
    assert.equal(config.camera.synthetic.fps, 10);
    assert.equal(config.camera.synthetic.width, 1920);
    assert.equal(config.camera.gstreamer.preset, 'usb');
  });

  it('loads a file that sets every key', () => {
    const full: Config = {
      camera: {
        source: 'gstreamer',
        gstreamer: {
          preset: 'custom',
          pipeline: 'v4l2src device=/dev/video2 ! videoconvert ! video/x-raw,format=BGR ! appsink drop=true max-buffers=1',
          device: '/dev/video2',
          url: 'rtsps://cam.local:8554/stream',
          sensorId: 1,
          width: 1280,
          height: 720,
          fps: 15,
        },
        folder: { path: '/srv/frames', fps: 2.5, loop: true },
        video: { path: '/srv/clip.mp4', realtime: false, loop: true },
        synthetic: { width: 640, height: 480, fps: 12, seed: 42, vehiclesPerMinute: 120, nightFraction: 0.75, featuredPlates: ['ABC1234', '7XYZ123'], featuredShare: 0.5 },
        reconnect: { initialDelayMs: 250, maxDelayMs: 10000 },
      },
      recognizer: { workers: 3, threadsPerWorker: 2, detectLongSide: 1280, localizer: 'text', finderLongSide: 512, textFallbackBelow: 0.7, plateOcrModels: 1, wideViews: false, minConfidence: 0.6, ocr: 'general',
        roi: { x: 0.1, y: 0.4, width: 0.8, height: 0.6 }, motionGate: { enabled: false, levelThreshold: 20, minChangedPercent: 1.5, heartbeatMs: 250 },
      },
      pipeline: {
        tracker: { windowMs: 2000, maxTrackMs: 20000, minFrames: 3, confirmFrames: 4, maxAlternatives: 2 },
        plateFormat: {
          region: 'none',
          mode: 'filter',
          custom: [
            { name: 'ca-standard', pattern: '[0-9][A-Z]{3}[0-9]{3}' },
            { name: 'vanity', pattern: '[A-Z0-9]{2,7}' },
          ],
        },
      },
      store: {
        dataDir: '/var/lib/sightline',
        keyFile: '/etc/sightline/store.kek',
        quotaMB: 4096,
        protectedQuotaMB: 512,
        diskReserveMB: 16,
        retention: { readsDays: 180, hitsDays: 730, epochHours: 12 },
        purgeIntervalMinutes: 15,
      },
      device: { id: 'cam-17.main-st' },
      hotlist: { staleAfterHours: 12, maxConfusable: 0, reloadSeconds: 30 },
      uplink: {
        enabled: false,
        url: 'wss://central.agency.example:8443',
        identityDir: '/etc/sightline/identity',
        heartbeatSeconds: 5,
        connectTimeoutSeconds: 3,
        backoff: { initialMs: 200, maxMs: 30000 },
        batchReads: 50,
        windowBatches: 2,
        maxBufferedMB: 2.5,
      },
      log: { level: 'debug' },
    };
    // JSON is YAML too; the YAML form is written by hand to exercise block syntax.
    assert.deepEqual(loadConfig(writeConfig('full.json', JSON.stringify(full, null, 2))), full);
    const yaml = lines(
      'camera:',
      '  source: gstreamer',
      '  gstreamer:',
      '    preset: custom',
      `    pipeline: "${full.camera.gstreamer.pipeline}"`,
      '    device: /dev/video2',
      '    url: rtsps://cam.local:8554/stream',
      '    sensorId: 1',
      '    width: 1280',
      '    height: 720',
      '    fps: 15',
      '  folder: { path: /srv/frames, fps: 2.5, loop: true }',
      '  video: { path: /srv/clip.mp4, realtime: false, loop: true }',
      '  synthetic: { width: 640, height: 480, fps: 12, seed: 42, vehiclesPerMinute: 120, nightFraction: 0.75, featuredPlates: [ABC1234, 7XYZ123], featuredShare: 0.5 }',
      '  reconnect: { initialDelayMs: 250, maxDelayMs: 10000 }',
      'recognizer: { workers: 3, threadsPerWorker: 2, detectLongSide: 1280, localizer: text, finderLongSide: 512, textFallbackBelow: 0.7, plateOcrModels: 1,',
      '  wideViews: false, minConfidence: 0.6, ocr: general,',
      '  roi: { x: 0.1, y: 0.4, width: 0.8, height: 0.6 },',
      '  motionGate: { enabled: false, levelThreshold: 20, minChangedPercent: 1.5, heartbeatMs: 250 } }',
      'pipeline:',
      '  tracker: { windowMs: 2000, maxTrackMs: 20000, minFrames: 3, confirmFrames: 4, maxAlternatives: 2 }',
      '  plateFormat:',
      '    region: none',
      '    mode: filter',
      '    custom:',
      "      - name: ca-standard",
      "        pattern: '[0-9][A-Z]{3}[0-9]{3}'",
      "      - name: vanity",
      "        pattern: '[A-Z0-9]{2,7}'",
      'store:',
      '  dataDir: /var/lib/sightline',
      '  keyFile: /etc/sightline/store.kek',
      '  quotaMB: 4096',
      '  protectedQuotaMB: 512',
      '  diskReserveMB: 16',
      '  retention: { readsDays: 180, hitsDays: 730, epochHours: 12 }',
      '  purgeIntervalMinutes: 15',
      'device: { id: cam-17.main-st }',
      'hotlist: { staleAfterHours: 12, maxConfusable: 0, reloadSeconds: 30 }',
      'uplink:',
      '  enabled: false',
      '  url: wss://central.agency.example:8443',
      '  identityDir: /etc/sightline/identity',
      '  heartbeatSeconds: 5',
      '  connectTimeoutSeconds: 3',
      '  backoff: { initialMs: 200, maxMs: 30000 }',
      '  batchReads: 50',
      '  windowBatches: 2',
      '  maxBufferedMB: 2.5',
      'log: { level: debug }',
    );
    assert.deepEqual(loadConfig(writeConfig('full.yaml', yaml)), full);
  });

  it('names the file, line, key, value and range for an out-of-range number', () => {
    const file = writeConfig('range.yaml', lines('# synthetic camera', 'camera:', '  source: synthetic', '', '  synthetic:', '    width: 1280', '    fps: 0'));
    let caught: unknown;
    try {
      loadConfig(file);
    } catch (err) {
      caught = err;
    }
    assert.ok(caught instanceof ConfigError);
    assert.equal(caught.code, 'CONFIG_INVALID');
    assert.deepEqual(caught.issues, [{ path: 'camera.synthetic.fps', value: 0, message: 'must be a number from 1 to 120', line: 7 }]);
    assert.equal(caught.message, `config ${file} line 7: camera.synthetic.fps = 0: must be a number from 1 to 120`);
  });

  it('reports a value of the wrong type', () => {
    const err = configError(lines('camera:', '  synthetic:', '    fps: fast', '    seed: 1.5', 'camera_x: 1'));
    assert.deepEqual(issueAt(err, 'camera.synthetic.fps'), {
      path: 'camera.synthetic.fps', value: 'fast', message: 'must be a number from 1 to 120', line: 3,
    });
    assert.deepEqual(issueAt(err, 'camera.synthetic.seed'), {
      path: 'camera.synthetic.seed', value: 1.5, message: 'must be an integer from 0 to 4294967295, or null', line: 4,
    });
    const section = configError(lines('camera:', '  folder: /srv/frames'));
    assert.match(issueAt(section, 'camera.folder').message, /must be a mapping with keys: path, fps, loop/);
    assert.equal(issueAt(section, 'camera.folder').line, 2);
  });

  it('lists the allowed values of an enum', () => {
    const err = configError(lines('log:', '  level: verbose', 'camera:', '  source: webcam'));
    assert.deepEqual(issueAt(err, 'camera.source'), {
      path: 'camera.source', value: 'webcam', message: 'must be one of synthetic, gstreamer, folder, video', line: 4,
    });
    assert.deepEqual(issueAt(err, 'log.level'), {
      path: 'log.level', value: 'verbose', message: 'must be one of fatal, error, warn, info, debug, trace, silent', line: 2,
    });
    assert.match(err.message, /line 4: camera\.source = "webcam": must be one of synthetic, gstreamer, folder, video/);
  });

  it('names an unknown key and lists the allowed ones', () => {
    const err = configError(lines('camera:', '  synthetic:', '    fsp: 12', 'recognizr:', '  workers: 2'));
    assert.deepEqual(issueAt(err, 'camera.synthetic.fsp'), {
      path: 'camera.synthetic.fsp',
      value: 12,
      message: 'unknown key; allowed keys: width, height, fps, seed, vehiclesPerMinute, nightFraction, featuredPlates, featuredShare',
      line: 3,
    });
    const top = issueAt(err, 'recognizr');
    assert.equal(top.line, 4);
    assert.match(top.message, /allowed keys: camera, recognizer, pipeline, store, device, hotlist, uplink, log/);
  });

  it('requires the path of a folder or video source', () => {
    const folder = configError(lines('camera:', '  source: folder', '  folder:', '    loop: true'));
    // The error points at the key that made the path required.
    assert.deepEqual(folder.issues, [{ path: 'camera.folder.path', value: undefined, message: 'required when camera.source is folder', line: 2 }]);
    assert.match(folder.message, /line 2: camera\.folder\.path = \(not set\): required when camera\.source is folder/);
    const video = configError(lines('log:', '  level: warn', 'camera:', '  source: video'));
    assert.deepEqual(video.issues, [{ path: 'camera.video.path', value: undefined, message: 'required when camera.source is video', line: 4 }]);
    const nullPath = configError(lines('camera:', '  source: folder', '  folder:', '    path: null'));
    assert.deepEqual(nullPath.issues, [{ path: 'camera.folder.path', value: null, message: 'required when camera.source is folder', line: 4 }]);
  });

  it('requires the pipeline of the custom preset and the url of the rtsp preset, and checks both', () => {
    const custom = configError(lines('camera:', '  gstreamer:', '    preset: custom'));
    assert.equal(issueAt(custom, 'camera.gstreamer.pipeline').message, 'required when camera.gstreamer.preset is custom');
    const rtsp = configError(lines('camera:', '  gstreamer:', '    preset: rtsp'));
    assert.equal(issueAt(rtsp, 'camera.gstreamer.url').message, 'required when camera.gstreamer.preset is rtsp');

    const bad = configError(
      lines('camera:', '  gstreamer:', '    preset: custom', '    pipeline: videotestsrc ! appsink ! fakesink', '    url: http://cam/stream'),
    );
    assert.match(issueAt(bad, 'camera.gstreamer.pipeline').message, /must end in an appsink element/);
    assert.equal(issueAt(bad, 'camera.gstreamer.pipeline').line, 4);
    assert.equal(issueAt(bad, 'camera.gstreamer.url').message, 'must be an rtsp:// or rtsps:// URL, or null');
    assert.equal(issueAt(bad, 'camera.gstreamer.url').line, 5);
  });

  it('checks the region of interest stays inside the frame, and the motion gate\'s heartbeat against the tracker', () => {
    const err = configError(
      lines('recognizer:', '  roi: { x: 0.5, y: 0.25, width: 0.6, height: 0.75 }', '  motionGate:', '    heartbeatMs: 1500'),
    );
    assert.equal(issueAt(err, 'recognizer.roi.width').message, 'x + width must be at most 1 (x is 0.5)');
    assert.equal(issueAt(err, 'recognizer.roi.width').line, 2);
    assert.equal(issueAt(err, 'recognizer.motionGate.heartbeatMs').message, 'must be below pipeline.tracker.windowMs (1500) while the motion gate is enabled');
    assert.equal(issueAt(err, 'recognizer.motionGate.heartbeatMs').line, 4);
    assert.equal(err.issues.length, 2, 'y + height = 1 is inside the frame');
    // The gate off, its heartbeat does not matter.
    assert.equal(parseConfig(lines('recognizer:', '  motionGate: { enabled: false, heartbeatMs: 5000 }'), 't').recognizer.motionGate.heartbeatMs, 5000);
  });

  it('checks that delays and track times are in order', () => {
    const err = configError(
      lines('camera:', '  reconnect:', '    initialDelayMs: 5000', '    maxDelayMs: 1000', 'pipeline:', '  tracker:', '    windowMs: 3000', '    maxTrackMs: 2000'),
    );
    assert.deepEqual(issueAt(err, 'camera.reconnect.maxDelayMs'), {
      path: 'camera.reconnect.maxDelayMs', value: 1000, message: 'must be at least camera.reconnect.initialDelayMs (5000)', line: 4,
    });
    assert.deepEqual(issueAt(err, 'pipeline.tracker.maxTrackMs'), {
      path: 'pipeline.tracker.maxTrackMs', value: 2000, message: 'must be at least pipeline.tracker.windowMs (3000)', line: 8,
    });
  });

  it('accepts "auto" or a bounded integer for workers', () => {
    assert.equal(parseConfig('recognizer: { workers: auto }', 't').recognizer.workers, 'auto');
    assert.equal(parseConfig('recognizer: { workers: 4 }', 't').recognizer.workers, 4);
    for (const bad of ['0', '65', '2.5', 'many']) {
      const err = configError(`recognizer: { workers: ${bad} }`);
      assert.equal(issueAt(err, 'recognizer.workers').message, 'must be "auto" or an integer from 1 to 64', bad);
    }
    assert.equal(issueAt(configError('recognizer: { detectLongSide: 1000 }'), 'recognizer.detectLongSide').message, 'must be a multiple of 32 from 320 to 2048');
  });

  it('names the entry and the regex error of a plate format that does not compile', () => {
    const err = configError(
      lines(
        'pipeline:',
        '  plateFormat:',
        '    custom:',
        '      - name: good',
        "        pattern: '[A-Z]{3}[0-9]{4}'",
        '      - name: broken',
        "        pattern: '[A-Z{3}'",
        '      - name: escapes-anchor',
        "        pattern: 'A)|(B'",
        '      - name: good',
        "        pattern: 'X'",
      ),
    );
    const broken = issueAt(err, 'pipeline.plateFormat.custom[1].pattern');
    assert.equal(broken.value, '[A-Z{3}');
    assert.equal(broken.line, 7);
    assert.match(broken.message, /^is not a valid regular expression: .*Unterminated character class/);
    assert.equal(issueAt(err, 'pipeline.plateFormat.custom[2].pattern').line, 9);
    assert.match(issueAt(err, 'pipeline.plateFormat.custom[3].name').message, /duplicates an earlier rule name "good"/);
    assert.equal(err.issues.length, 3, err.message);

    const incomplete = configError(lines('pipeline:', '  plateFormat:', '    custom:', '      - name: no-pattern'));
    assert.deepEqual(issueAt(incomplete, 'pipeline.plateFormat.custom[0].pattern'), {
      path: 'pipeline.plateFormat.custom[0].pattern', value: undefined, message: 'missing; must be a regular expression (a string)', line: 4,
    });
  });

  it('refuses a featured plate the synthetic scene cannot draw, naming the key, the plate and the formats', () => {
    const err = configError(
      lines('camera:', '  synthetic:', '    featuredPlates:', '      - 8DEM123', '      - HELLO', '      - 12', '    featuredShare: 1.5'),
    );
    const hello = issueAt(err, 'camera.synthetic.featuredPlates[1]');
    assert.equal(hello.value, 'HELLO');
    assert.equal(hello.line, 5);
    assert.match(hello.message, /^must fit one of the synthetic scene's plate formats: DLLLDDD \(california\), LLLDDDD \(three-letters-four-digits\), .*LLDDD \(five-character\); L is a letter other than I, O or Q, D a digit$/);
    assert.match(err.message, /line 5: camera\.synthetic\.featuredPlates\[1\] = "HELLO": must fit one of the synthetic scene's plate formats: DLLLDDD/);
    assert.equal(issueAt(err, 'camera.synthetic.featuredPlates[2]').message, 'must be a plate (a string)');
    assert.equal(issueAt(err, 'camera.synthetic.featuredShare').message, 'must be a number from 0 to 1');
    assert.equal(err.issues.length, 3, err.message);
    // A letter the formats leave out (O) is refused too: the plate could never be drawn as given.
    assert.ok(issueAt(configError('camera: { synthetic: { featuredPlates: [8DOM123] } }'), 'camera.synthetic.featuredPlates[0]'));
    assert.deepEqual(parseConfig('camera: { synthetic: { featuredPlates: [], featuredShare: 0 } }', 't').camera.synthetic.featuredPlates, []);
  });

  it('reports every issue at once, in file order, one per line of the message', () => {
    const err = configError(
      lines(
        'camera:',
        '  source: folder', // no folder.path
        '  synthetic:',
        '    fps: "x"', // wrong type: the folder rule must still run
        '    fsp: 12',
        'recognizer:',
        '  minConfidence: 2',
        'log: { level: loud }',
      ),
    );
    assert.deepEqual(
      err.issues.map((i) => [i.path, i.line]),
      [
        ['camera.folder.path', 2],
        ['camera.synthetic.fps', 4],
        ['camera.synthetic.fsp', 5],
        ['recognizer.minConfidence', 7],
        ['log.level', 8],
      ],
    );
    const messageLines = err.message.split('\n');
    assert.equal(messageLines.length, 5);
    for (const line of messageLines) assert.match(line, /^config test\.yaml line \d+: \S+ = .+: .+$/);
  });

  it('gives the line of a YAML syntax error', () => {
    const err = configError(lines('camera:', '  source: synthetic', '  synthetic:', '    fps: [25', 'log:', '  level: info'), 'CONFIG_SYNTAX');
    assert.ok(err.issues.length >= 1);
    assert.equal(err.issues[0].path, '');
    assert.equal(typeof err.issues[0].line, 'number');
    assert.ok(err.issues[0].line! >= 4, `line ${err.issues[0].line}`);
    assert.match(err.message, /^config test\.yaml line \d+: YAML syntax error: /);

    const quote = configError(lines('log:', '  level: "info'), 'CONFIG_SYNTAX');
    assert.match(quote.issues[0].message, /Missing closing "quote/);

    const duplicate = configError(lines('log:', '  level: info', 'log:', '  level: debug'), 'CONFIG_SYNTAX');
    assert.equal(duplicate.issues[0].line, 3);
    assert.match(duplicate.issues[0].message, /unique/);
  });

  it('refuses a file that is not a mapping', () => {
    const err = configError(lines('- camera', '- log'));
    assert.equal(err.issues[0].path, '');
    assert.equal(err.issues[0].line, 1);
    assert.match(err.issues[0].message, /must be a mapping with keys: camera, recognizer, pipeline, store, device, hotlist, uplink, log/);
  });

  it('names a file that cannot be read, or is too large to be a config', () => {
    const missing = path.join(dir, 'missing.yaml');
    assert.throws(() => loadConfig(missing), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.equal(err.code, 'CONFIG_UNREADABLE');
      assert.match(err.message, new RegExp(`^config ${missing}: cannot open the file: ENOENT`));
      return true;
    });
    const huge = writeConfig('huge.yaml', `# ${'x'.repeat(MAX_CONFIG_BYTES)}\n`);
    assert.throws(() => loadConfig(huge), (err: unknown) => err instanceof ConfigError && err.code === 'CONFIG_UNREADABLE' && /at most/.test(err.message));
    assert.throws(() => loadConfig(dir), (err: unknown) => err instanceof ConfigError && err.code === 'CONFIG_UNREADABLE' && err.message.includes(dir));
  });
});
