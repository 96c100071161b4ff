import type { Logger } from '../../log';
import { silentLogger } from '../../log';
import { CameraError } from '../camera-error';
import type { Frame, FrameImage, FrameSource, PlateTruth } from '../frame';
import { FrameBuffers } from '../frame-buffers';
import { FramePacer } from '../frame-pacer';
import { featuredPlateProblem } from './featured-plates';
import { TrafficRenderer } from './traffic-renderer';
import {
  DEFAULT_SCENE_OPTIONS,
  SCENE_HISTORY_LIMIT,
  TrafficScene,
  type Lighting,
  type SceneVehicle,
  type TravelDirection,
} from './traffic-scene';
import { SerialReads } from '../serial-reads';

export interface SyntheticTrafficOptions {
  /** Frame size in pixels. */
  width: number;
  height: number;
  /** Scene frames per second. */
  fps: number;
  /** True: read() delivers frames at fps in wall time. False: each read() renders the next frame at once. */
  realtime: boolean;
  /** Same seed, same scene and pixels. Null or absent: a random seed, logged so the run can be repeated. */
  seed: number | null;
  vehiclesPerMinute: number;
  /** Share of vehicles seen at night through an IR camera, 0..1. */
  nightFraction: number;
  /** Scene seconds after which read() returns null; null runs forever. */
  durationSeconds: number | null;
  /** Plates (each fitting a PLATE_FORMATS entry) shown on featuredShare of the vehicles: a demo hotlist's plates. */
  featuredPlates: readonly string[];
  /** Share of vehicles, 0..1, carrying a featured plate instead of a random one; 0 (the default) features none. */
  featuredShare: number;
}

export const DEFAULT_SYNTHETIC_OPTIONS: SyntheticTrafficOptions = {
  width: 1920,
  height: 1080,
  fps: 25,
  realtime: true,
  seed: null,
  vehiclesPerMinute: DEFAULT_SCENE_OPTIONS.vehiclesPerMinute,
  nightFraction: DEFAULT_SCENE_OPTIONS.nightFraction,
  durationSeconds: null,
  // None by default, so benchmarks that build the source directly see the traffic they always did.
  featuredPlates: DEFAULT_SCENE_OPTIONS.featuredPlates,
  featuredShare: DEFAULT_SCENE_OPTIONS.featuredShare,
};

/** A vehicle of the scene and what was shown of it, for benchmarks to score reads against. */
export interface VehicleTruth {
  id: number;
  text: string;
  /** Name of the plate format (see PLATE_FORMATS). */
  format: string;
  direction: TravelDirection;
  lighting: Lighting;
  /** Scene seconds: first pixel in, last pixel out. */
  enterTime: number;
  exitTime: number;
  /** Frames delivered so far with this plate wholly in view. */
  plateFrames: number;
}

type NumberRule = { min: number; max: number; integer?: boolean; minExclusive?: boolean };

const RULES: Record<'width' | 'height' | 'fps' | 'vehiclesPerMinute' | 'nightFraction' | 'featuredShare', NumberRule> = {
  width: { min: 320, max: 7680, integer: true },
  height: { min: 240, max: 4320, integer: true },
  fps: { min: 0, max: 120, minExclusive: true },
  vehiclesPerMinute: { min: 0, max: 600 },
  nightFraction: { min: 0, max: 1 },
  featuredShare: { min: 0, max: 1 },
};

function describeRule(rule: NumberRule): string {
  const kind = rule.integer ? 'an integer' : 'a number';
  return rule.minExclusive ? `${kind} > ${rule.min} and <= ${rule.max}` : `${kind} from ${rule.min} to ${rule.max}`;
}

/** Fills in defaults and checks every option, naming the bad one and what it may be. */
export function resolveSyntheticOptions(options: Partial<SyntheticTrafficOptions>): SyntheticTrafficOptions & { seed: number } {
  const known = new Set(Object.keys(DEFAULT_SYNTHETIC_OPTIONS));
  for (const key of Object.keys(options)) {
    if (!known.has(key)) {
      throw new RangeError(`synthetic camera: unknown option "${key}" (known: ${[...known].join(', ')})`);
    }
  }
  const defined = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
  const o: SyntheticTrafficOptions = { ...DEFAULT_SYNTHETIC_OPTIONS, ...defined };
  for (const [name, rule] of Object.entries(RULES) as [keyof typeof RULES, NumberRule][]) {
    const value = o[name];
    const ok =
      typeof value === 'number' &&
      Number.isFinite(value) &&
      (!rule.integer || Number.isInteger(value)) &&
      (rule.minExclusive ? value > rule.min : value >= rule.min) &&
      value <= rule.max;
    if (!ok) throw new RangeError(`synthetic camera option ${name} must be ${describeRule(rule)}, got ${String(value)}`);
  }
  if (typeof o.realtime !== 'boolean') {
    throw new RangeError(`synthetic camera option realtime must be true or false, got ${String(o.realtime)}`);
  }
  if (o.durationSeconds !== null && !(typeof o.durationSeconds === 'number' && Number.isFinite(o.durationSeconds) && o.durationSeconds > 0)) {
    throw new RangeError(
      `synthetic camera option durationSeconds must be a number > 0, or null for no end, got ${String(o.durationSeconds)}`,
    );
  }
  if (o.seed !== null && !(typeof o.seed === 'number' && Number.isSafeInteger(o.seed))) {
    throw new RangeError(`synthetic camera option seed must be an integer, or null for a random one, got ${String(o.seed)}`);
  }
  if (!Array.isArray(o.featuredPlates)) {
    throw new RangeError(`synthetic camera option featuredPlates must be a list of plates, got ${String(o.featuredPlates)}`);
  }
  for (const plate of o.featuredPlates) {
    const problem = featuredPlateProblem(plate);
    if (problem !== null) throw new RangeError(`synthetic camera option featuredPlates: ${JSON.stringify(plate)} ${problem}`);
  }
  const seed = o.seed ?? Math.floor(Math.random() * 0x1_0000_0000);
  return { ...o, seed };
}

/**
 * The appliance's default camera: a generated traffic scene whose frames carry the plates drawn
 * in them (Frame.truth), so the whole pipeline can be run and scored without a camera.
 */
export class SyntheticTrafficSource implements FrameSource {
  readonly id = 'synthetic';
  readonly live = false;
  readonly description: string;
  /** The options in force, the seed resolved. */
  readonly options: Readonly<SyntheticTrafficOptions & { seed: number }>;
  private readonly log: Logger;
  private readonly pacer: FramePacer;
  private readonly closing = new AbortController();
  private scene: TrafficScene | null = null;
  private renderer: TrafficRenderer | null = null;
  private opening: Promise<void> | null = null;
  private closed = false;
  private seq = 0;
  /** Scene time of the last frame delivered; -1 before the first. */
  private lastTime = -1;
  private readonly plateFrames = new Map<number, number>();
  private readonly reads = new SerialReads();
  private readonly buffers = new FrameBuffers();

  constructor(options: Partial<SyntheticTrafficOptions> = {}, log: Logger = silentLogger) {
    this.options = resolveSyntheticOptions(options);
    this.log = log;
    const o = this.options;
    this.pacer = new FramePacer(o.realtime ? o.fps : 0);
    this.description =
      `synthetic traffic ${o.width}x${o.height} @ ${o.fps} fps, seed ${o.seed}, ` +
      `${o.vehiclesPerMinute} vehicles/min, night ${Math.round(o.nightFraction * 100)}%` +
      (o.durationSeconds === null ? '' : `, ${o.durationSeconds} s`) +
      (o.featuredShare > 0 && o.featuredPlates.length > 0
        ? `, ${Math.round(o.featuredShare * 100)}% showing ${o.featuredPlates.join(' ')}`
        : '');
  }

  /** Builds the scene and draws the road; safe to call twice. */
  open(): Promise<void> {
    if (this.closed) return Promise.reject(this.closedError());
    this.opening ??= this.prepare();
    return this.opening;
  }

  read(): Promise<Frame | null> {
    return this.reads.run(() => this.readOne());
  }

  recycle(image: FrameImage): void {
    this.buffers.giveImage(image);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.closing.abort(this.closedError());
    const renderer = this.renderer;
    this.renderer = null;
    // A read may be mid-render with the renderer's Mats: free them once it has finished.
    await this.reads.idle();
    renderer?.dispose();
    this.log.info({ source: this.id, frames: this.seq }, 'synthetic source closed');
  }

  /** Frames delivered so far. */
  get frames(): number {
    return this.seq;
  }

  /** Scene time of the last frame delivered, seconds; null before the first. */
  get sceneTime(): number | null {
    return this.lastTime < 0 ? null : this.lastTime;
  }

  /** Vehicles that have entered the frame by the last frame delivered, oldest first. */
  vehicles(): VehicleTruth[] {
    if (!this.scene || this.lastTime < 0) return [];
    return this.scene.vehiclesEnteredBy(this.lastTime).map((v) => this.truthOf(v));
  }

  /**
   * Vehicles that have wholly left the frame by the last frame delivered: those a run should have
   * read. The list keeps the newest SCENE_HISTORY_LIMIT vehicles; completedCount counts them all.
   */
  vehiclesCompleted(): VehicleTruth[] {
    return this.vehicles().filter((v) => v.exitTime <= this.lastTime);
  }

  /** How many vehicles have wholly crossed the frame so far, forgotten ones included. */
  get completedCount(): number {
    if (!this.scene || this.lastTime < 0) return 0;
    const kept = this.scene.vehiclesEnteredBy(this.lastTime);
    // Ids run from 1 in entry order and the oldest are forgotten first, long after they left.
    const forgotten = kept.length > 0 ? (kept[0] as SceneVehicle).id - 1 : 0;
    return forgotten + kept.filter((v) => v.exitTime <= this.lastTime).length;
  }

  private async prepare(): Promise<void> {
    const o = this.options;
    const scene = new TrafficScene({
      ...DEFAULT_SCENE_OPTIONS,
      width: o.width,
      height: o.height,
      seed: o.seed,
      vehiclesPerMinute: o.vehiclesPerMinute,
      nightFraction: o.nightFraction,
      featuredPlates: o.featuredPlates,
      featuredShare: o.featuredShare,
    });
    const renderer = new TrafficRenderer({ width: o.width, height: o.height, seed: o.seed, road: scene.roadLayout() });
    await renderer.prepare();
    if (this.closed) {
      renderer.dispose();
      throw this.closedError();
    }
    this.scene = scene;
    this.renderer = renderer;
    this.log.info({ source: this.id, ...o }, 'synthetic source opened');
  }

  private async readOne(): Promise<Frame | null> {
    if (this.closed) throw this.closedError();
    const scene = this.scene;
    if (!scene || !this.renderer) throw new CameraError('SOURCE_CLOSED', `synthetic source read before open()`);
    const t = this.seq / this.options.fps;
    if (this.options.durationSeconds !== null && t >= this.options.durationSeconds) return null;
    await this.pacer.wait(this.closing.signal);

    const look = scene.lookAt(t);
    const poses = scene.posesAt(t);
    const pixels = await this.renderer.render(this.seq, poses, look, this.buffers.take(this.options.width * this.options.height * 3));
    if (this.closed) throw this.closedError();
    const truth: PlateTruth[] = poses
      .filter((p) => p.plateInFrame)
      .map((p) => ({
        vehicleId: p.vehicle.id,
        text: p.vehicle.plate.text,
        quad: p.plateQuad.map((q) => ({ ...q })) as PlateTruth['quad'],
        box: { ...p.plateBox },
      }));
    for (const plate of truth) this.plateFrames.set(plate.vehicleId, (this.plateFrames.get(plate.vehicleId) ?? 0) + 1);
    this.forgetOldCounts(scene);
    this.lastTime = t;
    return {
      sourceId: this.id,
      seq: this.seq++,
      capturedAt: Date.now(),
      capturedMono: performance.now(),
      image: { kind: 'bgr', width: this.options.width, height: this.options.height, pixels },
      truth,
    };
  }

  /** Keeps the per-vehicle counts as bounded as the scene's own history. */
  private forgetOldCounts(scene: TrafficScene): void {
    if (this.plateFrames.size <= 2 * SCENE_HISTORY_LIMIT) return;
    const kept = new Set(scene.vehiclesEnteredBy(this.lastTime).map((v) => v.id));
    for (const id of this.plateFrames.keys()) if (!kept.has(id)) this.plateFrames.delete(id);
  }

  private truthOf(v: SceneVehicle): VehicleTruth {
    return {
      id: v.id,
      text: v.plate.text,
      format: v.plate.format.name,
      direction: v.direction,
      lighting: v.lighting,
      enterTime: v.enterTime,
      exitTime: v.exitTime,
      plateFrames: this.plateFrames.get(v.id) ?? 0,
    };
  }

  private closedError(): CameraError {
    return new CameraError('SOURCE_CLOSED', `synthetic source ${this.id} is closed`);
  }
}
