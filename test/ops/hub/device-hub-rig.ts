/**
 * The real device uplink against the real hub: a fleet CA in a temporary hub directory, device
 * certificates it signs, a device store with real reads, and a way to read what the hub kept.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import sqlite3 from 'sqlite3';
import { silentLogger, type Logger } from '../../../drivers/log';
import type { Read } from '../../../firmware/pipeline/read';
import { SqliteReadStore } from '../../../firmware/store/sqlite-read-store';
import { CommandHandler } from '../../../firmware/uplink/command-handler';
import { UplinkClient, type UplinkIdentity } from '../../../firmware/uplink/uplink-client';
import type { UplinkOptions } from '../../../firmware/uplink/uplink-options';
import type { CaMaterial } from '../../../ops/fleet/certificate-authority';
import { initFleetCa } from '../../../ops/fleet/fleet-ca-files';
import { fixtureRead } from '../../firmware/store/read-fixtures';
import { deviceCredentials } from '../../support/test-pki';

export interface Device {
  id: string;
  identity: UplinkIdentity;
  store: SqliteReadStore;
  client: UplinkClient;
  /** Stores `n` fresh reads (class read) and offers them to the uplink. */
  putReads(n: number, cropBytes?: number): Promise<Read[]>;
}

export interface DeviceHubRig {
  dir: string;
  hubDir: string;
  ca: CaMaterial;
  /** A device with its own certificate and store, uploading to `url`. */
  device(id: string, url: string, options?: Partial<UplinkOptions>, log?: Logger): Promise<Device>;
  /** The read ids the hub stored for a device, and how many rows (a read stored twice would show). */
  hubReads(deviceId: string): Promise<{ ids: Set<string>; rows: number }>;
}

let sequence = 0;

export function useDeviceHubRig(): () => Promise<DeviceHubRig> {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  return async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sightline-device-hub-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const hubDir = path.join(dir, 'hub');
    const ca = await initFleetCa(hubDir, 'Device-hub test fleet CA');
    return {
      dir,
      hubDir,
      ca,
      async device(id, url, options = {}, log = silentLogger) {
        const credentials = await deviceCredentials(ca, id);
        const identity: UplinkIdentity = { deviceId: id, keyPem: credentials.keyPem, certPem: credentials.certPem, caPem: ca.certPem };
        const store = await SqliteReadStore.open(path.join(dir, `device-${id}`), { diskReserveBytes: 0, integrityCheck: 'quick' });
        cleanups.push(() => store.close());
        const commands = new CommandHandler({ store, health: () => Promise.reject(new Error('no health here')), hotlistDir: path.join(dir, `hotlists-${id}`), log });
        const client = new UplinkClient({ identity: () => identity, store, commands, options: { url, ...options }, log });
        cleanups.push(() => client.stop());
        return {
          id,
          identity,
          store,
          client,
          async putReads(n, cropBytes = 2000) {
            const reads = Array.from({ length: n }, () => {
              const i = sequence++;
              return fixtureRead(i, { firstSeen: Date.now() - 60_000 + (i % 60_000), cropBytes });
            });
            for (let k = 0; k < reads.length; k += 500) await store.putMany(reads.slice(k, k + 500), 'read');
            client.notify();
            return reads;
          },
        };
      },
      hubReads: (deviceId) => hubReads(path.join(hubDir, 'hub.sqlite'), deviceId),
    };
  };
}

/** Reads hub.sqlite directly, read-only, as an auditor would. */
function hubReads(file: string, deviceId: string): Promise<{ ids: Set<string>; rows: number }> {
  return new Promise((resolve, reject) => {
    const db = new sqlite3.Database(file, sqlite3.OPEN_READONLY, (err) => {
      if (err) return reject(err);
      db.all<{ read_id: string }>('SELECT read_id FROM reads WHERE device_id = ?', [deviceId], (err2, rows) => {
        db.close();
        if (err2) return reject(err2);
        resolve({ ids: new Set(rows.map((r) => r.read_id)), rows: rows.length });
      });
    });
  });
}
