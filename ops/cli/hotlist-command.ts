import * as path from 'node:path';
import { silentLogger } from '../../drivers/log';
import type { Config } from '../../firmware/config/schema';
import type { HotlistEntry } from '../../firmware/hotlist/hotlist-entry';
import { formatRowError, parseHotlistFile, type HotlistFormat, type ParsedHotlist } from '../../firmware/hotlist/hotlist-file';
import { listNameProblem } from '../../firmware/hotlist/hotlist-name';
import { HotlistStore, type HotlistSummary } from '../../firmware/hotlist/hotlist-store';
import { CliError } from './cli-error';
import { loadContext, out } from './cli-context';

/** Row errors printed before "... and N more". */
const ERRORS_SHOWN = 50;

/** Where the device keeps its lists. */
export function hotlistDirOf(config: Config): string {
  return path.resolve(config.store.dataDir, 'hotlists');
}

function time(ms: number): string {
  return new Date(ms).toISOString();
}

function err(line: string): void {
  process.stderr.write(`${line}\n`);
}

function printErrors(parsed: ParsedHotlist, file: string): void {
  for (const error of parsed.errors.slice(0, ERRORS_SHOWN)) err(formatRowError(error, file));
  const more = parsed.errors.length - ERRORS_SHOWN;
  if (more > 0) err(`... and ${more} more error${more === 1 ? '' : 's'}`);
}

/**
 * `sightline hotlist load FILE [--list NAME] [--format csv|json] [--skip-bad-rows] [--json]`:
 * checks every row, then replaces each list the file names (or NAME) whole. Bad rows are printed
 * with their row number and field, and nothing is loaded (exit 2) unless --skip-bad-rows.
 * A running appliance picks the change up within a second (it watches DATA/hotlists), at the
 * latest after hotlist.reloadSeconds.
 */
export async function hotlistLoadCommand(file: string, options: { list?: string; format?: string; skipBadRows?: boolean; config?: string; json?: boolean }): Promise<number> {
  if (options.format !== undefined && options.format !== 'csv' && options.format !== 'json') throw new CliError(`--format must be csv or json (got "${options.format}")`);
  if (options.list !== undefined) {
    const problem = listNameProblem(options.list);
    if (problem !== null) throw new CliError(`--list: ${problem}`);
  }
  let parsed: ParsedHotlist;
  try {
    parsed = await parseHotlistFile(file, { list: options.list, format: options.format as HotlistFormat | undefined, skipBadRows: options.skipBadRows });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new CliError(code === 'ENOENT' ? `${file}: no such file` : code === 'EACCES' ? `${file}: permission denied` : (e as Error).message);
  }
  printErrors(parsed, file);
  if (parsed.refused) {
    err(
      parsed.badRows > 0
        ? `${file}: ${parsed.badRows} bad row${parsed.badRows === 1 ? '' : 's'} of ${parsed.rows}; nothing was loaded${options.skipBadRows ? ' (no good row left)' : ' (fix them, or load the good rows with --skip-bad-rows)'}`
        : `${file}: refused; nothing was loaded`,
    );
    return 2;
  }

  // Rows go to the list they name; a named list with no rows left is emptied.
  const byList = new Map<string, HotlistEntry[]>();
  const named = options.list ?? parsed.list;
  if (named !== null) byList.set(named, []);
  for (const entry of parsed.entries) {
    const entries = byList.get(entry.list) ?? [];
    entries.push(entry);
    byList.set(entry.list, entries);
  }
  if (byList.size === 0) {
    err(`${file}: no rows and no list named (--list NAME): nothing to load`);
    return 2;
  }

  const { config, log } = loadContext(options.config, 'warn');
  const store = await HotlistStore.open(hotlistDirOf(config), { log: log.child({ part: 'hotlists' }) });
  const loaded: HotlistSummary[] = [];
  for (const [list, entries] of byList) loaded.push(await store.replace(list, entries, { source: 'file', version: parsed.version, refreshedAt: Date.now() }));
  if (options.json) {
    out(JSON.stringify({ file, rows: parsed.rows, skipped: parsed.badRows, lists: loaded.map((l) => ({ list: l.name, entries: l.entries })) }));
  } else {
    for (const l of loaded) out(`loaded ${l.entries} entr${l.entries === 1 ? 'y' : 'ies'} into list ${l.name}`);
    if (parsed.badRows > 0) out(`skipped ${parsed.badRows} bad row${parsed.badRows === 1 ? '' : 's'} (listed above)`);
  }
  return 0;
}

/** `sightline hotlist list [--json]`: each list with its size, source, when refreshed and whether stale; unreadable list files on stderr. */
export async function hotlistListCommand(options: { config?: string; json?: boolean }): Promise<number> {
  const { config } = loadContext(options.config, 'error');
  // Unreadable files are printed below, not logged as well.
  const store = await HotlistStore.open(hotlistDirOf(config), { log: silentLogger });
  const lists = store.lists();
  for (const p of store.problems) err(`${path.join(store.dir, p.file)}: skipped: ${p.message}`);
  if (options.json) {
    out(JSON.stringify({ lists, problems: store.problems }));
    return 0;
  }
  if (lists.length === 0) {
    out(`no hotlists in ${store.dir}`);
    return 0;
  }
  const width = Math.max(4, ...lists.map((l) => l.name.length));
  out(`${'list'.padEnd(width)}  ${'entries'.padStart(8)}  source   version  refreshed                 state`);
  for (const l of lists) {
    const state = l.stale ? `STALE since ${time(l.staleSince!)}` : 'fresh';
    out(`${l.name.padEnd(width)}  ${String(l.entries).padStart(8)}  ${l.source.padEnd(7)}  ${String(l.version ?? '-').padStart(7)}  ${time(l.refreshedAt)}  ${state}`);
  }
  return 0;
}
