/**
 * The `make run` demo hotlist: the plates the synthetic camera features (DEMO_FEATURED_PLATES),
 * listed so that each matching rule shows at the hub: the first exactly, the second as a partial
 * plate with a wildcard, the third with one confusable character changed so the read matches it
 * fuzzily. Demo data only: every entry says so.
 */
import { DEMO_FEATURED_PLATES } from '../../drivers/camera/synthetic/featured-plates';
import { CONFUSION_CLASSES } from '../../firmware/hotlist/confusables';
import { hotlistEntrySchema, type HotlistEntry } from '../../firmware/hotlist/hotlist-entry';

export const DEMO_LIST = 'DEMO';
const ENTERED_BY = 'demo hub';
const SYNOPSIS = 'Demo data from the make run demo hub, not a real record: the synthetic camera shows this plate now and then.';

/** The snapshot central signs: `{ list, version, generatedAt, entries }` as JSON text. */
export interface DemoHotlist {
  list: string;
  entries: HotlistEntry[];
  /** Grows with every build (ms since 1970), so the device takes each push as the newer list. */
  version: number;
  snapshot: string;
}

/** The DEMO list as of `now`, its entries checked by the same schema the device applies. */
export function demoHotlist(now: number = Date.now(), plates: readonly string[] = DEMO_FEATURED_PLATES): DemoHotlist {
  const [exact, partial, fuzzy] = plates;
  if (exact === undefined || partial === undefined || fuzzy === undefined) {
    throw new RangeError(`the demo hotlist needs three featured plates (one per rule), got ${plates.length}`);
  }
  const entry = (n: number, plate: string, reason: string): HotlistEntry =>
    hotlistEntrySchema.parse({
      plate,
      state: null,
      list: DEMO_LIST,
      reason,
      caseNumber: `DEMO-${String(n).padStart(4, '0')}`,
      enteredBy: ENTERED_BY,
      synopsis: SYNOPSIS,
      enteredAt: now,
      expiresAt: null,
    });
  const entries = [
    entry(1, exact, 'stolen vehicle (demo)'),
    entry(2, `${partial.slice(0, 4)}*`, 'BOLO partial plate (demo)'),
    entry(3, withOneConfusable(fuzzy), 'wanted person (demo)'),
  ];
  const snapshot = JSON.stringify({ list: DEMO_LIST, version: now, generatedAt: now, entries });
  return { list: DEMO_LIST, entries, version: now, snapshot };
}

/**
 * The plate with its first character that has a confusable partner swapped for that partner
 * (S -> 5, 8 -> B, ...): what a list holds when it was typed from a misread.
 */
export function withOneConfusable(plate: string): string {
  for (let i = 0; i < plate.length; i += 1) {
    const members = CONFUSION_CLASSES.find((c) => c.includes(plate[i]));
    if (members === undefined) continue;
    const partner = members[(members.indexOf(plate[i]) + 1) % members.length];
    return plate.slice(0, i) + partner + plate.slice(i + 1);
  }
  throw new RangeError(`${plate} has no character with a confusable partner (${CONFUSION_CLASSES.join(' ')}); the fuzzy demo entry needs one`);
}
