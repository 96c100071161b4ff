import * as path from 'node:path';
import type { Config } from '../config/schema';

/** Where the device's identity lives: `uplink.identityDir`, or `identity` in the data directory. */
export function identityDirOf(config: Config): string {
  return path.resolve(config.uplink.identityDir ?? path.join(config.store.dataDir, 'identity'));
}
