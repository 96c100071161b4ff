/** How central prints an alert's evidence: shared by `sightline hub alerts` and `sightline run --demo-hub`. */
import type { AlertRecord } from '../../firmware/hotlist/alert';

/** "412 kB" (1 kB = 1024 bytes; "0 kB" only for nothing). */
export function kB(bytes: number): string {
  return bytes === 0 ? '0 kB' : `${Math.max(1, Math.round(bytes / 1024))} kB`;
}

/** "frame 1920x1080 (412 kB), crop 12 kB", or why there is no frame. */
export function evidenceLine(record: Pick<AlertRecord, 'frame' | 'frameMissing'>, frameBytes: number, cropBytes: number): string {
  const frame = record.frame === null ? `no frame (${record.frameMissing ?? 'not kept'})` : `frame ${record.frame.width}x${record.frame.height} (${kB(frameBytes)})`;
  return `${frame}, crop ${kB(cropBytes)}`;
}

/** Each list that was stale at the alert, once, with when it became stale. */
export function staleLists(record: Pick<AlertRecord, 'matches'>): { list: string; staleSince: string }[] {
  const seen = new Map<string, number>();
  for (const m of record.matches) if (m.listStaleSince !== null && !seen.has(m.entry.list)) seen.set(m.entry.list, m.listStaleSince);
  return [...seen].map(([list, since]) => ({ list, staleSince: new Date(since).toISOString() }));
}

/** One line per match, for the officer: the listed plate, rule and why, reason, case, who entered it, synopsis. */
export function matchLines(record: Pick<AlertRecord, 'matches'>): string[] {
  return record.matches.map((m) => {
    const e = m.entry;
    const stale = m.listStaleSince === null ? '' : ` [hotlist stale since ${new Date(m.listStaleSince).toISOString()}]`;
    const synopsis = e.synopsis === '' ? '' : `; ${e.synopsis}`;
    // `why` names its rule ("exact", "fuzzy: read O where ..."); the rule is added only when it does not.
    const rule = m.why.startsWith(m.rule) ? m.why : `${m.rule}: ${m.why}`;
    return `${rule} on ${e.list} ${e.plate}${e.state ? ` ${e.state}` : ''}: ${e.reason}, case ${e.caseNumber}, entered by ${e.enteredBy}${synopsis}${stale}`;
  });
}
