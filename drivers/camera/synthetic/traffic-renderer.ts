import cv = require('../../opencv');
import {
  grey,
  level,
  luma,
  randomPlateDesign,
  renderPlate,
  rgb,
  shade,
  solidMat,
  vec,
  type Bgr,
} from './plate-render';
import { Random } from './random';
import {
  VEHICLE_LAYOUT,
  type Lighting,
  type RoadLayout,
  type SceneLook,
  type SceneVehicle,
  type VehiclePose,
} from './traffic-scene';

/**
 * Turns a moment of the traffic scene into a BGR frame. The costly parts happen once: the road
 * is drawn at prepare() in both looks, and a few full-frame noise fields are generated and baked
 * into copies of the road. A frame is then one memcpy of a baked road, vehicles drawn over clean
 * road in their own rectangles, each plate warped into its small bounding box only, and noise
 * added back in those rectangles alone.
 */

export interface TrafficRendererOptions {
  width: number;
  height: number;
  seed: number;
  road: RoadLayout;
}

/** Noise fields cycled frame to frame; few enough to keep memory down, enough to not look frozen. */
const NOISE_FIELDS = 3;
/** The fields are stored as 8-bit with this centre and spread, then scaled to the scene's sigma. */
const NOISE_MID = 128;
const NOISE_SD = 32;
/** Bytes generated between yields to the event loop while preparing. */
const PREPARE_CHUNK = 1 << 18;

interface RoadPalette {
  grass: Bgr;
  sidewalk: Bgr;
  kerb: Bgr;
  asphalt: Bgr;
  track: Bgr;
  patch: Bgr;
  crack: Bgr;
  whiteLine: Bgr;
  yellowLine: Bgr;
  /** Standard deviations (8-bit levels) of the static texture: coarse blotches and fine grain. */
  blotches: number;
  grain: number;
}


const DAY_ROAD: RoadPalette = {
  grass: rgb(84, 108, 62),
  sidewalk: rgb(168, 165, 156),
  kerb: rgb(196, 195, 190),
  asphalt: rgb(92, 92, 96),
  track: rgb(82, 82, 86),
  patch: rgb(72, 72, 75),
  crack: rgb(50, 50, 52),
  whiteLine: rgb(222, 222, 218),
  yellowLine: rgb(226, 184, 46),
  blotches: 2.5,
  grain: 7,
};

/** What the IR camera sees of the same road: dark, grey, the paint retroreflective. */
const NIGHT_ROAD: RoadPalette = {
  grass: grey(16),
  sidewalk: grey(36),
  kerb: grey(52),
  asphalt: grey(28),
  track: grey(25),
  patch: grey(22),
  crack: grey(15),
  whiteLine: grey(120),
  yellowLine: grey(92),
  blotches: 1.5,
  grain: 3,
};

const BODY_COLOURS: readonly Bgr[] = [
  rgb(236, 236, 232),
  rgb(186, 189, 192),
  rgb(30, 30, 33),
  rgb(112, 114, 118),
  rgb(168, 26, 32),
  rgb(32, 62, 140),
  rgb(32, 72, 48),
  rgb(200, 186, 150),
  rgb(60, 64, 72),
];
const PLASTIC = rgb(44, 44, 47);

interface VehicleLook {
  body: Bgr;
  bodyLit: Bgr;
  bumper: Bgr;
  glass: Bgr;
  glare: Bgr | null;
  lights: Bgr;
  grille: Bgr;
  tyre: Bgr;
  shadow: Bgr | null;
  /** Lamp glow rings, outermost first (night only). */
  glow: readonly Bgr[];
  /** The plate at full size and at half, picked by how large it is drawn. */
  plateFull: cv.Mat;
  plateHalf: cv.Mat;
}

interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Approximately normal bytes (sum of four uniform bytes), centre NOISE_MID, spread NOISE_SD. */
async function noiseBytes(rng: Random, count: number): Promise<Buffer> {
  const out = Buffer.allocUnsafe(count);
  const k = NOISE_SD / 147.2; // sd of a sum of four uniform bytes
  for (let start = 0; start < count; start += PREPARE_CHUNK) {
    const end = Math.min(count, start + PREPARE_CHUNK);
    for (let i = start; i < end; i += 1) {
      const r = rng.uint32();
      const sum = (r & 255) + ((r >>> 8) & 255) + ((r >>> 16) & 255) + (r >>> 24);
      out[i] = level(NOISE_MID + (sum - 510) * k);
    }
    if (end < count) await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return out;
}

function clipRect(r: Rect, width: number, height: number): Rect | null {
  const x0 = Math.max(0, Math.floor(r.x));
  const y0 = Math.max(0, Math.floor(r.y));
  const x1 = Math.min(width, Math.ceil(r.x + r.width));
  const y1 = Math.min(height, Math.ceil(r.y + r.height));
  return x1 > x0 && y1 > y0 ? { x: x0, y: y0, width: x1 - x0, height: y1 - y0 } : null;
}

function touches(a: Rect, b: Rect): boolean {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}

/** Merges overlapping rectangles so no pixel gets noise twice. */
function mergeRects(rects: Rect[]): Rect[] {
  const out = [...rects];
  for (let merged = true; merged; ) {
    merged = false;
    outer: for (let i = 0; i < out.length; i += 1) {
      for (let j = i + 1; j < out.length; j += 1) {
        const a = out[i] as Rect;
        const b = out[j] as Rect;
        if (touches(a, b)) {
          const x = Math.min(a.x, b.x);
          const y = Math.min(a.y, b.y);
          out[i] = { x, y, width: Math.max(a.x + a.width, b.x + b.width) - x, height: Math.max(a.y + a.height, b.y + b.height) - y };
          out.splice(j, 1);
          merged = true;
          break outer;
        }
      }
    }
  }
  return out;
}

const cvRect = (r: Rect): cv.Rect => new cv.Rect(r.x, r.y, r.width, r.height);

/**
 * Releases Mats at once. V8 is not told about Mat memory (see drivers/opencv.ts), so a frame's
 * worth of temporaries left to the garbage collector piles up; freeing them keeps memory flat.
 */
function free(...mats: cv.Mat[]): void {
  for (const mat of mats) mat.release();
}

/** One grey channel as three, releasing the input. */
async function grey3(mat: cv.Mat): Promise<cv.Mat> {
  const out = await mat.cvtColorAsync(cv.COLOR_GRAY2BGR);
  mat.release();
  return out;
}

export class TrafficRenderer {
  readonly width: number;
  readonly height: number;
  private readonly seed: number;
  private readonly road: RoadLayout;
  private backgrounds: Record<Lighting, cv.Mat> | null = null;
  /** Grey noise replicated in all three channels, so it adds to BGR regions without a conversion. */
  private noise: cv.Mat[] = [];
  /** Road plus each noise field, for the current look: copied whole into every frame. */
  private baked: { key: string; frames: Buffer[] } | null = null;
  private readonly looks = new Map<number, VehicleLook>();

  constructor(options: TrafficRendererOptions) {
    this.width = options.width;
    this.height = options.height;
    this.seed = options.seed;
    this.road = options.road;
  }

  /** Draws the road in both looks and generates the noise fields; yields to the event loop as it goes. */
  async prepare(): Promise<void> {
    const rng = Random.stream(this.seed, 'renderer-road');
    const { width: W, height: H } = this;
    // Static asphalt texture: blotches from a coarse field, grain from a half-size one.
    const coarse = new cv.Mat(await noiseBytes(rng, Math.ceil(H / 24) * Math.ceil(W / 24)), Math.ceil(H / 24), Math.ceil(W / 24), cv.CV_8UC1);
    const fine = new cv.Mat(await noiseBytes(rng, Math.ceil(H / 2) * Math.ceil(W / 2)), Math.ceil(H / 2), Math.ceil(W / 2), cv.CV_8UC1);
    const blotches = await grey3(await coarse.resizeAsync(H, W, 0, 0, cv.INTER_CUBIC));
    const grain = await grey3(await fine.resizeAsync(H, W, 0, 0, cv.INTER_LINEAR));
    free(coarse, fine);
    const features = this.roadFeatures(rng);
    const day = await this.drawRoad(DAY_ROAD, features, blotches, grain);
    const darkRoad = await this.drawRoad(NIGHT_ROAD, features, blotches, grain);
    const night = await this.illuminate(darkRoad);
    free(blotches, grain, darkRoad);
    this.backgrounds = { day, night };

    const noiseRng = Random.stream(this.seed, 'renderer-noise');
    this.noise = [];
    for (let i = 0; i < NOISE_FIELDS; i += 1) {
      this.noise.push(await grey3(new cv.Mat(await noiseBytes(noiseRng, W * H), H, W, cv.CV_8UC1)));
    }
  }

  /**
   * The frame for these poses (farthest first) in this look, as BGR bytes. `frameIndex` picks the
   * noise field, so the same index and poses give the same bytes. The frame is written into
   * `into` (a recycled buffer) when given, else into a new buffer.
   */
  async render(frameIndex: number, poses: readonly VehiclePose[], look: SceneLook, into?: Buffer): Promise<Buffer> {
    const backgrounds = this.backgrounds;
    if (!backgrounds) throw new Error('TrafficRenderer.render() called before prepare()');
    const bytes = this.width * this.height * 3;
    if (into !== undefined && into.length !== bytes) {
      throw new RangeError(`TrafficRenderer.render(): buffer of ${into.length} bytes for a ${this.width}x${this.height} frame (${bytes})`);
    }
    const baked = await this.bakedFor(look);
    const k = frameIndex % NOISE_FIELDS;
    const pixels = into ?? Buffer.allocUnsafeSlow(bytes);
    (baked[k] as Buffer).copy(pixels);
    // Wraps `pixels` without copying: everything drawn below lands in the returned buffer.
    const frame = new cv.Mat(this.height, this.width, cv.CV_8UC3, pixels);
    const background = backgrounds[look.lighting];

    const rects = mergeRects(
      poses
        .map((p) => clipRect(this.extent(p), this.width, this.height))
        .filter((r): r is Rect => r !== null),
    );
    // Vehicles go onto clean road, then get the same noise field as the rest of the frame.
    for (const r of rects) {
      const clean = background.getRegion(cvRect(r));
      const region = frame.getRegion(cvRect(r));
      clean.copyTo(region);
      free(clean, region);
    }
    const live = new Set<number>();
    for (const pose of poses) {
      live.add(pose.vehicle.id);
      this.drawVehicle(frame, pose);
    }
    const gain = look.noiseSigma / NOISE_SD;
    for (const r of rects) {
      const region = frame.getRegion(cvRect(r));
      const noise = (this.noise[k] as cv.Mat).getRegion(cvRect(r));
      const noisy = region.addWeighted(1, noise, gain, -NOISE_MID * gain);
      noisy.copyTo(region);
      free(noisy, noise, region);
    }
    frame.release();
    for (const [id, gone] of this.looks) {
      if (live.has(id)) continue;
      free(gone.plateFull, gone.plateHalf);
      this.looks.delete(id);
    }
    return pixels;
  }

  /** Frees the Mats now rather than whenever the garbage collector gets to them. */
  dispose(): void {
    if (this.backgrounds) free(this.backgrounds.day, this.backgrounds.night);
    free(...this.noise);
    for (const look of this.looks.values()) free(look.plateFull, look.plateHalf);
    this.backgrounds = null;
    this.noise = [];
    this.baked = null;
    this.looks.clear();
  }

  private async bakedFor(look: SceneLook): Promise<Buffer[]> {
    const key = `${look.lighting}:${look.noiseSigma}`;
    if (this.baked?.key === key) return this.baked.frames;
    const background = (this.backgrounds as Record<Lighting, cv.Mat>)[look.lighting];
    const gain = look.noiseSigma / NOISE_SD;
    const frames: Buffer[] = [];
    for (const field of this.noise) {
      const noisy = await background.addWeightedAsync(1, field, gain, -NOISE_MID * gain);
      frames.push(await noisy.getDataAsync());
      noisy.release();
    }
    this.baked = { key, frames };
    return frames;
  }

  /** Where a vehicle may paint: its body, lamp glow, shadow and plate. */
  private extent(p: VehiclePose): Rect {
    const pad = 0.12 * p.unit;
    const body = p.bodyBox;
    const x0 = Math.min(body.x, p.plateBox.x) - pad;
    const y0 = Math.min(body.y, p.plateBox.y) - pad;
    const x1 = Math.max(body.x + body.width, p.plateBox.x + p.plateBox.width) + pad;
    const y1 = Math.max(body.y + body.height, p.plateBox.y + p.plateBox.height) + pad;
    return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
  }

  private lookFor(v: SceneVehicle): VehicleLook {
    const known = this.looks.get(v.id);
    if (known) return known;
    const rng = new Random(v.appearanceSeed);
    const design = randomPlateDesign(rng, v.plate);
    const fullWidth = Math.max(40, Math.round(v.plateWidthAtBottom * 1.05));
    const plateFull = renderPlate(design, v.lighting, fullWidth);
    const plateHalf = plateFull.resize(Math.round(plateFull.rows / 2), Math.round(plateFull.cols / 2), 0, 0, cv.INTER_AREA);
    const paint = rng.pick(BODY_COLOURS);
    const plasticBumper = rng.chance(0.45);
    const front = v.direction === 'approaching';
    let look: VehicleLook;
    if (v.lighting === 'day') {
      look = {
        body: paint,
        bodyLit: shade(paint, 1.1),
        bumper: plasticBumper ? PLASTIC : paint,
        glass: rgb(38, 46, 56),
        glare: rgb(92, 104, 120),
        lights: front ? rgb(226, 228, 232) : rgb(176, 22, 28),
        grille: rgb(30, 30, 33),
        tyre: rgb(22, 22, 24),
        shadow: shade(DAY_ROAD.asphalt, 0.45),
        glow: [],
        plateFull,
        plateHalf,
      };
    } else {
      const g = level(14 + 0.2 * luma(paint));
      look = {
        body: grey(g),
        bodyLit: grey(level(g * 1.15)),
        bumper: plasticBumper ? grey(12) : grey(g),
        glass: grey(8),
        glare: null,
        // Headlights flood an IR sensor; red tail lamps give it little.
        lights: front ? grey(255) : grey(135),
        grille: grey(10),
        tyre: grey(6),
        shadow: null,
        glow: front ? [30, 36, 44, 55, 70, 90, 118, 155, 200].map(grey) : [30, 36, 43, 52].map(grey),
        plateFull,
        plateHalf,
      };
    }
    this.looks.set(v.id, look);
    return look;
  }

  private drawVehicle(frame: cv.Mat, pose: VehiclePose): void {
    const look = this.lookFor(pose.vehicle);
    const u = pose.unit;
    const { x: bx, y: by } = pose.bumper;
    const pt = (ux: number, uy: number): cv.Point2 => new cv.Point2(Math.round(bx + ux * u), Math.round(by + uy * u));
    const fill = (points: readonly (readonly [number, number])[], colour: Bgr): void => {
      frame.drawFillPoly([points.map(([x, y]) => pt(x, y))], vec(colour), cv.LINE_AA);
    };
    /** A shape symmetric about the vehicle's centre line: bottom and top half-widths. */
    const trap = (yBottom: number, halfBottom: number, yTop: number, halfTop: number, colour: Bgr): void => {
      fill([[-halfBottom, yBottom], [halfBottom, yBottom], [halfTop, yTop], [-halfTop, yTop]], colour);
    };
    const pair = (points: readonly (readonly [number, number])[], colour: Bgr): void => {
      fill(points, colour);
      fill(points.map(([x, y]) => [-x, y] as const), colour);
    };
    const front = pose.vehicle.direction === 'approaching';
    const L = VEHICLE_LAYOUT;

    if (look.shadow) trap(0.05, L.halfWidth - 0.02, -0.12, L.halfWidth - 0.02, look.shadow);
    pair([[1.22, 0.02], [1.6, 0.02], [1.6, -0.3], [1.22, -0.3]], look.tyre);
    fill(
      [[-L.bumperHalfWidth, L.bumperTop], [L.bumperHalfWidth, L.bumperTop], [L.bumperHalfWidth, -0.12], [L.bumperHalfWidth - 0.12, 0], [-(L.bumperHalfWidth - 0.12), 0], [-L.bumperHalfWidth, -0.12]],
      look.bumper,
    );
    trap(L.bumperTop, L.halfWidth, -1.26, L.halfWidth - 0.02, look.body);
    if (front) {
      trap(-0.86, 0.85, -1.18, 0.85, look.grille);
      trap(-0.96, 0.8, -0.99, 0.8, shade(look.grille, 2.2));
      trap(-1.06, 0.8, -1.09, 0.8, shade(look.grille, 2.2));
    } else {
      trap(-1.0, 1.5, -1.03, 1.5, shade(look.body, 0.7));
    }
    const lampCentre: [number, number] = [1.31, -1.03];
    // Many faint rings in small steps read as a soft halo once the frame noise is on.
    look.glow.forEach((colour, i) => {
      const r = Math.max(1, Math.round((0.5 - 0.035 * i) * u * (front ? 1 : 0.7)));
      const c = pt(lampCentre[0], lampCentre[1]);
      frame.drawCircle(c, r, vec(colour), -1, cv.LINE_AA);
      frame.drawCircle(pt(-lampCentre[0], lampCentre[1]), r, vec(colour), -1, cv.LINE_AA);
    });
    pair([[1.06, -0.92], [1.6, -0.9], [1.56, -1.16], [1.02, -1.14]], look.lights);
    trap(-1.26, L.halfWidth - 0.02, -1.62, 1.52, look.bodyLit);
    trap(-1.62, 1.52, -2.2, 1.15, look.body);
    trap(-1.66, 1.42, -2.15, 1.1, look.glass);
    if (look.glare) fill([[-0.95, -1.66], [-0.55, -1.66], [-0.12, -2.15], [-0.5, -2.15]], look.glare);
    trap(-2.2, 1.15, -L.height, 1.0, look.bodyLit);
    pair([[1.5, -1.64], [1.74, -1.64], [1.74, -1.8], [1.5, -1.8]], shade(look.body, 0.8));

    this.drawPlate(frame, pose, look);
  }

  /** Warps the plate into its quad within the plate's bounding box only, blurred like the camera would. */
  private drawPlate(frame: cv.Mat, pose: VehiclePose, look: VehicleLook): void {
    const v = pose.vehicle;
    const blurLength = Math.round(v.motionBlurPx);
    const pad = Math.ceil(blurLength / 2) + Math.ceil(2 * v.defocusSigma) + 2;
    const box = pose.plateBox;
    const x0 = Math.floor(box.x) - pad;
    const y0 = Math.floor(box.y) - pad;
    const w = Math.ceil(box.x + box.width) + pad - x0;
    const h = Math.ceil(box.y + box.height) + pad - y0;
    const target = clipRect({ x: x0, y: y0, width: w, height: h }, this.width, this.height);
    if (!target) return;

    const src = box.width < 0.6 * look.plateFull.cols ? look.plateHalf : look.plateFull;
    const from = [
      new cv.Point2(0, 0),
      new cv.Point2(src.cols, 0),
      new cv.Point2(src.cols, src.rows),
      new cv.Point2(0, src.rows),
    ];
    const to = pose.plateQuad.map((p) => new cv.Point2(p.x - x0, p.y - y0));
    const transform = cv.getPerspectiveTransform(from, to);
    // Outside the plate the patch is bumper colour, and the plate sits on the bumper: no seam.
    const warped = src.warpPerspective(transform, new cv.Size(w, h), cv.INTER_LINEAR, cv.BORDER_CONSTANT, vec(look.bumper));
    const moved = blurLength >= 2 ? warped.blur(new cv.Size(1, blurLength)) : warped;
    const k = 2 * Math.ceil(2 * v.defocusSigma) + 1;
    const patch = v.defocusSigma >= 0.3 ? moved.gaussianBlur(new cv.Size(k, k), v.defocusSigma) : moved;
    const visible = patch.getRegion(new cv.Rect(target.x - x0, target.y - y0, target.width, target.height));
    const into = frame.getRegion(cvRect(target));
    visible.copyTo(into);
    free(transform, warped, moved, patch, visible, into);
  }

  /** Random but fixed road wear on the asphalt: patches and cracks, in frame pixels. */
  private roadFeatures(rng: Random): { patches: [number, number][][]; cracks: [number, number][][] } {
    const { height: H } = this;
    const { vanishing: vp, halfWidth: hw } = this.road;
    // A point `offset` from the road centre (in bottom-row px) at row y, and the perspective there.
    const at = (offset: number, y: number): [number, number] => [vp.x + (offset * (y - vp.y)) / (H - vp.y), y];
    const depth = (y: number): number => (y - vp.y) / (H - vp.y);
    const patches: [number, number][][] = [];
    for (let i = 0; i < 3; i += 1) {
      const offset = rng.range(-0.75, 0.75) * hw;
      const y = rng.range(0.1, 0.9) * H;
      const w = rng.range(0.08, 0.22) * hw;
      const h = rng.range(0.05, 0.12) * hw * depth(y);
      patches.push([
        at(offset - w / 2, y - h / 2),
        at(offset + w / 2, y - h / 2 + rng.range(-0.2, 0.2) * h),
        at(offset + w / 2, y + h / 2),
        at(offset - w / 2, y + h / 2 + rng.range(-0.2, 0.2) * h),
      ]);
    }
    const cracks: [number, number][][] = [];
    for (let i = 0; i < 6; i += 1) {
      let offset = rng.range(-0.8, 0.8) * hw;
      let y = rng.range(0, 0.9) * H;
      const line: [number, number][] = [at(offset, y)];
      for (let j = 0; j < 6; j += 1) {
        offset = Math.max(-0.9 * hw, Math.min(0.9 * hw, offset + rng.range(-0.05, 0.05) * hw));
        y += rng.range(0.01, 0.04) * H;
        line.push(at(offset, y));
      }
      cracks.push(line);
    }
    return { patches, cracks };
  }

  private async drawRoad(
    palette: RoadPalette,
    features: { patches: [number, number][][]; cracks: [number, number][][] },
    blotches: cv.Mat,
    grain: cv.Mat,
  ): Promise<cv.Mat> {
    const { width: W, height: H } = this;
    const { vanishing: vp, halfWidth: hw, laneOffset } = this.road;
    const mat = solidMat(H, W, cv.CV_8UC3, palette.grass);
    // A band between two offsets from the road centre at the bottom row, converging on the vanishing point.
    const xAt = (offset: number, y: number): number => vp.x + (offset * (y - vp.y)) / (H - vp.y);
    const band = (from: number, to: number, colour: Bgr): void => {
      const pts = [
        new cv.Point2(xAt(from, 0), 0),
        new cv.Point2(xAt(to, 0), 0),
        new cv.Point2(xAt(to, H), H),
        new cv.Point2(xAt(from, H), H),
      ];
      mat.drawFillPoly([pts], vec(colour), cv.LINE_AA);
    };
    band(-1.5 * hw, 1.5 * hw, palette.sidewalk);
    band(-1.04 * hw, 1.04 * hw, palette.kerb);
    band(-hw, hw, palette.asphalt);
    for (const lane of [-laneOffset, laneOffset]) {
      for (const wheel of [-0.62, 0.62]) band(lane + (wheel - 0.1) * laneOffset, lane + (wheel + 0.1) * laneOffset, palette.track);
    }
    for (const patch of features.patches) {
      mat.drawFillPoly([patch.map(([x, y]) => new cv.Point2(x, y))], vec(palette.patch), cv.LINE_AA);
    }
    mat.drawPolylines(
      features.cracks.map((line) => line.map(([x, y]) => new cv.Point2(x, y))),
      false,
      vec(palette.crack),
      Math.max(1, Math.round(H / 540)),
      cv.LINE_AA,
    );
    band(-0.955 * hw, -0.94 * hw, palette.whiteLine);
    band(0.94 * hw, 0.955 * hw, palette.whiteLine);
    band(-0.026 * hw, -0.012 * hw, palette.yellowLine);
    band(0.012 * hw, 0.026 * hw, palette.yellowLine);
    const blotchGain = palette.blotches / NOISE_SD;
    const grainGain = palette.grain / NOISE_SD;
    const textured = await mat.addWeightedAsync(1, blotches, blotchGain, -NOISE_MID * blotchGain);
    const road = await textured.addWeightedAsync(1, grain, grainGain, -NOISE_MID * grainGain);
    free(mat, textured);
    return road;
  }

  /** The IR illuminator lights the middle of the scene and falls off towards the edges. */
  private async illuminate(road: cv.Mat): Promise<cv.Mat> {
    const { width: W, height: H } = this;
    const gw = 64;
    const gh = Math.max(2, Math.round((64 * H) / W));
    const gains: number[][] = [];
    for (let y = 0; y < gh; y += 1) {
      const row: number[] = [];
      for (let x = 0; x < gw; x += 1) {
        const dx = (x / (gw - 1) - 0.5) * (W / H);
        const dy = y / (gh - 1) - 0.62;
        row.push(0.5 + 0.8 * Math.exp(-(dx * dx + dy * dy) / (2 * 0.45 * 0.45)));
      }
      gains.push(row);
    }
    const coarse = new cv.Mat(gains, cv.CV_32FC1);
    const gain = await coarse.resizeAsync(H, W, 0, 0, cv.INTER_CUBIC);
    // The night road is grey: light one channel (the only synchronous step, a few ms) and copy it to three.
    const mono = await road.cvtColorAsync(cv.COLOR_BGR2GRAY);
    const linear = await mono.convertToAsync(cv.CV_32FC1);
    const lit = linear.hMul(gain);
    const out = await grey3(await lit.convertToAsync(cv.CV_8UC1));
    free(coarse, gain, mono, linear, lit);
    return out;
  }
}
