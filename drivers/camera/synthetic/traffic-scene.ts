import type { Box, Point, Quad } from '../geometry';
import { quadBounds } from '../geometry';
import { featuredPlateProblem, featuredPlateText } from './featured-plates';
import { randomPlateText, type PlateText } from './plate-text';
import { Random } from './random';

/**
 * The synthetic scene without pixels: a camera above a two-lane road looking along it, vehicles
 * coming towards it in the left lane (front plates, moving down the frame) and going away in the
 * right lane (rear plates, moving up). Everything here is in frame pixels and scene seconds; the
 * renderer turns a moment of it into an image, and the same model gives the ground truth.
 */

export type Lighting = 'day' | 'night';
export type TravelDirection = 'approaching' | 'receding';

export interface TrafficSceneOptions {
  width: number;
  height: number;
  seed: number;
  vehiclesPerMinute: number;
  /** Share of vehicles seen at night (IR look); lighting comes in runs of several vehicles. */
  nightFraction: number;
  /** Each vehicle takes between these many seconds from first to last pixel in the frame. */
  crossingSeconds: readonly [number, number];
  maxOnScreen: number;
  directions: readonly TravelDirection[];
  /** Plates (truth text, each fitting a PLATE_FORMATS entry) that a share of vehicles carry. */
  featuredPlates: readonly string[];
  /** Share of vehicles, 0..1, that carry one of featuredPlates instead of a random plate. */
  featuredShare: number;
}

export const DEFAULT_SCENE_OPTIONS: Omit<TrafficSceneOptions, 'width' | 'height' | 'seed'> = {
  vehiclesPerMinute: 30,
  nightFraction: 0.3,
  crossingSeconds: [1.5, 3],
  maxOnScreen: 3,
  directions: ['approaching', 'receding'],
  featuredPlates: [],
  featuredShare: 0,
};

/**
 * A vehicle's outline in units of its plate's width, origin at the bottom centre of the bumper,
 * negative y upwards. The renderer draws inside it; the scene uses it to keep plates clear.
 */
export const VEHICLE_LAYOUT = {
  halfWidth: 1.75,
  height: 2.45,
  bumperTop: -0.8,
  bumperHalfWidth: 1.62,
  plateCenterY: -0.4,
} as const;

/** US plates are 12 x 6 inches. */
export const PLATE_ASPECT = 2;

/** Plate width at the bottom row of a 1080-line frame; farther up, perspective shrinks it. */
const PLATE_WIDTH_AT_BOTTOM_1080P = 320;
/** Horizontal offset of each lane's centre from the middle, bottom row, 1080p. */
const LANE_OFFSET_1080P = 441;
/** Half the road's width at the bottom row, 1080p: two lanes and their shoulders. */
const ROAD_HALF_WIDTH_1080P = 900;
/** The road's vanishing point sits this many frame heights above the top edge. */
const VANISHING_HEIGHTS = 0.9;
/** Vehicles whose lighting differs from the one before wait for an empty road this long. */
const LIGHTING_CHANGE_GAP_S = 0.3;
/** How often lighting changes, relative to the share; smaller means longer runs. */
const LIGHTING_SWITCH_RATE = 0.25;
const CONFLICT_STEP_S = 0.02;
const RETRY_STEP_S = 0.1;
const MAX_RETRIES = 400;
/** Scene history kept for late queries and truth; older vehicles are forgotten. */
export const SCENE_HISTORY_LIMIT = 10_000;

export interface SceneVehicle {
  id: number;
  plate: PlateText;
  direction: TravelDirection;
  lighting: Lighting;
  /** First pixel of the vehicle enters the frame. */
  enterTime: number;
  /** Last pixel leaves. */
  exitTime: number;
  /** Span in which the whole plate is inside the frame, or null if it never is. */
  plateVisibleFrom: number | null;
  plateVisibleUntil: number | null;
  /** Plate width in px were the vehicle at the bottom row; scales with perspective. */
  plateWidthAtBottom: number;
  /** Sideways place in its lane, in plate widths. */
  lateralOffset: number;
  yawDeg: number;
  tiltDeg: number;
  rollDeg: number;
  /** Vertical motion blur length in px, from speed and exposure time. */
  motionBlurPx: number;
  /** Gaussian sigma in px for a plate a little out of focus. */
  defocusSigma: number;
  /** Frame noise standard deviation (8-bit levels) while this vehicle's lighting run lasts. */
  noiseSigma: number;
  /** Seeds colours and plate design in the renderer. */
  appearanceSeed: number;
  /** Bumper y at enterTime and at exitTime. */
  readonly startY: number;
  readonly endY: number;
}

export interface VehiclePose {
  vehicle: SceneVehicle;
  /** Bottom centre of the bumper, frame px. */
  bumper: Point;
  /** Plate width in px at this distance: the unit of VEHICLE_LAYOUT. */
  unit: number;
  plateQuad: Quad;
  plateBox: Box;
  bodyBox: Box;
  /** The whole plate is inside the frame. */
  plateInFrame: boolean;
}

/** Where the road lies, for drawing it: lines from the bottom row converge on the vanishing point. */
export interface RoadLayout {
  vanishing: Point;
  /** Half the road's width at the bottom row, px. */
  halfWidth: number;
  /** Each lane's centre from the middle of the road at the bottom row, px. */
  laneOffset: number;
}

export interface SceneLook {
  lighting: Lighting;
  noiseSigma: number;
}

function boxesOverlap(a: Box, b: Box): boolean {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}

function checkSceneOptions(o: TrafficSceneOptions): void {
  const bad = (name: string, allowed: string, got: unknown): never => {
    throw new RangeError(`traffic scene option ${name} must be ${allowed}, got ${String(got)}`);
  };
  if (!Number.isInteger(o.width) || o.width < 1) bad('width', 'a positive integer', o.width);
  if (!Number.isInteger(o.height) || o.height < 1) bad('height', 'a positive integer', o.height);
  if (!Number.isFinite(o.vehiclesPerMinute) || o.vehiclesPerMinute < 0 || o.vehiclesPerMinute > 600) {
    bad('vehiclesPerMinute', 'a number in 0..600', o.vehiclesPerMinute);
  }
  if (!(o.nightFraction >= 0 && o.nightFraction <= 1)) bad('nightFraction', 'a number in 0..1', o.nightFraction);
  const [lo, hi] = o.crossingSeconds;
  if (!(lo >= 0.2 && hi >= lo && hi <= 60)) {
    bad('crossingSeconds', '[min, max] with 0.2 <= min <= max <= 60', `[${lo}, ${hi}]`);
  }
  if (!Number.isInteger(o.maxOnScreen) || o.maxOnScreen < 1 || o.maxOnScreen > 8) {
    bad('maxOnScreen', 'an integer in 1..8', o.maxOnScreen);
  }
  if (o.directions.length === 0 || o.directions.some((d) => d !== 'approaching' && d !== 'receding')) {
    bad('directions', "a non-empty list of 'approaching' | 'receding'", o.directions.join(','));
  }
  if (!(o.featuredShare >= 0 && o.featuredShare <= 1)) bad('featuredShare', 'a number in 0..1', o.featuredShare);
  if (!Array.isArray(o.featuredPlates)) bad('featuredPlates', 'a list of plates', o.featuredPlates);
  for (const plate of o.featuredPlates) {
    const problem = featuredPlateProblem(plate);
    if (problem !== null) throw new RangeError(`traffic scene option featuredPlates: ${JSON.stringify(plate)} ${problem}`);
  }
}

export class TrafficScene {
  readonly width: number;
  readonly height: number;
  /** Frame px per 1080p px, so plates keep their share of the frame at any size. */
  readonly scale: number;
  private readonly options: TrafficSceneOptions;
  private readonly rng: Random;
  /** A stream of its own, so featuring plates leaves every other draw of the scene as it was. */
  private readonly featuredRng: Random;
  private readonly vanishing: Point;
  private readonly vehicles: SceneVehicle[] = [];
  private nextId = 1;
  private nextArrival: number;
  private lastLighting: Lighting;
  private lastNoiseSigma: number;
  /** Queries before this time may miss vehicles that were forgotten. */
  private forgottenUntil = -Infinity;

  constructor(options: TrafficSceneOptions) {
    checkSceneOptions(options);
    this.options = {
      ...options,
      crossingSeconds: [...options.crossingSeconds],
      directions: [...options.directions],
      featuredPlates: [...options.featuredPlates],
    };
    this.width = options.width;
    this.height = options.height;
    this.scale = Math.min(options.width / 1920, options.height / 1080);
    this.vanishing = { x: options.width / 2, y: -VANISHING_HEIGHTS * options.height };
    this.rng = Random.stream(options.seed, 'traffic-scene');
    this.featuredRng = Random.stream(options.seed, 'featured-plates');
    this.lastLighting = this.rng.chance(options.nightFraction) ? 'night' : 'day';
    this.lastNoiseSigma = this.noiseFor(this.lastLighting);
    // The first arrival falls anywhere within one mean gap, so a scene does not open on a vehicle.
    this.nextArrival = options.vehiclesPerMinute > 0 ? this.interArrival() * this.rng.float() : Infinity;
  }

  roadLayout(): RoadLayout {
    return {
      vanishing: { ...this.vanishing },
      halfWidth: ROAD_HALF_WIDTH_1080P * this.scale,
      laneOffset: LANE_OFFSET_1080P * this.scale,
    };
  }

  /** Vehicles on the road at scene time t, farthest first (the order to draw them in). */
  posesAt(t: number): VehiclePose[] {
    this.generateThrough(t);
    this.checkRemembered(t);
    const poses: VehiclePose[] = [];
    for (let i = this.vehicles.length - 1; i >= 0; i -= 1) {
      const v = this.vehicles[i] as SceneVehicle;
      if (v.enterTime > t) continue;
      if (v.enterTime < t - this.options.crossingSeconds[1] - 1) break;
      if (t < v.exitTime) poses.push(this.pose(v, t));
    }
    return poses.sort((a, b) => this.depthOf(a) - this.depthOf(b));
  }

  /** Lighting and noise of the frame at t: those of the last vehicle to enter (all on screen share them). */
  lookAt(t: number): SceneLook {
    this.generateThrough(t);
    for (let i = this.vehicles.length - 1; i >= 0; i -= 1) {
      const v = this.vehicles[i] as SceneVehicle;
      if (v.enterTime <= t) return { lighting: v.lighting, noiseSigma: v.noiseSigma };
    }
    const first = this.vehicles[0];
    return first
      ? { lighting: first.lighting, noiseSigma: first.noiseSigma }
      : { lighting: this.lastLighting, noiseSigma: this.lastNoiseSigma };
  }

  /** Vehicles that have entered by t, oldest first (at most SCENE_HISTORY_LIMIT). */
  vehiclesEnteredBy(t: number): SceneVehicle[] {
    this.generateThrough(t);
    return this.vehicles.filter((v) => v.enterTime <= t);
  }

  /** Where a vehicle is at time t (t need not be within its crossing). */
  pose(v: SceneVehicle, t: number): VehiclePose {
    const progress = (t - v.enterTime) / (v.exitTime - v.enterTime);
    const y = v.startY + (v.endY - v.startY) * progress;
    const unit = this.unitAt(v, y);
    const bumper = { x: this.bumperX(v, y), y };
    const center = { x: bumper.x, y: y + VEHICLE_LAYOUT.plateCenterY * unit };
    const plateQuad = projectPlate(center, unit, v.yawDeg, v.tiltDeg, v.rollDeg);
    const plateBox = quadBounds(plateQuad);
    const halfW = VEHICLE_LAYOUT.halfWidth * unit;
    const bodyH = VEHICLE_LAYOUT.height * unit;
    const plateInFrame =
      plateBox.x >= 0 &&
      plateBox.y >= 0 &&
      plateBox.x + plateBox.width <= this.width &&
      plateBox.y + plateBox.height <= this.height;
    return {
      vehicle: v,
      bumper,
      unit,
      plateQuad,
      plateBox,
      bodyBox: { x: bumper.x - halfW, y: y - bodyH, width: 2 * halfW, height: bodyH },
      plateInFrame,
    };
  }

  private depthOf(p: VehiclePose): number {
    return p.bumper.y;
  }

  /** Perspective ratio: 1 at the bottom row, smaller towards the vanishing point. */
  private perspective(y: number): number {
    return (y - this.vanishing.y) / (this.height - this.vanishing.y);
  }

  private unitAt(v: SceneVehicle, y: number): number {
    return v.plateWidthAtBottom * this.perspective(y);
  }

  private bumperX(v: SceneVehicle, y: number): number {
    const lane = (v.direction === 'approaching' ? -1 : 1) * LANE_OFFSET_1080P * this.scale;
    return this.vanishing.x + this.perspective(y) * (lane + v.lateralOffset * v.plateWidthAtBottom);
  }

  /** The random plate drawn, or in featuredShare of vehicles one of the featured plates instead. */
  private plateFor(random: PlateText): PlateText {
    const { featuredPlates, featuredShare } = this.options;
    if (featuredPlates.length === 0 || featuredShare <= 0 || !this.featuredRng.chance(featuredShare)) return random;
    return featuredPlateText(this.featuredRng.pick(featuredPlates), this.featuredRng);
  }

  private interArrival(): number {
    return this.options.vehiclesPerMinute > 0 ? 60 / this.options.vehiclesPerMinute : Infinity;
  }

  private noiseFor(lighting: Lighting): number {
    return lighting === 'day' ? this.rng.range(1.5, 3.5) : this.rng.range(4, 8);
  }

  private nextLighting(): Lighting {
    const f = this.options.nightFraction;
    if (f <= 0) return 'day';
    if (f >= 1) return 'night';
    // A two-state chain whose long-run share of night is f, so lighting comes in runs.
    const switchProbability = this.lastLighting === 'day' ? f * LIGHTING_SWITCH_RATE : (1 - f) * LIGHTING_SWITCH_RATE;
    return this.rng.chance(switchProbability) ? (this.lastLighting === 'day' ? 'night' : 'day') : this.lastLighting;
  }

  private generateThrough(t: number): void {
    if (this.options.vehiclesPerMinute === 0) return;
    while (this.vehicles.length === 0 || (this.vehicles[this.vehicles.length - 1] as SceneVehicle).enterTime <= t) {
      this.addVehicle();
    }
  }

  private checkRemembered(t: number): void {
    if (t < this.forgottenUntil) {
      throw new RangeError(
        `scene time ${t}s is older than the kept history (vehicles before ${this.forgottenUntil}s were forgotten)`,
      );
    }
  }

  private addVehicle(): void {
    const rng = this.rng;
    const arrival = this.nextArrival;
    this.nextArrival += rng.exponential(this.interArrival());

    const lighting = this.vehicles.length === 0 ? this.lastLighting : this.nextLighting();
    const noiseSigma = lighting === this.lastLighting ? this.lastNoiseSigma : this.noiseFor(lighting);
    const direction = rng.pick(this.options.directions);
    const crossing = rng.range(this.options.crossingSeconds[0], this.options.crossingSeconds[1]);
    const plateWidthAtBottom = PLATE_WIDTH_AT_BOTTOM_1080P * this.scale * rng.range(0.86, 1);
    const [yFar, yNear] = this.travelRange(plateWidthAtBottom);
    const speed = (yNear - yFar) / crossing;
    const exposure = lighting === 'day' ? rng.range(0.0004, 0.004) : rng.range(0.001, 0.005);
    const sideYaw = direction === 'approaching' ? 6 : -6;
    const base = {
      id: this.nextId,
      plate: this.plateFor(randomPlateText(rng)),
      direction,
      lighting,
      plateWidthAtBottom,
      lateralOffset: rng.range(-0.3, 0.3),
      yawDeg: sideYaw + rng.range(-10, 10),
      tiltDeg: rng.range(8, 24),
      rollDeg: rng.range(-2.5, 2.5),
      motionBlurPx: speed * exposure,
      defocusSigma: rng.chance(0.3) ? rng.range(0.4, 1.3) * this.scale : 0,
      noiseSigma,
      appearanceSeed: rng.uint32(),
      startY: direction === 'approaching' ? yFar : yNear,
      endY: direction === 'approaching' ? yNear : yFar,
    };

    const previous = this.vehicles[this.vehicles.length - 1];
    let enter = Math.max(arrival, previous ? previous.enterTime : 0);
    if (previous && lighting !== this.lastLighting) {
      // Lighting changes only on an empty road, so every frame has a single look.
      const lastExit = Math.max(previous.exitTime, ...this.inFlightAt(previous.enterTime).map((v) => v.exitTime));
      enter = Math.max(enter, lastExit + LIGHTING_CHANGE_GAP_S);
    }
    const make = (at: number): SceneVehicle => ({
      ...base,
      enterTime: at,
      exitTime: at + crossing,
      plateVisibleFrom: null,
      plateVisibleUntil: null,
    });
    let candidate = make(enter);
    for (let attempt = 0; !this.fits(candidate); attempt += 1) {
      if (attempt >= MAX_RETRIES) {
        // Cannot happen with sane geometry (an empty road always fits), but stay bounded.
        const lastExit = Math.max(candidate.enterTime, ...this.inFlightAt(candidate.enterTime).map((v) => v.exitTime));
        candidate = make(lastExit + RETRY_STEP_S);
        break;
      }
      candidate = make(candidate.enterTime + RETRY_STEP_S);
    }
    this.markPlateVisibility(candidate);
    this.vehicles.push(candidate);
    this.nextId += 1;
    this.lastLighting = lighting;
    this.lastNoiseSigma = noiseSigma;
    if (this.vehicles.length > SCENE_HISTORY_LIMIT) {
      const dropped = this.vehicles.shift() as SceneVehicle;
      this.forgottenUntil = Math.max(this.forgottenUntil, dropped.exitTime);
    }
  }

  /** Bumper y when the vehicle's first pixel shows at the top, and when its roof leaves at the bottom. */
  private travelRange(plateWidthAtBottom: number): [number, number] {
    const h = this.height;
    const k = (VEHICLE_LAYOUT.height * plateWidthAtBottom) / (h - this.vanishing.y);
    return [0, (h - k * this.vanishing.y) / (1 - k)];
  }

  /** Vehicles still on the road at t; only the newest can be, as no crossing outlasts the maximum. */
  private inFlightAt(t: number): SceneVehicle[] {
    const found: SceneVehicle[] = [];
    for (let i = this.vehicles.length - 1; i >= 0; i -= 1) {
      const v = this.vehicles[i] as SceneVehicle;
      if (v.exitTime > t) found.push(v);
      if (v.enterTime < t - this.options.crossingSeconds[1] - 1) break;
    }
    return found;
  }

  /** Room on screen, and no vehicle covers another's plate at any moment they share. */
  private fits(candidate: SceneVehicle): boolean {
    const others = this.inFlightAt(candidate.enterTime);
    if (others.length >= this.options.maxOnScreen) return false;
    return others.every((other) => !this.conflict(candidate, other));
  }

  private conflict(a: SceneVehicle, b: SceneVehicle): boolean {
    const from = Math.max(a.enterTime, b.enterTime);
    const until = Math.min(a.exitTime, b.exitTime);
    for (let t = from; t <= until + CONFLICT_STEP_S; t += CONFLICT_STEP_S) {
      const pa = this.pose(a, t);
      const pb = this.pose(b, t);
      const [far, near] = pa.bumper.y <= pb.bumper.y ? [pa, pb] : [pb, pa];
      const margin = 0.15 * far.unit;
      const guarded = {
        x: far.plateBox.x - margin,
        y: far.plateBox.y - margin,
        width: far.plateBox.width + 2 * margin,
        height: far.plateBox.height + 2 * margin,
      };
      if (boxesOverlap(guarded, near.bodyBox)) return true;
    }
    return false;
  }

  private markPlateVisibility(v: SceneVehicle): void {
    const steps = 400;
    for (let i = 0; i <= steps; i += 1) {
      const t = v.enterTime + ((v.exitTime - v.enterTime) * i) / steps;
      if (this.pose(v, t).plateInFrame) {
        if (v.plateVisibleFrom === null) v.plateVisibleFrom = t;
        v.plateVisibleUntil = t;
      }
    }
  }
}

/**
 * The plate's corners after turning it by yaw (about the vertical), tilt (about the horizontal,
 * the camera looking down) and roll (in the image), with a mild perspective.
 */
export function projectPlate(center: Point, width: number, yawDeg: number, tiltDeg: number, rollDeg: number): Quad {
  const rad = Math.PI / 180;
  const [cy, sy] = [Math.cos(yawDeg * rad), Math.sin(yawDeg * rad)];
  const [ct, st] = [Math.cos(tiltDeg * rad), Math.sin(tiltDeg * rad)];
  const [cr, sr] = [Math.cos(rollDeg * rad), Math.sin(rollDeg * rad)];
  const focal = 5 * width;
  const h = width / PLATE_ASPECT;
  const corner = (lx: number, ly: number): Point => {
    const x1 = lx * cy;
    const z1 = -lx * sy;
    const y2 = ly * ct - z1 * st;
    const z2 = ly * st + z1 * ct;
    const p = focal / (focal + z2);
    const px = x1 * p;
    const py = y2 * p;
    return { x: center.x + px * cr - py * sr, y: center.y + px * sr + py * cr };
  };
  return [corner(-width / 2, -h / 2), corner(width / 2, -h / 2), corner(width / 2, h / 2), corner(-width / 2, h / 2)];
}
