/**
 * `sightline alerts`: the alerts kept on this device (class `hit` reads), newest first, with what
 * an officer needs to confirm one by eye (POLICY P8, P9): plate, confidence, alternatives, each
 * match with its list, rule, case and synopsis, stale-list lines and the advisory; optionally the
 * plate crop and full frame as files. It shows plates, so it is an access to ALPR data (P10):
 * refused without user, agency, purpose and case, and recorded before anything is shown.
 */
import { alertRecordOf, type AlertRecord } from '../../firmware/hotlist/alert';
import { MAX_LIST_LIMIT, type StoredRead } from '../../firmware/store/read-store';
import { CliError } from './cli-error';
import { out } from './cli-context';
import { withStore } from './configured-store';
import { imageFolder, saveAlertImages, type SavedImages } from './alert-images';
import { accessRequestOf, recordAccess, type AccessOptions } from './plate-data-access';

export const DEFAULT_ALERTS_LIMIT = 20;

export interface AlertsCommandOptions extends AccessOptions {
  config?: string;
  /** ISO time: only alerts first seen at or after it. */
  since?: string;
  limit?: number;
  json?: boolean;
  /** Directory for `<readId>-crop.jpg` and `<readId>-frame.jpg` (0600). */
  saveImages?: string;
}

/** One alert as `--json` prints it: the read's fields (times ISO), and the alert in its record form (the protocol's). */
export interface AlertJson {
  id: string;
  firstSeen: string;
  lastSeen: string;
  plate: string;
  confidence: number;
  alternatives: { plate: string; confidence: number }[];
  sourceId: string;
  originalPlate: string | null;
  /** Acknowledged by central. */
  uploaded: boolean;
  /** On evidence hold. */
  held: boolean;
  cropBytes: number;
  /** Null for a hit stored without alert details. */
  alert: (AlertRecord & { frameBytes: number | null }) | null;
  images?: SavedImages;
}

export async function alertsCommand(options: AlertsCommandOptions): Promise<number> {
  const request = accessRequestOf('alerts', options);
  const since = sinceOf(options.since);
  const limit = options.limit ?? DEFAULT_ALERTS_LIMIT;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIST_LIMIT) throw new CliError(`alerts: --limit must be an integer from 1 to ${MAX_LIST_LIMIT} (got ${limit})`);

  return withStore(options.config, async (store, dataDir) => {
    const hits = await store.list({ dataClass: 'hit', since, limit });
    // Recorded before anything leaves this process: the query, and each plate it shows.
    const query = `alerts since ${since === undefined ? 'any time' : new Date(since).toISOString()}, newest ${limit}`;
    await recordAccess(dataDir, request, 'list alerts', [query, ...hits.map((h) => `${h.plate} (read ${h.id})`)]);

    const saved = new Map<string, SavedImages>();
    if (options.saveImages !== undefined) {
      const folder = imageFolder(options.saveImages);
      for (const hit of hits) saved.set(hit.id, saveAlertImages(folder, hit.id, hit.crop, hit.alert?.frame?.jpeg ?? null));
    }

    if (options.json) {
      out(JSON.stringify(hits.map((hit) => alertJson(hit, saved.get(hit.id)))));
      return 0;
    }
    if (hits.length === 0) out(`no alerts on this device${since === undefined ? '' : ` since ${new Date(since).toISOString()}`}`);
    hits.forEach((hit, i) => {
      if (i > 0) out('');
      alertLines(hit, saved.get(hit.id)).forEach((line) => out(line));
    });
    if (hits.length === limit) out(`\n(the newest ${limit} shown; raise --limit or narrow --since for others)`);
    return 0;
  });
}

/** --since as ms, or a usage error. */
function sinceOf(since: string | undefined): number | undefined {
  if (since === undefined) return undefined;
  const ms = Date.parse(since);
  if (!/^\d{4}-\d{2}-\d{2}/.test(since) || !Number.isSafeInteger(ms) || ms < 0) {
    throw new CliError(`alerts: --since must be an ISO time such as 2026-11-25T10:00:00Z (got ${JSON.stringify(since.slice(0, 80))})`);
  }
  return ms;
}

function iso(ms: number | null): string {
  return ms === null ? '-' : new Date(ms).toISOString();
}

export function alertJson(hit: StoredRead, images: SavedImages | undefined): AlertJson {
  const details = hit.alert;
  return {
    id: hit.id,
    firstSeen: iso(hit.firstSeen),
    lastSeen: iso(hit.lastSeen),
    plate: hit.plate,
    confidence: hit.confidence,
    alternatives: hit.alternatives.map((a) => ({ plate: a.plate, confidence: a.confidence })),
    sourceId: hit.sourceId,
    originalPlate: hit.originalPlate,
    uploaded: hit.uploaded,
    held: hit.held,
    cropBytes: hit.crop.length,
    alert: details === null ? null : { ...alertRecordOf(details), frameBytes: details.frame?.jpeg.length ?? null },
    ...(images === undefined ? {} : { images }),
  };
}

/** The text form of one alert: a header line, then indented details. */
export function alertLines(hit: StoredRead, images: SavedImages | undefined): string[] {
  const details = hit.alert;
  const corrected = hit.originalPlate === null ? '' : ` (corrected; read as ${hit.originalPlate})`;
  const lines = [`${iso(hit.firstSeen)}  read ${hit.id}  plate ${hit.plate}${corrected}  confidence ${hit.confidence.toFixed(2)}${details === null ? '  (no alert details)' : ''}`];
  const field = (name: string, value: string) => lines.push(`  ${name.padEnd(13)}${value}`);
  field('alternatives', hit.alternatives.length === 0 ? 'none' : hit.alternatives.map((a) => `${a.plate} (${a.confidence.toFixed(2)})`).join(', '));
  if (details !== null) {
    field('raised', iso(details.raisedAt));
    details.matches.forEach((m, i) => {
      const e = m.entry;
      field(`match ${i + 1}`, `list ${e.list}, listed ${e.plate}${e.state === null ? '' : ` (${e.state})`}, rule ${m.rule}: ${m.why}`);
      field('', `reason ${e.reason}; case ${e.caseNumber}; entered by ${e.enteredBy} at ${iso(e.enteredAt)}`);
      if (e.synopsis !== '') field('', `synopsis: ${e.synopsis}`);
      // The stale line itself is in the advisory, below.
      field('', `list refreshed ${iso(m.listRefreshedAt)}${m.listStaleSince === null ? '' : `, STALE since ${iso(m.listStaleSince)}`}`);
    });
    details.advisory.split('\n').forEach((line, i) => field(i === 0 ? 'advisory' : '', line));
    field('frame', details.frame === null ? `none (${details.frameMissing ?? 'not kept'})` : `${details.frame.width}x${details.frame.height} JPEG, ${details.frame.jpeg.length} bytes`);
  }
  field('uploaded', hit.uploaded ? 'yes (acknowledged by central)' : 'no (not yet acknowledged by central)');
  field('held', hit.held ? 'yes (evidence hold)' : 'no');
  if (images !== undefined) field('images', images.frame === null ? `${images.crop} (no frame kept)` : `${images.crop}, ${images.frame}`);
  return lines;
}
