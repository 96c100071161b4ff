import { SingleBar, Presets } from 'cli-progress';

export interface Progress {
  update(done: number, payload?: Record<string, string | number>): void;
  stop(): void;
}

const quiet: Progress = { update: () => undefined, stop: () => undefined };

/** A progress bar on stderr when it is a terminal; nothing when output is piped or logged. */
export function progressBar(total: number, format: string): Progress {
  if (!process.stderr.isTTY) return quiet;
  const bar = new SingleBar({ format, stream: process.stderr, hideCursor: true, clearOnComplete: true }, Presets.shades_classic);
  bar.start(total, 0);
  return {
    update: (done, payload) => bar.update(done, payload),
    stop: () => bar.stop(),
  };
}
