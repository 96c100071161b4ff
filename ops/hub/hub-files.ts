import * as path from 'node:path';

/**
 * What the hub keeps in its directory (0700): the fleet CA (`ca.key`, `ca.crt`, see
 * ops/fleet/fleet-ca-files.ts), `enrollment-tokens.sqlite`, its own server key and certificate,
 * and its database.
 */
export const DEFAULT_HUB_DIR = './data/hub';
export const HUB_DB_FILE = 'hub.sqlite';
export const HUB_KEY_FILE = 'hub.key';
export const HUB_CERT_FILE = 'hub.crt';

export function hubFile(dir: string, name: string): string {
  return path.join(dir, name);
}
