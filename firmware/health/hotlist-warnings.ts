/**
 * Health warnings about the hotlists (POLICY P6: lists are refreshed from state sources at least
 * daily). A stale list still matches, but its alerts may rest on entries already cleared or miss
 * new ones; no list at all means no read is matched. Both must be visible at central.
 */
import type { HotlistSummary } from '../hotlist/hotlist-store';

const HOUR_MS = 3_600_000;

/** The warning when the device holds no list. */
export const NO_HOTLISTS_WARNING = 'no hotlists loaded: reads are not being matched';

/** One line per stale list, or NO_HOTLISTS_WARNING when there is none; empty when all is well. */
export function hotlistWarnings(lists: readonly HotlistSummary[], now: number): string[] {
  if (lists.length === 0) return [NO_HOTLISTS_WARNING];
  return lists.filter((l) => l.stale && l.staleSince !== null).map((l) => staleWarning(l, now));
}

/** "hotlist CA-SVS stale since 2026-11-25T10:00:00.000Z (not refreshed for 26 h; policy: at least daily)". */
export function staleWarning(list: Pick<HotlistSummary, 'name' | 'refreshedAt' | 'staleSince'>, now: number): string {
  const staleSince = list.staleSince ?? now;
  const ageHours = Math.floor(Math.max(0, now - list.refreshedAt) / HOUR_MS);
  // The store's threshold is staleSince - refreshedAt; say it when it is not the policy's day.
  const thresholdHours = Math.round((staleSince - list.refreshedAt) / HOUR_MS);
  const threshold = thresholdHours === 24 ? '' : `; warns after ${thresholdHours} h`;
  return `hotlist ${list.name} stale since ${new Date(staleSince).toISOString()} (not refreshed for ${ageHours} h${threshold}; policy: at least daily)`;
}
