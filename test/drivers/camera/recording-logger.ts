import type { Logger, LogFn } from '../../../drivers/log';

export interface LogEntry {
  level: 'debug' | 'info' | 'warn' | 'error';
  fields: Record<string, unknown>;
  msg: string | undefined;
}

/** A Logger that keeps every entry, so tests can assert what was logged. */
export function recordingLogger(): { log: Logger; entries: LogEntry[] } {
  const entries: LogEntry[] = [];
  const at =
    (level: LogEntry['level']): LogFn =>
    (objOrMsg: object | string, msg?: string) => {
      if (typeof objOrMsg === 'string') entries.push({ level, fields: {}, msg: objOrMsg });
      else entries.push({ level, fields: objOrMsg as Record<string, unknown>, msg });
    };
  const log: Logger = {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: () => log,
  };
  return { log, entries };
}
