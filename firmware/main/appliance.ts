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
import { HotlistStore } from '../hotlist/hotlist-store';
import { AlertRaiser } from '../hotlist/alert-raiser';
import { HotlistReloader } from '../hotlist/hotlist-reloader';
import { alertSummary } from '../hotlist/alert';
import { hotlistWarnings } from '../health/hotlist-warnings';
import { busyPolicy, sourceSpecFromConfig } from './source-spec';
import { readerOptions } from './reader-options';
import { ApplianceUplink, type UplinkOverrides } from './appliance-uplink';

export interface ApplianceOverrides {
  /** Use this source instead of the configured one (benchmarks, tests). */
  source?: FrameSource;
  /** Use another uplink than the configured or enrolled one (the `make run` demo hub). */
  uplink?: UplinkOverrides;
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
    /** The hotlists kept on this device (DATA/hotlists): pushed by central or loaded from files. */
    readonly hotlists: HotlistStore,
    /** Matches every read against the hotlists; hits become alerts. */
    readonly alerts: AlertRaiser,
    private readonly reloader: HotlistReloader,
    readonly source: FrameSource,
    /** Null when the uplink is disabled or the device is not enrolled (the log says which). */
    readonly uplink: ApplianceUplink | null,
    private readonly purges: PurgeSchedule,
    private readonly log: Logger,
  ) {}

  static async start(config: Config, log: Logger, overrides: ApplianceOverrides = {}): Promise<Appliance> {
    const dataDir = path.resolve(config.store.dataDir);
    const store = await openConfiguredStore(config, log.child({ part: 'store' }));
    const purges = new PurgeSchedule(store, config.store.purgeIntervalMinutes * 60_000, log.child({ part: 'purge' }));
    let pool: RecognizerPool | null = null;
    let alerts: AlertRaiser | null = null;
    let reloader: HotlistReloader | null = null;
    try {
      await purges.start();
      // Lists before the camera: the first read is matched like every other.
      const hotlists = await HotlistStore.open(path.join(dataDir, 'hotlists'), { staleAfterMs: config.hotlist.staleAfterHours * 3_600_000, log: log.child({ part: 'hotlists' }) });
      alerts = new AlertRaiser(hotlists, { maxConfusable: config.hotlist.maxConfusable, log: log.child({ part: 'alerts' }) });
      reloader = new HotlistReloader(hotlists, { intervalMs: config.hotlist.reloadSeconds * 1000, log: log.child({ part: 'hotlists' }) });
      reloader.start();
      logHotlists(hotlists, log);
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
        alerts,
      });
      const alertLog = log.child({ part: 'alerts' });
      pipeline.on('alert', ({ read, details }) =>
        alertLog.warn({ alert: alertSummary(read, details), readId: read.id, lists: [...new Set(details.matches.map((m) => m.entry.list))], frame: details.frame !== null }, 'HOTLIST ALERT'),
      );
      await pipeline.start();
      const uplink = ApplianceUplink.start(config, { store, pipeline, hotlists, cameraSource: source.description }, log.child({ part: 'uplink' }), overrides.uplink);
      log.info({ source: source.description, workers, dataDir, uplink: uplink !== null }, 'appliance started');
      return new Appliance(pipeline, pool, store, hotlists, alerts, reloader, source, uplink, purges, log);
    } catch (err) {
      await reloader?.stop();
      alerts?.close();
      await purges.stop();
      await pool?.close();
      await store.close();
      throw err;
    }
  }

  async stop(): Promise<void> {
    await this.pipeline.stop();
    await this.reloader.stop();
    this.alerts.close();
    await this.uplink?.stop();
    await this.pool.close();
    await this.purges.stop();
    await this.store.close();
    this.log.info({ ...this.pipeline.stats() }, 'appliance stopped');
  }
}

/** Says at start which lists reads are matched against, with the health warnings (none, stale) as central sees them. */
function logHotlists(hotlists: HotlistStore, log: Logger): void {
  const lists = hotlists.lists();
  for (const list of lists) {
    log.info({ list: list.name, entries: list.entries, source: list.source, refreshedAt: new Date(list.refreshedAt).toISOString() }, 'hotlist loaded');
  }
  for (const warning of hotlistWarnings(lists, Date.now())) log.warn({ dir: hotlists.dir }, warning);
  for (const problem of hotlists.problems) log.error({ file: problem.file, reason: problem.message }, 'hotlist file skipped');
}
