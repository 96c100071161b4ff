import pino from 'pino';
import type { Logger } from '../../drivers/log';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/**
 * The process logger: JSON lines on stderr (stdout carries the reads and command output), with
 * errors serialized including their code. Written synchronously so a crash loses no lines.
 */
export function createLogger(level: LogLevel): Logger & { level: string } {
  return pino(
    {
      level,
      base: { name: 'sightline' },
      serializers: { err: pino.stdSerializers.err },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    pino.destination({ fd: 2, sync: true }),
  );
}
