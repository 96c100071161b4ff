/**
 * The appliance configuration: its shape, defaults, allowed values and documentation live here
 * and only here. `Config` is inferred from the schema, `describeDefaults()` renders the documented
 * defaults from it, and the error messages of the builders below say what each key allows.
 */
import { z } from 'zod';
import { DEMO_FEATURED_PLATES, featuredPlateProblem } from '../../drivers/camera/synthetic/featured-plates';
import { FOUND_PLATE_OCR_MODELS } from '../../recognizer/found-plate-ocr-models';

/**
 * What a key allows, in words ("an integer from 1 to 120"). The builders register it so error
 * messages ("must be ...") and the rendered documentation ("Allowed: ...") use the same text.
 */
export const allowedValues = z.registry<{ allowed: string }>();

function allowing<T extends z.ZodType>(schema: T, allowed: string): T {
  allowedValues.add(schema, { allowed });
  return schema;
}

function intIn(min: number, max: number): z.ZodInt {
  const allowed = `an integer from ${min} to ${max}`;
  const error = `must be ${allowed}`;
  return allowing(z.int({ error }).min(min, { error }).max(max, { error }), allowed);
}

function numberIn(min: number, max: number): z.ZodNumber {
  const allowed = `a number from ${min} to ${max}`;
  const error = `must be ${allowed}`;
  return allowing(z.number({ error }).min(min, { error }).max(max, { error }), allowed);
}

function oneOf<const T extends readonly [string, ...string[]]>(values: T) {
  const allowed = `one of ${values.join(', ')}`;
  return allowing(z.enum(values, { error: `must be ${allowed}` }), allowed);
}

function flag(): z.ZodBoolean {
  return allowing(z.boolean({ error: 'must be true or false' }), 'true or false');
}

/** A non-empty string, or null when the key is unused. */
function textOrNull(what: string) {
  const allowed = `${what}, or null`;
  const error = `must be ${allowed}`;
  return allowing(z.string({ error }).min(1, { error }).max(4096, { error }).nullable(), allowed);
}

/**
 * A strict section: an unknown key (a typo such as `fsp`) is an error that lists the keys the
 * section does allow, never silently ignored.
 */
function section<S extends z.ZodRawShape>(shape: S) {
  const keys = Object.keys(shape).join(', ');
  return z.strictObject(shape, {
    error: (issue) =>
      issue.code === 'unrecognized_keys'
        ? `unknown key; allowed keys: ${keys}`
        : `must be a mapping with keys: ${keys}`,
  });
}

/**
 * Cross-field rules run even when other keys of the section are bad (so every problem is
 * reported at once), but only when the fields the rule reads parsed cleanly.
 */
function whenValid(...fields: string[][]) {
  return (payload: { issues: readonly { path?: readonly PropertyKey[] }[] }): boolean =>
    !payload.issues.some((issue) => {
      const path = issue.path ?? [];
      return fields.some((field) => {
        const n = Math.min(path.length, field.length);
        for (let i = 0; i < n; i++) if (path[i] !== field[i]) return false;
        return true;
      });
    });
}

/**
 * Marks a "required when" issue with the key that made the missing key required, so the error can
 * point at that key's line when the missing one has no line of its own.
 */
export interface RequiredBecause {
  because: string[];
}

function becauseOf(...path: string[]): RequiredBecause {
  return { because: path };
}

const gstreamerPipeline = allowing(
  z
    .string({ error: 'must be a GStreamer pipeline ending in appsink, or null' })
    .min(1, { error: 'must be a GStreamer pipeline ending in appsink, or null' })
    .max(4096, { error: 'must be at most 4096 characters' })
    .refine((p) => /^appsink(\s|$)/.test(p.split('!').pop()!.trim()), {
      error: 'must end in an appsink element (e.g. "... ! videoconvert ! appsink")',
    })
    .nullable(),
  'a GStreamer pipeline ending in appsink, or null',
);

const rtspUrl = allowing(
  z
    .string({ error: 'must be an rtsp:// or rtsps:// URL, or null' })
    .max(2048, { error: 'must be at most 2048 characters' })
    .refine((u) => /^rtsps?:\/\/[^\s/]+/i.test(u) && URL.canParse(u), {
      error: 'must be an rtsp:// or rtsps:// URL, or null',
    })
    .nullable(),
  'an rtsp:// or rtsps:// URL, or null',
);

const devicePath = allowing(
  z
    .string({ error: 'must be a device path such as /dev/video0' })
    .regex(/^\/dev\/\S+$/, { error: 'must be a device path such as /dev/video0' }),
  'a device path such as /dev/video0',
);

const gstreamer = section({
  preset: oneOf(['pi', 'jetson', 'usb', 'rtsp', 'custom'])
    .default('usb')
    .describe('Pipeline preset: pi (libcamerasrc), jetson (nvarguscamerasrc), usb (v4l2src), rtsp (rtspsrc) or custom.'),
  pipeline: gstreamerPipeline
    .default(null)
    .describe('The whole GStreamer pipeline for the custom preset (required there); it must end in appsink.'),
  device: devicePath.default('/dev/video0').describe('V4L2 device of the usb preset.'),
  url: rtspUrl.default(null).describe('Camera stream of the rtsp preset (required there).'),
  sensorId: intIn(0, 15).default(0).describe('CSI sensor of the jetson preset.'),
  width: intIn(160, 7680).default(1920).describe('Frame width asked of the camera, pixels.'),
  height: intIn(120, 4320).default(1080).describe('Frame height asked of the camera, pixels.'),
  fps: numberIn(1, 120).default(30).describe('Frame rate asked of the camera.'),
}).superRefine(
  (g, ctx) => {
    if (g.preset === 'custom' && g.pipeline === null) {
      ctx.addIssue({ code: 'custom', path: ['pipeline'], message: 'required when camera.gstreamer.preset is custom', params: becauseOf('camera', 'gstreamer', 'preset') });
    }
    if (g.preset === 'rtsp' && g.url === null) {
      ctx.addIssue({ code: 'custom', path: ['url'], message: 'required when camera.gstreamer.preset is rtsp', params: becauseOf('camera', 'gstreamer', 'preset') });
    }
  },
  { when: whenValid(['preset'], ['pipeline'], ['url']) },
);

const folder = section({
  path: textOrNull('a folder path')
    .default(null)
    .describe('Folder of images replayed in name order (required when camera.source is folder).'),
  fps: numberIn(0, 120).default(0).describe('Replay rate; 0 = as fast as the recognizer takes them.'),
  loop: flag().default(false).describe('Start over after the last image instead of ending.'),
});

const video = section({
  path: textOrNull('a video file path')
    .default(null)
    .describe('Video file replayed (required when camera.source is video).'),
  realtime: flag().default(true).describe('Pace frames at the file\'s own frame rate; false = as fast as they decode.'),
  loop: flag().default(false).describe('Start over at the end instead of ending.'),
});

const synthetic = section({
  width: intIn(320, 3840).default(1920).describe('Frame width, pixels.'),
  height: intIn(240, 2160).default(1080).describe('Frame height, pixels.'),
  fps: numberIn(1, 120).default(25).describe('Frames per second.'),
  seed: allowing(
    z
      .int({ error: 'must be an integer from 0 to 4294967295, or null' })
      .min(0, { error: 'must be an integer from 0 to 4294967295, or null' })
      .max(0xffffffff, { error: 'must be an integer from 0 to 4294967295, or null' })
      .nullable(),
    'an integer from 0 to 4294967295, or null',
  )
    .default(null)
    .describe('Random seed, so a scene can be replayed exactly; null = a new scene each start.'),
  vehiclesPerMinute: numberIn(1, 600).default(30).describe('Traffic density.'),
  nightFraction: numberIn(0, 1).default(0.3).describe('Share of vehicles shown in night (IR) conditions.'),
  featuredPlates: allowing(
    z
      .array(
        z.string({ error: 'must be a plate (a string)' }).superRefine((plate, ctx) => {
          // The config error names the key, its line and the plate; the message says what fits.
          const problem = featuredPlateProblem(plate);
          if (problem !== null) ctx.addIssue({ code: 'custom', message: problem });
        }),
        { error: 'must be a list of plates' },
      )
      .max(100, { error: 'must have at most 100 plates' }),
    'a list of at most 100 plates, each in a plate format of the scene (e.g. 7ABC123, ABC1234)',
  )
    .default([...DEMO_FEATURED_PLATES])
    .describe(
      'Plates shown on featuredShare of the vehicles; by default those of the demo hub\'s DEMO hotlist (`make run`), so its alerts show; [] = none.',
    ),
  featuredShare: numberIn(0, 1)
    .default(0.1)
    .describe('Share of vehicles carrying one of featuredPlates instead of a random plate: 0.1 at 30 vehicles/minute is about one every 20 s; 0 = none.'),
});

const reconnect = section({
  initialDelayMs: intIn(10, 60_000).default(500).describe('First wait before reopening a camera that failed, ms; doubles on each failure.'),
  maxDelayMs: intIn(10, 3_600_000)
    .default(30_000)
    .describe('Longest wait between reopen attempts, ms; at least initialDelayMs.'),
}).superRefine(
  (r, ctx) => {
    if (r.maxDelayMs < r.initialDelayMs) {
      ctx.addIssue({
        code: 'custom',
        path: ['maxDelayMs'],
        message: `must be at least camera.reconnect.initialDelayMs (${r.initialDelayMs})`,
      });
    }
  },
  { when: whenValid(['initialDelayMs'], ['maxDelayMs']) },
);

const camera = section({
  source: oneOf(['synthetic', 'gstreamer', 'folder', 'video'])
    .default('synthetic')
    .describe('Where frames come from: a synthetic traffic scene, a GStreamer camera, a folder of images or a video file.'),
  gstreamer: gstreamer.prefault({}).describe('Live camera through a GStreamer pipeline (camera.source: gstreamer).'),
  folder: folder.prefault({}).describe('Replay of a folder of images (camera.source: folder).'),
  video: video.prefault({}).describe('Replay of a video file (camera.source: video).'),
  synthetic: synthetic.prefault({}).describe('Generated traffic whose frames carry their ground truth (camera.source: synthetic).'),
  reconnect: reconnect.prefault({}).describe('Back-off when a live camera fails or disappears.'),
}).superRefine(
  (c, ctx) => {
    if (c.source === 'folder' && c.folder.path === null) {
      ctx.addIssue({ code: 'custom', path: ['folder', 'path'], message: 'required when camera.source is folder', params: becauseOf('camera', 'source') });
    }
    if (c.source === 'video' && c.video.path === null) {
      ctx.addIssue({ code: 'custom', path: ['video', 'path'], message: 'required when camera.source is video', params: becauseOf('camera', 'source') });
    }
  },
  { when: whenValid(['source'], ['folder', 'path'], ['video', 'path']) },
);

const workers = allowing(
  z.union(
    [
      z.literal('auto'),
      z
        .int({ error: 'must be "auto" or an integer from 1 to 64' })
        .min(1, { error: 'must be "auto" or an integer from 1 to 64' })
        .max(64, { error: 'must be "auto" or an integer from 1 to 64' }),
    ],
    { error: 'must be "auto" or an integer from 1 to 64' },
  ),
  'auto (cores - 1, at least 1) or an integer from 1 to 64',
);

/** A model input's long side: the networks halve it five times. */
function modelInputSide() {
  const error = 'must be a multiple of 32 from 320 to 2048';
  return allowing(z.int({ error }).min(320, { error }).max(2048, { error }).multipleOf(32, { error }), 'a multiple of 32 from 320 to 2048');
}

const motionGate = section({
  enabled: flag()
    .default(true)
    .describe(
      'Live frames in which nothing moved inside recognizer.roi since the last frame read are not read (most of a fixed camera\'s frames show an empty road); false = every frame is read.',
    ),
  levelThreshold: intIn(1, 254)
    .default(12)
    .describe('A point of the frame (grey, shrunk to 160 px wide) has changed when its level moved by more than this, 0-255.'),
  minChangedPercent: numberIn(0, 100)
    .default(0.2)
    .describe('A frame has motion when at least this percentage of its points changed.'),
  heartbeatMs: intIn(0, 60_000)
    .default(500)
    .describe(
      'A frame is read at least this often even without motion, ms: a vehicle stopped in view stays tracked (keep it below pipeline.tracker.windowMs) and a slow change is read anyway.',
    ),
});

const roi = section({
  x: numberIn(0, 1).default(0).describe('Left edge, as a fraction of the frame width.'),
  y: numberIn(0, 1).default(0).describe('Top edge, as a fraction of the frame height.'),
  width: numberIn(0.05, 1).default(1).describe('Width, as a fraction of the frame width.'),
  height: numberIn(0.05, 1).default(1).describe('Height, as a fraction of the frame height.'),
}).superRefine(
  (r, ctx) => {
    if (r.x + r.width > 1 + 1e-9) ctx.addIssue({ code: 'custom', path: ['width'], message: `x + width must be at most 1 (x is ${r.x})` });
    if (r.y + r.height > 1 + 1e-9) ctx.addIssue({ code: 'custom', path: ['height'], message: `y + height must be at most 1 (y is ${r.y})` });
  },
  { when: whenValid(['x'], ['y'], ['width'], ['height']) },
);

const recognizer = section({
  workers: workers.default('auto').describe('Recognizer worker threads.'),
  threadsPerWorker: intIn(1, 16).default(1).describe('onnxruntime intra-op threads in each worker.'),
  detectLongSide: modelInputSide()
    .default(960)
    .describe('Long side of the text-line detector\'s input, pixels; larger finds smaller plates, slower.'),
  localizer: oneOf(['finder', 'text'])
    .default('finder')
    .describe(
      'How plates are found: finder = the plate finder trained for Sightline (whole plates, read by the plate OCR; fast); text = PP-OCR\'s text-line detector (lines read by `ocr`; slow).',
    ),
  finderLongSide: modelInputSide()
    .default(640)
    .describe('Long side of the plate finder\'s input, pixels; larger finds smaller plates, slower.'),
  textFallbackBelow: numberIn(0, 1)
    .default(0)
    .describe(
      'With the finder: when no plate it found reads at least this confidently, PP-OCR\'s text-line detector runs on the whole frame too (about 100 ms more on a 2-core machine, and its models in memory). 0 = never.',
    ),
  plateOcrModels: intIn(1, FOUND_PLATE_OCR_MODELS.length)
    .default(FOUND_PLATE_OCR_MODELS.length)
    .describe(
      'With the finder: how many plate OCR models read each found plate, their views voting by CTC probability. 4 = plate-ocr, plate-ocr-lines, plate-ocr-seed7 and plate-ocr-seed11, the last only for plates the first three leave in doubt (most plates read exactly; each model adds about 0.3 ms per plate view); 3, 2 = the first three, the first two; 1 = plate-ocr alone (fastest, for a slow board).',
    ),
  wideViews: flag()
    .default(true)
    .describe(
      'With the finder: a found plate whose whole view leaves doubt is read in two views widened sideways too, which recover a first or last character the finder\'s box cut off (on the dev photos, 1.6 ms more OCR time per photo on average on a 2-core machine); false = its bands only.',
    ),
  minConfidence: numberIn(0, 1).default(0.5).describe('Plate candidates below this confidence are dropped.'),
  roi: roi
    .prefault({})
    .describe('The part of the frame where plates are looked for and motion is watched (the lanes), as fractions of the frame; the whole frame by default.'),
  motionGate: motionGate.prefault({}).describe('Skips live frames in which nothing moved (recognizer/preprocess/motion-gate).'),
  ocr: oneOf(['both', 'plate', 'general'])
    .default('both')
    .describe(
      'Character reader: plate = the plate OCR model trained for Sightline; general = PP-OCR\'s general text recognizer; both = each line read by both, agreeing readings merged.',
    ),
});

const tracker = section({
  windowMs: intIn(100, 60_000)
    .default(1500)
    .describe('A vehicle\'s read is emitted once it has not been seen for this long, ms.'),
  maxTrackMs: intIn(100, 600_000)
    .default(15_000)
    .describe('A track still seen after this long is emitted anyway, ms; at least windowMs.'),
  minFrames: intIn(1, 100).default(2).describe('Tracks seen in fewer frames are dropped as noise.'),
  confirmFrames: intIn(1, 100)
    .default(3)
    .describe('A read is emitted as soon as this many frames agree on its text, without waiting for the vehicle to leave.'),
  maxAlternatives: intIn(0, 5).default(5).describe('Other readings kept with each read.'),
}).superRefine(
  (t, ctx) => {
    if (t.maxTrackMs < t.windowMs) {
      ctx.addIssue({
        code: 'custom',
        path: ['maxTrackMs'],
        message: `must be at least pipeline.tracker.windowMs (${t.windowMs})`,
      });
    }
  },
  { when: whenValid(['windowMs'], ['maxTrackMs']) },
);

const formatName = allowing(
  z
    .string({ error: 'must be 1 to 32 letters, digits, - or _' })
    .regex(/^[A-Za-z0-9_-]{1,32}$/, { error: 'must be 1 to 32 letters, digits, - or _' }),
  '1 to 32 letters, digits, - or _',
);

const formatPattern = allowing(
  z
    .string({ error: 'must be a regular expression (a string)' })
    .min(1, { error: 'must be a non-empty regular expression' })
    .max(256, { error: 'must be at most 256 characters' })
    .superRefine((pattern, ctx) => {
      // Compiled alone first: `A)|(B` is invalid alone yet valid once wrapped in ^(?:...)$.
      for (const source of [pattern, `^(?:${pattern})$`]) {
        try {
          new RegExp(source);
        } catch (err) {
          ctx.addIssue({ code: 'custom', message: `is not a valid regular expression: ${(err as Error).message}` });
          return;
        }
      }
    }),
  'a regular expression, anchored to the whole plate',
);

const customFormat = section({
  name: formatName.describe('Rule name, recorded with each read whose text it matches.'),
  pattern: formatPattern.describe('Regular expression over the plate text (A-Z, 0-9).'),
});

const plateFormat = section({
  region: oneOf(['us', 'none']).default('us').describe('Built-in plate formats of a region; none = no built-in rules.'),
  mode: oneOf(['downrank', 'filter'])
    .default('downrank')
    .describe('What happens to text no rule matches: downrank keeps it with a lower confidence, filter drops it.'),
  custom: allowing(
    z
      .array(customFormat, { error: 'must be a list of { name, pattern } entries' })
      .max(32, { error: 'must have at most 32 entries' })
      .superRefine((rules, ctx) => {
        const seen = new Set<string>();
        rules.forEach((rule, i) => {
          if (seen.has(rule.name)) {
            ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `duplicates an earlier rule name "${rule.name}"` });
          }
          seen.add(rule.name);
        });
      }),
    'a list of at most 32 { name, pattern } entries',
  )
    .default([])
    .describe('Extra plate formats, tried before the region\'s.'),
});

const pipeline = section({
  tracker: tracker.prefault({}).describe('Voting candidates of one vehicle across frames into one read.'),
  plateFormat: plateFormat.prefault({}).describe('Plate-format rules that score or reject read text.'),
});

const retention = section({
  readsDays: intIn(1, 3650).default(30).describe('Reads that matched no hotlist are purged this many days after they were seen (POLICY P2).'),
  hitsDays: intIn(1, 3650).default(365).describe('Hotlist hits (alerts) are purged this many days after they were seen.'),
  epochHours: intIn(1, 168)
    .default(24)
    .describe('Each epoch of this many hours has its own data key, destroyed once its last record has expired (crypto-shredding).'),
});

const store = section({
  dataDir: allowing(
    z
      .string({ error: 'must be a directory path' })
      .min(1, { error: 'must be a directory path' })
      .max(4096, { error: 'must be at most 4096 characters' }),
    'a directory path',
  )
    .default('./data')
    .describe('Where reads are kept; a relative path is taken from the current directory at start.'),
  keyFile: textOrNull('a file path')
    .default(null)
    .describe('The key-encryption key (32 bytes, 0600) that wraps the data keys; null = store.kek in the data directory, created with a new store.'),
  quotaMB: intIn(1, 1_048_576).default(1024).describe('Ring quota: reads past it evict expired, then acknowledged, then not-yet-uploaded reads (counted as lost).'),
  protectedQuotaMB: intIn(1, 1_048_576)
    .default(256)
    .describe('Quota of alerts and held records, which are never evicted; writes past it are refused.'),
  diskReserveMB: intIn(0, 1024)
    .default(8)
    .describe('Space kept in reserve.bin and given up when the disk fills, so eviction can run; 0 = none.'),
  retention: retention.prefault({}).describe('How long each class of record is kept.'),
  purgeIntervalMinutes: intIn(1, 1440).default(60).describe('How often expired records are purged while running.'),
});


const wssUrl = allowing(
  z
    .string({ error: 'must be a wss:// URL, or null' })
    .max(2048, { error: 'must be at most 2048 characters' })
    .refine((u) => /^wss:\/\/[^\s/]+/i.test(u) && URL.canParse(u), { error: 'must be a wss:// URL, or null' })
    .nullable(),
  'a wss:// URL, or null',
);

const backoff = section({
  initialMs: intIn(10, 600_000).default(1000).describe('Longest wait before the first reconnect, ms; each failure doubles it (full jitter: the wait is random below it).'),
  maxMs: intIn(10, 3_600_000).default(60_000).describe('Cap of the reconnect wait, ms; at least initialMs.'),
}).superRefine(
  (b, ctx) => {
    if (b.maxMs < b.initialMs) {
      ctx.addIssue({ code: 'custom', path: ['maxMs'], message: `must be at least uplink.backoff.initialMs (${b.initialMs})` });
    }
  },
  { when: whenValid(['initialMs'], ['maxMs']) },
);

const device = section({
  id: allowing(
    z
      .string({ error: 'must be 1 to 64 letters, digits, ".", "_" or "-", or null' })
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, { error: 'must be 1 to 64 letters, digits, ".", "_" or "-", or null' })
      .nullable(),
    '1 to 64 letters, digits, ".", "_" or "-", or null',
  )
    .default(null)
    .describe('This appliance\'s name in its certificate and at central; null = the host name.'),
});

const uplink = section({
  enabled: flag().default(true).describe('Upload to central and take its commands once the device is enrolled (sightline provision enroll); false = never connect.'),
  url: wssUrl.default(null).describe('Central\'s uplink; null = the one given at enrollment.'),
  identityDir: textOrNull('a directory path')
    .default(null)
    .describe('The device key, certificate and pinned central CA (0700); null = identity in the data directory.'),
  heartbeatSeconds: numberIn(0.1, 600).default(10).describe('Ping interval; a peer silent for two intervals is taken for dead and the link reopened.'),
  connectTimeoutSeconds: numberIn(0.1, 600).default(10).describe('A connection not open (TCP, TLS, WebSocket) after this long is abandoned and retried.'),
  backoff: backoff.prefault({}).describe('Waits between reconnects: exponential, full jitter, capped.'),
  batchReads: intIn(1, 500).default(50).describe('Reads per upload batch.'),
  windowBatches: intIn(1, 64).default(8).describe('Backlog batches sent and not yet acknowledged, at most; alerts are sent at once regardless.'),
  maxBufferedMB: numberIn(0.1, 1024).default(1).describe('No new backlog batch is sent while more than this is waiting in the socket: an alert never queues behind more.'),
});

const hotlist = section({
  staleAfterHours: intIn(1, 720)
    .default(24)
    .describe('A list not refreshed for this long raises a health warning and marks its alerts "hotlist stale since ..." (POLICY P6).'),
  maxConfusable: intIn(0, 3)
    .default(1)
    .describe('Most look-alike characters (O/0/D/Q, I/1/L/T, B/8, S/5, Z/2, G/6) a fuzzy match may differ by; 0 turns confusion-aware matching off. Two would alert on about 1 in 1,200 random plates that differ in two characters.'),
  reloadSeconds: intIn(5, 3600)
    .default(60)
    .describe('How often the lists in DATA/hotlists are read again, besides on every change the file system reports (sightline hotlist load).'),
});

const log = section({
  level: oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info').describe('Least severe level written.'),
});

export const configSchema = section({
  camera: camera.prefault({}).describe('Frame source.'),
  recognizer: recognizer.prefault({}).describe('Frames to plate candidates.'),
  pipeline: pipeline.prefault({}).describe('Candidates to reads.'),
  store: store.prefault({}).describe('Read storage on this device.'),
  device: device.prefault({}).describe('This appliance.'),
  hotlist: hotlist.prefault({}).describe('Hotlists matched against every read.'),
  uplink: uplink.prefault({}).describe('The mutual-TLS WebSocket to the agency\'s central service (POLICY P12, P13).'),
  log: log.prefault({}).describe('Logging.'),
})
  .superRefine(
    (c, ctx) => {
      // A vehicle stopped in view is seen only at heartbeats: a longer gap ends its track, and the next heartbeat starts a second read of it.
      const gate = c.recognizer.motionGate;
      if (gate.enabled && gate.heartbeatMs >= c.pipeline.tracker.windowMs) {
        ctx.addIssue({
          code: 'custom',
          path: ['recognizer', 'motionGate', 'heartbeatMs'],
          message: `must be below pipeline.tracker.windowMs (${c.pipeline.tracker.windowMs}) while the motion gate is enabled`,
          params: becauseOf('pipeline', 'tracker', 'windowMs'),
        });
      }
    },
    { when: whenValid(['recognizer', 'motionGate'], ['pipeline', 'tracker', 'windowMs']) },
  )
  .describe('Sightline appliance configuration.');

/** The validated configuration, every default applied. */
export type Config = z.infer<typeof configSchema>;

/** What a config file may contain: every key optional. */
export type ConfigInput = z.input<typeof configSchema>;
