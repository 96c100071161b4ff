import { randomUUID } from 'node:crypto';
import { boxIoU, quadBounds, type Box, type Quad } from '../../drivers/camera/geometry';
import type { FrameImage } from '../../drivers/camera/frame';
import type { PlateCandidate } from '../../recognizer/candidate';
import type { Read, ReadAlternative } from './read';
import type { PlateFormatRules } from './plate-format';
import { editDistance } from './edit-distance';
import { formatCandidate, type FormattedCandidate } from './format-candidates';

export interface TrackerOptions {
  /** A track ends once it has not been seen for this long (frame capture time, ms). */
  windowMs: number;
  /** A track seen for longer than this is ended anyway (a parked car, a plate on a sign). */
  maxTrackMs: number;
  /** Tracks seen in fewer frames are dropped as noise. */
  minFrames: number;
  /** A read is emitted as soon as this many frames agree on its text, without waiting for the vehicle to leave. */
  confirmFrames: number;
  /** At most this many alternatives per read (the Read type allows 5). */
  maxAlternatives: number;
}

/** When and where a frame was taken: all the tracker needs of it. */
export interface FrameStamp {
  sourceId: string;
  seq: number;
  capturedAt: number;
  capturedMono: number;
}

/** A read the tracker has decided, and the frame whose sighting decided it (for latency). */
export interface TrackedRead {
  read: Read;
  decidedBy: FrameStamp;
  /** The full frame the read's crop was cut from, when the recognizer handed it back; evidence for an alert. */
  frame: FrameImage | null;
}

interface Sighting {
  text: string;
  confidence: number;
  /** Confidence times how plate-like the text is: the vote weight. */
  weight: number;
  alternatives: { text: string; confidence: number }[];
  crop: Buffer;
  quad: Quad;
  box: Box;
  frame: FrameStamp;
  /** The frame's image; kept only on the best sighting of each text (the one a read's crop would come from). */
  image: FrameImage | null;
}

interface Track {
  sourceId: string;
  sightings: Sighting[];
  frames: Set<number>;
  lastBox: Box;
  /** Pixels per ms, from the last two sightings, to predict where the plate moves next. */
  velocity: { x: number; y: number };
  emitted: boolean;
}

// Two sightings belong to one vehicle when their boxes overlap after motion is accounted for,
// or their centres are within this many plate widths of each other.
const MIN_IOU = 0.05;
const MAX_CENTRE_DISTANCE_WIDTHS = 1.5;
/** A sighting with (nearly) the track's text may be this many plate widths away. */
const MAX_SAME_TEXT_DISTANCE_WIDTHS = 6;
/** Alternatives suggested by the recognizer count for this fraction of a direct reading. */
const ALTERNATIVE_WEIGHT = 0.3;
/** A confirmed text must also hold this share of the track's votes. */
const CONFIRM_SHARE = 0.6;

function centreDistance(a: Box, b: Box): number {
  return Math.hypot(a.x + a.width / 2 - (b.x + b.width / 2), a.y + a.height / 2 - (b.y + b.height / 2));
}

/** The sighting a read's crop comes from: the most confident, then the largest. */
function bestSighting(sightings: readonly Sighting[]): Sighting {
  return sightings.reduce((a, b) => (b.confidence > a.confidence || (b.confidence === a.confidence && b.box.width > a.box.width) ? b : a));
}

/** Drops the images of all but the best of these sightings (one text's) that have one: a track holds a frame per text, not per sighting. */
function keepBestImage(sameText: readonly Sighting[]): void {
  const best = bestSighting(sameText.filter((s) => s.image !== null));
  for (const s of sameText) if (s !== best) s.image = null;
}

/** The frame of the best sighting that kept one: the crop's own frame, unless that sighting kept none. */
function evidenceFrame(sightings: readonly Sighting[]): FrameImage | null {
  const withImage = sightings.filter((s) => s.image !== null);
  return withImage.length > 0 ? bestSighting(withImage).image : null;
}

/**
 * Follows plates across frames and votes each vehicle's sightings into one Read. Sightings are
 * matched to tracks by position (with the track's motion) and text similarity; a track's read
 * is emitted as soon as enough frames agree, or when the vehicle has left (idle for windowMs).
 */
export class PlateTracker {
  private tracks: Track[] = [];

  constructor(
    private readonly options: TrackerOptions,
    private readonly rules: PlateFormatRules,
  ) {}

  get activeTracks(): number {
    return this.tracks.length;
  }

  /**
   * Adds one frame's candidates; returns the reads this frame confirmed or ended. `image` is the
   * frame itself (optional): kept for the best sighting of each text, so a read that hits a
   * hotlist can carry the frame its crop came from.
   */
  observe(frame: FrameStamp, candidates: PlateCandidate[], image: FrameImage | null = null): TrackedRead[] {
    const done = this.expire(frame.sourceId, frame.capturedAt);
    for (const sighting of this.toSightings(frame, candidates, image)) {
      const track = this.matchTrack(sighting) ?? this.newTrack(sighting);
      this.addSighting(track, sighting);
      if (!track.emitted && this.isConfirmed(track)) {
        track.emitted = true;
        done.push(this.toRead(track, frame));
      }
    }
    return done;
  }

  /** Ends tracks idle for windowMs at time `now` (ms since the epoch); call it on a timer. */
  flush(now: number): TrackedRead[] {
    return this.expire(null, now);
  }

  /** Ends every track, e.g. when the source has ended or the appliance stops. */
  flushAll(): TrackedRead[] {
    return this.expire(null, Number.POSITIVE_INFINITY);
  }

  private toSightings(frame: FrameStamp, candidates: PlateCandidate[], image: FrameImage | null): Sighting[] {
    return candidates
      .map((c) => formatCandidate(c, this.rules))
      .filter((c): c is FormattedCandidate => c !== null)
      .map((c) => ({
        text: c.text,
        confidence: c.confidence,
        weight: c.rank,
        alternatives: c.alternatives,
        crop: c.crop,
        quad: c.quad,
        box: quadBounds(c.quad),
        frame,
        image,
      }));
  }

  private matchTrack(s: Sighting): Track | null {
    let best: Track | null = null;
    let bestScore = 0;
    for (const track of this.tracks) {
      if (track.sourceId !== s.frame.sourceId || track.frames.has(s.frame.seq)) continue;
      const score = this.matchScore(track, s);
      if (score > bestScore) {
        best = track;
        bestScore = score;
      }
    }
    return best;
  }

  /**
   * How well a sighting continues a track, 0 for not at all. Position (after the track's motion)
   * decides when the plate moved little since its last sighting; a plate read with (nearly) the
   * same text may have moved much further, as it does between frames a busy recognizer took
   * apart, so the same text is accepted over a longer distance.
   */
  private matchScore(track: Track, s: Sighting): number {
    const last = track.sightings[track.sightings.length - 1];
    const dt = s.frame.capturedAt - last.frame.capturedAt;
    const predicted = { ...track.lastBox, x: track.lastBox.x + track.velocity.x * dt, y: track.lastBox.y + track.velocity.y * dt };
    const iou = Math.max(boxIoU(predicted, s.box), boxIoU(track.lastBox, s.box));
    const width = Math.max(s.box.width, track.lastBox.width);
    const distance = Math.min(centreDistance(predicted, s.box), centreDistance(track.lastBox, s.box));
    const textDistance = Math.min(...track.sightings.map((t) => editDistance(t.text, s.text, 2)));
    const near = iou >= MIN_IOU || distance <= MAX_CENTRE_DISTANCE_WIDTHS * width;
    if (near && (textDistance <= 2 || iou >= 0.3)) return iou + (textDistance <= 2 ? 1 : 0) + 1;
    if (textDistance <= 1 && distance <= MAX_SAME_TEXT_DISTANCE_WIDTHS * width) return 1 - distance / (MAX_SAME_TEXT_DISTANCE_WIDTHS * width);
    return 0;
  }

  private newTrack(s: Sighting): Track {
    const track: Track = { sourceId: s.frame.sourceId, sightings: [], frames: new Set(), lastBox: s.box, velocity: { x: 0, y: 0 }, emitted: false };
    this.tracks.push(track);
    return track;
  }

  private addSighting(track: Track, s: Sighting): void {
    const last = track.sightings[track.sightings.length - 1];
    if (last) {
      const dt = s.frame.capturedAt - last.frame.capturedAt;
      if (dt > 0) track.velocity = { x: (s.box.x - last.box.x) / dt, y: (s.box.y - last.box.y) / dt };
    }
    track.sightings.push(s);
    track.frames.add(s.frame.seq);
    track.lastBox = s.box;
    if (s.image !== null) keepBestImage(track.sightings.filter((t) => t.text === s.text));
  }

  private votes(track: Track): Map<string, number> {
    const votes = new Map<string, number>();
    const add = (text: string, weight: number) => votes.set(text, (votes.get(text) ?? 0) + weight);
    for (const s of track.sightings) {
      add(s.text, s.weight);
      for (const alt of s.alternatives) add(alt.text, alt.confidence * ALTERNATIVE_WEIGHT * (s.weight / Math.max(s.confidence, 1e-6)));
    }
    return votes;
  }

  /**
   * Confirmed when the vote leader was read directly in enough frames and holds CONFIRM_SHARE of
   * the direct readings' weight. Alternatives help rank the final read but not confirm it early:
   * every reading offers several, and counting them would keep any track below the share.
   */
  private isConfirmed(track: Track): boolean {
    const [leader] = [...this.votes(track).entries()].sort((a, b) => b[1] - a[1])[0] ?? [''];
    const agreeing = track.sightings.filter((s) => s.text === leader);
    const direct = track.sightings.reduce((sum, s) => sum + s.weight, 0);
    const leaderWeight = agreeing.reduce((sum, s) => sum + s.weight, 0);
    return agreeing.length >= Math.max(this.options.confirmFrames, this.options.minFrames) && leaderWeight >= CONFIRM_SHARE * direct;
  }

  private expire(sourceId: string | null, now: number): TrackedRead[] {
    const ended: TrackedRead[] = [];
    this.tracks = this.tracks.filter((track) => {
      if (sourceId !== null && track.sourceId !== sourceId) return true;
      const first = track.sightings[0].frame.capturedAt;
      const last = track.sightings[track.sightings.length - 1];
      const idle = now - last.frame.capturedAt >= this.options.windowMs;
      const tooLong = now - first >= this.options.maxTrackMs;
      if (!idle && !tooLong) return true;
      if (!track.emitted && track.frames.size >= this.options.minFrames) ended.push(this.toRead(track, last.frame));
      return false;
    });
    return ended;
  }

  private toRead(track: Track, decidedBy: FrameStamp): TrackedRead {
    const ranked = [...this.votes(track).entries()].sort((a, b) => b[1] - a[1]);
    const total = ranked.reduce((sum, [, w]) => sum + w, 0);
    const [plate] = ranked[0];
    const agreeing = track.sightings.filter((s) => s.text === plate);
    // The crop (and the frame) come from the sightings that read the voted plate, when any did.
    const source = agreeing.length > 0 ? agreeing : track.sightings;
    const best = bestSighting(source);
    const meanConfidence = agreeing.length > 0 ? agreeing.reduce((sum, s) => sum + s.confidence, 0) / agreeing.length : best.confidence;
    const share = total > 0 ? ranked[0][1] / total : 0;
    const alternatives: ReadAlternative[] = ranked
      .slice(1, 1 + this.options.maxAlternatives)
      .map(([text, weight]) => ({ plate: text, confidence: total > 0 ? weight / total : 0 }));
    const frames = track.sightings.map((s) => s.frame.capturedAt);
    return {
      decidedBy,
      frame: evidenceFrame(source),
      read: {
        id: randomUUID(),
        plate,
        confidence: meanConfidence * share,
        alternatives,
        crop: best.crop,
        quad: best.quad,
        firstSeen: Math.min(...frames),
        lastSeen: Math.max(...frames),
        frameCount: track.frames.size,
        sourceId: track.sourceId,
        format: this.rules.formatOf(plate),
      },
    };
  }
}
