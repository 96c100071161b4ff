import * as path from 'node:path';
import type { Logger } from '../../drivers/log';
import type { Config } from '../config/schema';
import { SqliteReadStore, type SqliteReadStoreOptions } from '../store/sqlite-read-store';

const MB = 1024 * 1024;
const DAY_MS = 24 * 60 * 60 * 1000;

/** The store section of the config, as SqliteReadStore.open wants it. */
export function storeOptions(store: Config['store'], log: Logger): SqliteReadStoreOptions {
  return {
    keyFile: store.keyFile === null ? undefined : path.resolve(store.keyFile),
    quotas: { ringBytes: store.quotaMB * MB, protectedBytes: store.protectedQuotaMB * MB },
    diskReserveBytes: store.diskReserveMB * MB,
    retention: {
      epochMs: store.retention.epochHours * 3_600_000,
      keepMs: { read: store.retention.readsDays * DAY_MS, hit: store.retention.hitsDays * DAY_MS },
    },
    log,
  };
}

/** Opens the configured store: the appliance and the `store` commands open it the same way. */
export function openConfiguredStore(config: Config, log: Logger): Promise<SqliteReadStore> {
  return SqliteReadStore.open(path.resolve(config.store.dataDir), storeOptions(config.store, log));
}
