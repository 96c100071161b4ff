import * as path from 'node:path';
import { createSource } from '../../drivers/camera/create-source';
import type { FrameSource } from '../../drivers/camera/frame';
import type { Logger } from '../../drivers/log';
import { RecognizerPool, defaultWorkerCount } from '../../recognizer/recognizer-pool';
import type { Config } from '../config/schema';
import { PlateFormatRules } from '../pipeline/plate-format';
import { ReadPipeline } from '../pipeline/read-pipeline';
import { PlateTracker } from '../pipeline/tracker';
import type { SqliteReadStore } from '../store/sqlite-read-store';
import { PurgeSchedule } from './purge-schedule';
import { openConfiguredStore } from './store-options';
import { busyPolicy, sourceSpecFromConfig } from './source-spec';
import { readerOptions } from './reader-options';

export interface ApplianceOverrides {
  /** Use this source instead of the configured one (benchmarks, tests). */
  source?: FrameSource;
}

/**
 * The composition root: builds every part from the config, starts them in order (store,
 * recognizer, camera) and stops them in reverse.
 */
export class Appliance {
  private constructor(
    readonly pipeline: ReadPipeline,
    readonly pool: RecognizerPool,
    readonly store: SqliteReadStore,
    readonly source: FrameSource,
    private readonly purges: PurgeSchedule,
    private readonly log: Logger,
  ) {}

  static async start(config: Config, log: Logger, overrides: ApplianceOverrides = {}): Promise<Appliance> {
    const dataDir = path.resolve(config.store.dataDir);
    const store = await openConfiguredStore(config, log.child({ part: 'store' }));
    const purges = new PurgeSchedule(store, config.store.purgeIntervalMinutes * 60_000, log.child({ part: 'purge' }));
    let pool: RecognizerPool | null = null;
    try {
      await purges.start();
      const workers = config.recognizer.workers === 'auto' ? defaultWorkerCount() : config.recognizer.workers;
      pool = await RecognizerPool.start({
        workers,
        reader: readerOptions(config.recognizer),
        log: log.child({ part: 'recognizer' }),
      });
      const source = overrides.source ?? createSource(sourceSpecFromConfig(config.camera), log.child({ part: 'camera' }));
      const tracker = new PlateTracker(config.pipeline.tracker, new PlateFormatRules(config.pipeline.plateFormat));
      const pipeline = new ReadPipeline(source, pool, tracker, store, log.child({ part: 'pipeline' }), {
        whenBusy: overrides.source ? 'drop' : busyPolicy(config.camera),
      });
      await pipeline.start();
      log.info({ source: source.description, workers, dataDir }, 'appliance started');
      return new Appliance(pipeline, pool, store, source, purges, log);
    } catch (err) {
      await purges.stop();
      await pool?.close();
      await store.close();
      throw err;
    }
  }

  async stop(): Promise<void> {
    await this.pipeline.stop();
    await this.pool.close();
    await this.purges.stop();
    await this.store.close();
    this.log.info({ ...this.pipeline.stats() }, 'appliance stopped');
  }
}
