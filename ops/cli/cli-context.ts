import type { Logger } from '../../drivers/log';
import { loadConfig } from '../../firmware/config/load-config';
import type { Config } from '../../firmware/config/schema';
import { createLogger, type LogLevel } from '../../firmware/main/logger';

/** Loads the config (defaults when no file) and makes the logger it asks for. */
export function loadContext(configPath: string | undefined, levelOverride?: LogLevel): { config: Config; log: Logger } {
  const config = loadConfig(configPath);
  return { config, log: createLogger(levelOverride ?? config.log.level) };
}

/** Writes one line to stdout (reads, results); logs go to stderr. */
export function out(line: string): void {
  process.stdout.write(`${line}\n`);
}
