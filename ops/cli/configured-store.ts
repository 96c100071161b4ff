import * as path from 'node:path';
import { openConfiguredStore } from '../../firmware/main/store-options';
import type { SqliteReadStore } from '../../firmware/store/sqlite-read-store';
import { loadContext } from './cli-context';

/**
 * Opens the store the config names (as the appliance does), runs `fn`, closes it. Logs go to
 * stderr at warn and above, so stdout holds only the command's output.
 */
export async function withStore<T>(configFile: string | undefined, fn: (store: SqliteReadStore, dataDir: string) => Promise<T>): Promise<T> {
  const { config, log } = loadContext(configFile, 'warn');
  const store = await openConfiguredStore(config, log.child({ part: 'store' }));
  try {
    return await fn(store, path.resolve(config.store.dataDir));
  } finally {
    await store.close();
  }
}
