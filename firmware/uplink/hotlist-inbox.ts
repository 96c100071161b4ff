/**
 * Hotlists pushed by central: the signature is checked against the pinned central CA before
 * anything is parsed, then the snapshot is parsed and checked whole and replaces the list in the
 * HotlistStore atomically. Any failure leaves the list held before untouched.
 *
 * The snapshot central signs is the JSON text `{ list, version?, generatedAt?, entries }`: the
 * list's name is inside the signed text, so a snapshot cannot be replayed under another name, and
 * a version lower than the one held is refused, so an old snapshot cannot roll a list back.
 */
import { parseHotlistText, formatRowError, refusalSummary } from '../hotlist/hotlist-file';
import { HotlistError } from '../hotlist/hotlist-error';
import { listNameProblem } from '../hotlist/hotlist-name';
import { verifySnapshot } from '../hotlist/hotlist-signature';
import type { HotlistStore, HotlistSummary } from '../hotlist/hotlist-store';

export { HOTLIST_NAME_PATTERN } from '../hotlist/hotlist-name';

export interface PushedHotlist {
  list: string;
  /** The snapshot's JSON text, exactly as signed. */
  snapshot: string;
  /** Base64 signature of `snapshot` by the fleet CA; null is refused. */
  signature: string | null;
}

/**
 * Verifies, parses and stores a pushed list; returns the list as now held.
 * @throws HotlistError: HOTLIST_INVALID (name, JSON, rows), HOTLIST_BAD_SIGNATURE, HOTLIST_OLDER.
 */
export async function receiveHotlist(store: HotlistStore, pushed: PushedHotlist, centralCaPem: string, now: number): Promise<HotlistSummary> {
  const nameProblem = listNameProblem(pushed.list);
  if (nameProblem !== null) throw new HotlistError('HOTLIST_INVALID', `list: ${nameProblem}`);
  if (pushed.signature === null) throw new HotlistError('HOTLIST_BAD_SIGNATURE', `hotlist ${pushed.list}: not signed; only snapshots signed by the fleet CA are loaded`);
  if (!verifySnapshot(pushed.snapshot, pushed.signature, centralCaPem)) {
    throw new HotlistError('HOTLIST_BAD_SIGNATURE', `hotlist ${pushed.list}: the signature does not verify against the pinned central CA (altered, or signed with another key); the list held is kept`);
  }
  const parsed = parseHotlistText(pushed.snapshot, 'json', { list: pushed.list });
  if (parsed.refused) {
    const first = parsed.errors[0];
    throw new HotlistError('HOTLIST_INVALID', `hotlist ${pushed.list}: ${refusalSummary(parsed)}${first === undefined ? '' : `; ${formatRowError(first)}`}`, parsed.errors);
  }
  if (parsed.list === null) throw new HotlistError('HOTLIST_INVALID', `hotlist ${pushed.list}: a snapshot must be { list, version?, generatedAt?, entries } so that its name is signed`);
  const held = store.summary(pushed.list);
  if (parsed.version !== null && held?.version != null && parsed.version < held.version) {
    throw new HotlistError('HOTLIST_OLDER', `hotlist ${pushed.list}: version ${parsed.version} is older than version ${held.version} held; kept the newer one`);
  }
  // Fresh as of when central made it; a generation time ahead of the device's clock counts as now.
  const refreshedAt = Math.min(parsed.generatedAt ?? now, now);
  return store.replace(pushed.list, parsed.entries, { source: 'central', version: parsed.version, refreshedAt, signature: pushed.signature });
}
