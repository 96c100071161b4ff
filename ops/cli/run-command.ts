import type { Logger } from '../../drivers/log';
import type { Read } from '../../firmware/pipeline/read';
import { Appliance } from '../../firmware/main/appliance';
import { loadContext, out } from './cli-context';

export interface RunOptions {
  config?: string;
  for?: number;
  json?: boolean;
}

function readLine(read: Read, json: boolean): string {
  if (json) {
    const { crop: _crop, quad: _quad, ...shown } = read;
    return JSON.stringify({ time: new Date(read.firstSeen).toISOString(), ...shown });
  }
  return `${new Date(read.firstSeen).toISOString()}  ${read.plate.padEnd(8)}  ${read.confidence.toFixed(2)}  (${read.frameCount} frames${read.format ? `, ${read.format}` : ''})`;
}

/** Resolves on SIGINT/SIGTERM, after `seconds` if given, or when a finite source has ended. */
async function untilStopped(appliance: Appliance, seconds: number | undefined, log: Logger): Promise<void> {
  let finish!: () => void;
  const stopped = new Promise<void>((resolve) => (finish = resolve));
  const timer = seconds !== undefined ? setTimeout(finish, seconds * 1000) : null;
  const onSignal = (signal: NodeJS.Signals) => {
    log.info({ signal }, 'stopping');
    finish();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  void appliance.pipeline.finished().then(finish);
  await stopped;
  if (timer) clearTimeout(timer);
  process.removeListener('SIGINT', onSignal);
  process.removeListener('SIGTERM', onSignal);
}

/** `sightline run`: the appliance, until stopped, its source ends, or --for seconds pass. */
export async function runCommand(options: RunOptions): Promise<number> {
  const { config, log } = loadContext(options.config);
  const json = options.json === true;
  const appliance = await Appliance.start(config, log);
  appliance.pipeline.on('read', (read) => out(readLine(read, json)));
  if (!json) out(`sightline: reading plates from ${appliance.source.description}; Ctrl-C stops`);

  await untilStopped(appliance, options.for, log);
  await appliance.stop();
  const stats = appliance.pipeline.stats();
  if (json) out(JSON.stringify({ frames: stats.frames, dropped: stats.dropped, reads: stats.reads }));
  else out(`sightline: ${stats.frames} frames, ${stats.dropped} dropped, ${stats.reads} reads`);
  return 0;
}
