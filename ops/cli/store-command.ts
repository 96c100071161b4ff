import { alertRecordOf } from '../../firmware/hotlist/alert';
import { writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import type { ReadStoreStats } from '../../firmware/store/read-store';
import type { SqliteReadStore } from '../../firmware/store/sqlite-read-store';
import { CliError } from './cli-error';
import { out } from './cli-context';
import { withStore as withConfiguredStore } from './configured-store';
import { accessRequestOf, recordAccess, type AccessOptions } from './plate-data-access';

export { ACCESS_LOG_FILE } from './plate-data-access';

interface StoreCommandOptions {
  config?: string;
  json?: boolean;
}

function withStore<T>(options: StoreCommandOptions, fn: (store: SqliteReadStore, dataDir: string) => Promise<T>): Promise<T> {
  return withConfiguredStore(options.config, fn);
}

function who(user: string | undefined): string {
  return user ?? userInfo().username;
}

function time(ms: number | null): string {
  return ms === null ? '-' : new Date(ms).toISOString();
}

function mb(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

function statsText(s: ReadStoreStats): string[] {
  const lines = [
    `records        ${s.reads} (${mb(s.bytes)}), oldest ${time(s.oldest)}, newest ${time(s.newest)}`,
    ...s.byClassAndState.map((g) => `  ${g.dataClass.padEnd(5)} ${g.state.padEnd(9)} ${String(g.records).padStart(8)}  ${mb(g.bytes)}`),
    `ring quota     ${mb(s.pools.ring.bytes)} of ${mb(s.pools.ring.quotaBytes)} (${((100 * s.pools.ring.bytes) / s.pools.ring.quotaBytes).toFixed(1)}%)`,
    `protected      ${mb(s.pools.protected.bytes)} of ${mb(s.pools.protected.quotaBytes)} (alerts and held records, never evicted)`,
    `losses         ${s.totals.lostNotUploaded} reads evicted before central acknowledged them`,
    `evicted        ${s.totals.evictedExpired} expired, ${s.totals.evictedAcknowledged} acknowledged`,
    `purged         ${s.totals.purged} records, ${s.totals.keysDestroyed} data keys destroyed; deleted ${s.totals.deleted}, corrected ${s.totals.corrected}`,
    `data keys      ${s.dataKeys}${s.brokenDataKeys > 0 ? ` (${s.brokenDataKeys} FAIL to unwrap)` : ''}`,
    `files          ${mb(s.fileBytes)} database, ${mb(s.walBytes)} write-ahead log`,
  ];
  return lines;
}

/** `sightline store stats`: counts and bytes per class and state, quotas, losses. No plate data. */
export async function storeStatsCommand(options: StoreCommandOptions): Promise<number> {
  const stats = await withStore(options, (store) => store.stats());
  if (options.json) out(JSON.stringify(stats));
  else statsText(stats).forEach((line) => out(line));
  return 0;
}

/** `sightline store purge`: destroys expired epochs' keys and deletes expired records now. */
export async function storePurgeCommand(options: StoreCommandOptions): Promise<number> {
  const result = await withStore(options, (store) => store.purge());
  if (options.json) out(JSON.stringify(result));
  else out(`purged ${result.recordsPurged} records, destroyed ${result.keysDestroyed} data keys in ${result.durationMs.toFixed(0)} ms${result.walTruncated ? '' : ' (WAL not truncated: another process is reading the store; the next purge will)'}`);
  return 0;
}

export async function storeHoldCommand(id: string, options: StoreCommandOptions & { case: string; reason: string; user?: string }): Promise<number> {
  await withStore(options, (store) => store.hold(id, { caseNumber: options.case, reason: options.reason, by: who(options.user) }));
  out(`read ${id} is on hold for case ${options.case}`);
  return 0;
}

export async function storeReleaseCommand(id: string, options: StoreCommandOptions & { user?: string }): Promise<number> {
  await withStore(options, (store) => store.release(id, who(options.user)));
  out(`read ${id} released; normal retention applies`);
  return 0;
}

export async function storeDeleteCommand(id: string, options: StoreCommandOptions & { reason: string; user?: string }): Promise<number> {
  await withStore(options, (store) => store.delete(id, { by: who(options.user), reason: options.reason }));
  out(`read ${id} deleted`);
  return 0;
}

export async function storeCorrectCommand(id: string, options: StoreCommandOptions & { plate: string; reason: string; user?: string }): Promise<number> {
  await withStore(options, (store) => store.correct(id, options.plate, { by: who(options.user), reason: options.reason }));
  out(`read ${id} corrected to ${options.plate}`);
  return 0;
}

/**
 * `sightline store show ID`: one read's plate data. The access is recorded (user, agency,
 * purpose, case) before anything is shown; without those, or if recording fails, nothing is.
 */
export async function storeShowCommand(
  id: string,
  options: StoreCommandOptions & AccessOptions & { crop?: string },
): Promise<number> {
  const request = accessRequestOf('store show', options);
  return withStore(options, async (store, dataDir) => {
    await recordAccess(dataDir, request, 'show read', [id]);
    const read = await store.get(id);
    if (read === null) throw new CliError(`store show: no read ${id}`);
    const { crop, alert, ...shown } = read;
    if (options.crop !== undefined) writeFileSync(options.crop, crop, { mode: 0o600 });
    // An alert's frame is a JPEG of hundreds of kB: its size here; `sightline alerts --save-images` writes it.
    const alertShown = alert === null ? null : { ...alertRecordOf(alert), frameBytes: alert.frame?.jpeg.length ?? null };
    out(JSON.stringify({ ...shown, firstSeen: new Date(read.firstSeen).toISOString(), lastSeen: new Date(read.lastSeen).toISOString(), cropBytes: crop.length, alert: alertShown }));
    return 0;
  });
}
