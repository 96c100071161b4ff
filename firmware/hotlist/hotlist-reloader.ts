/**
 * Keeps a running appliance's hotlists in step with DATA/hotlists when another process changes
 * them (`sightline hotlist load` from a technician's shell): reloads on every change the file
 * system reports, debounced, and on a timer as well, since inotify is not available on every
 * file system an appliance may use. A reload that finds nothing changed costs a directory read.
 */
import { watch, type FSWatcher } from 'node:fs';
import type { Logger } from '../../drivers/log';
import type { HotlistStore } from './hotlist-store';

export interface HotlistReloaderOptions {
  /** Reload at least this often, ms. */
  intervalMs: number;
  /** Wait this long after a change before reloading (a list file is written in steps), ms. */
  debounceMs?: number;
  log: Logger;
}

export class HotlistReloader {
  private watcher: FSWatcher | null = null;
  private timer: NodeJS.Timeout | null = null;
  private debounce: NodeJS.Timeout | null = null;
  private running: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: Pick<HotlistStore, 'dir' | 'reload'>,
    private readonly options: HotlistReloaderOptions,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.reload('timer'), this.options.intervalMs);
    this.timer.unref();
    try {
      this.watcher = watch(this.store.dir, () => this.soon());
      this.watcher.on('error', (err) => this.options.log.warn({ err: err.message }, 'hotlist directory watch failed; lists reload on the timer only'));
    } catch (err) {
      this.options.log.warn({ dir: this.store.dir, err: (err as Error).message }, 'cannot watch the hotlist directory; lists reload on the timer only');
    }
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    if (this.debounce) clearTimeout(this.debounce);
    this.watcher?.close();
    this.timer = this.debounce = this.watcher = null;
    await this.running;
  }

  private soon(): void {
    if (this.debounce) clearTimeout(this.debounce);
    this.debounce = setTimeout(() => this.reload('change'), this.options.debounceMs ?? 500);
  }

  private reload(why: string): void {
    this.running = this.running.then(() =>
      this.store.reload().catch((err: Error) => this.options.log.error({ why, err: err.message }, 'hotlists could not be reloaded; the lists held are kept')),
    );
  }
}
