/**
 * Turns reads into alerts: matches every read the tracker emits against every hotlist the device
 * holds, and for a hit builds the Alert with the list's freshness and the full frame as JPEG.
 * The matcher is rebuilt whenever a list changes (pushed by central, loaded from a file).
 */
import type { FrameImage } from '../../drivers/camera/frame';
import { silentLogger, type Logger } from '../../drivers/log';
import { encodeFrameJpeg, type FrameJpeg } from '../../recognizer/frame-jpeg';
import type { Read } from '../pipeline/read';
import { alertDetails, type Alert, type ListFreshness } from './alert';
import { HotlistMatcher, type HotlistMatch } from './hotlist-matcher';
import type { HotlistStore } from './hotlist-store';

/** What the raiser needs of the hotlists: their entries, freshness, and a signal when they change. */
export type HotlistSource = Pick<HotlistStore, 'allEntries' | 'summary' | 'on' | 'off'>;

export interface AlertRaiserOptions {
  log?: Logger;
  now?: () => number;
  /** Most confusable substitutions a fuzzy match may hold (HotlistMatcher's maxConfusable). */
  maxConfusable?: number;
  /** How a frame becomes JPEG evidence; OpenCV's encoder by default. */
  encodeFrame?: (image: FrameImage) => Promise<FrameJpeg>;
}

export interface AlertRaiserStats {
  /** Entries the matcher holds (expired ones included until the next rebuild). */
  entries: number;
  readsMatched: number;
  hits: number;
  /** Alerts raised without their full frame (not returned by the recognizer, or failed to encode). */
  framesMissing: number;
  rebuilds: number;
}

export class AlertRaiser {
  private matcher: HotlistMatcher;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly encodeFrame: (image: FrameImage) => Promise<FrameJpeg>;
  private readonly counters = { readsMatched: 0, hits: 0, framesMissing: 0, rebuilds: 0 };
  private readonly onChanged = () => this.rebuild();

  constructor(
    private readonly hotlists: HotlistSource,
    private readonly options: AlertRaiserOptions = {},
  ) {
    this.log = options.log ?? silentLogger;
    this.now = options.now ?? Date.now;
    this.encodeFrame = options.encodeFrame ?? ((image) => encodeFrameJpeg(image));
    this.matcher = this.build();
    hotlists.on('changed', this.onChanged);
  }

  stats(): AlertRaiserStats {
    return { entries: this.matcher.size, ...this.counters };
  }

  /** Every entry the read hits, best first; empty when none. Synchronous and well under a millisecond. */
  match(read: Pick<Read, 'plate' | 'alternatives'>): HotlistMatch[] {
    this.counters.readsMatched++;
    return this.matcher.match(read);
  }

  /** True while any list holds entries: only then are frames worth keeping for evidence. */
  watching(): boolean {
    return this.matcher.size > 0;
  }

  /**
   * Whether a sighting's readings (its text and alternatives) hit any entry: the tracker keeps a
   * frame only for sightings that may turn into an alert. Not counted as a matched read.
   */
  mayHit(texts: readonly string[]): boolean {
    return texts.some((plate) => this.matcher.match({ plate, alternatives: [] }).length > 0);
  }

  /**
   * The Alert for a read that hit. The frame is encoded here (off the event loop); an alert is
   * never held back for want of its frame: without one it says why.
   */
  async raise(read: Read, matches: readonly HotlistMatch[], frame: FrameImage | null): Promise<Alert> {
    let evidence: FrameJpeg | null = null;
    let missing: string | null = null;
    if (frame === null) {
      missing = 'the recognizer did not hand the frame back';
    } else {
      try {
        evidence = await this.encodeFrame(frame);
      } catch (err) {
        missing = `the frame could not be encoded: ${(err as Error).message}`;
        this.log.error({ readId: read.id, err: (err as Error).message }, 'alert frame could not be encoded; the alert goes without it');
      }
    }
    if (evidence === null) this.counters.framesMissing++;
    this.counters.hits++;
    const details = alertDetails(matches, (list) => this.freshness(list), evidence, missing, this.now());
    return { read, details };
  }

  /** Stops following list changes. */
  close(): void {
    this.hotlists.off('changed', this.onChanged);
  }

  private freshness(list: string): ListFreshness | null {
    const summary = this.hotlists.summary(list);
    return summary === null ? null : { refreshedAt: summary.refreshedAt, staleSince: summary.staleSince };
  }

  private rebuild(): void {
    this.matcher = this.build();
    this.counters.rebuilds++;
    this.log.info({ entries: this.matcher.size, rejected: this.matcher.rejected.length }, 'hotlist matcher rebuilt');
  }

  private build(): HotlistMatcher {
    const matcher = new HotlistMatcher(this.hotlists.allEntries(), this.now, { maxConfusable: this.options.maxConfusable });
    for (const { entry, problem } of matcher.rejected.slice(0, 10)) {
      this.log.warn({ list: entry.list, caseNumber: entry.caseNumber, problem }, 'hotlist entry cannot be matched');
    }
    return matcher;
  }
}
