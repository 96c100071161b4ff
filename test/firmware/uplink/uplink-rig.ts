/**
 * One device and one fake hub for uplink tests: a real store in a temporary directory with real
 * reads, real certificates from one fleet CA (made once per test process), a FakeHub on a free
 * port, and an UplinkClient between them with fast timers. Everything is torn down after each test.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { CaMaterial } from '../../../ops/fleet/certificate-authority';
import { HealthCollector } from '../../../firmware/health/health-collector';
import { HotlistStore } from '../../../firmware/hotlist/hotlist-store';
import type { Read } from '../../../firmware/pipeline/read';
import { SqliteReadStore } from '../../../firmware/store/sqlite-read-store';
import { CommandHandler } from '../../../firmware/uplink/command-handler';
import { UplinkClient, type UplinkIdentity } from '../../../firmware/uplink/uplink-client';
import type { UplinkOptions } from '../../../firmware/uplink/uplink-options';
import { FakeHub, type FakeHubOptions } from '../../support/fake-hub';
import { deviceCredentials, serverCredentials, testCa, type Credentials } from '../../support/test-pki';
import { recordingLogger, type LogEntry } from '../../drivers/camera/recording-logger';
import { fixtureRead } from '../store/read-fixtures';

export const DEVICE_ID = 'cam-test-01';

export interface Pki {
  ca: CaMaterial;
  device: Credentials;
  /** The hub's certificate for localhost and 127.0.0.1. */
  server: Credentials;
  identity: UplinkIdentity;
}

let shared: Promise<Pki> | null = null;

/** The fleet CA, a device and a hub certificate: made once per test process (CA keys take a while). */
export function testPki(): Promise<Pki> {
  shared ??= (async () => {
    const ca = await testCa();
    const [device, server] = await Promise.all([deviceCredentials(ca, DEVICE_ID), serverCredentials(ca)]);
    return { ca, device, server, identity: { deviceId: DEVICE_ID, keyPem: device.keyPem, certPem: device.certPem, caPem: ca.certPem } };
  })();
  return shared;
}

/** Options that keep tests quick: short backoff, small batches and windows. */
export const FAST: Partial<UplinkOptions> = {
  heartbeatMs: 2000,
  connectTimeoutMs: 5000,
  backoff: { initialMs: 20, maxMs: 200 },
  batchReads: 10,
  windowBatches: 2,
};

export interface Rig {
  dir: string;
  dataDir: string;
  store: SqliteReadStore;
  hub: FakeHub;
  client: UplinkClient;
  commands: CommandHandler;
  /** The device's hotlists (DATA/hotlists), where pushed lists go. */
  hotlists: HotlistStore;
  log: LogEntry[];
  /** Stores reads i = from .. from+n-1 (class read), in one transaction. */
  putReads(n: number, from?: number): Promise<Read[]>;
  /** Stores one alert (class hit). */
  putHit(i: number): Promise<Read>;
  /** Reads not marked uploaded. */
  pendingIds(): Promise<string[]>;
}

export interface RigOptions {
  hub?: Partial<FakeHubOptions>;
  uplink?: Partial<UplinkOptions>;
  /** Leave the client unstarted. */
  start?: boolean;
  /** The client's identity (default: the shared device's). */
  identity?: () => UplinkIdentity;
  /** The client's backoff jitter source. */
  random?: () => number;
}

/** A read first seen a minute ago (fixtures' own times are years old). */
export function freshRead(i: number, cropBytes = 2000): Read {
  return fixtureRead(i, { firstSeen: Date.now() - 60_000 + i, cropBytes });
}

export function useUplinkRig(): (o?: RigOptions) => Promise<Rig> {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  return async (o = {}) => {
    const pki = await testPki();
    const dir = mkdtempSync(path.join(tmpdir(), 'sightline-uplink-'));
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    const dataDir = path.join(dir, 'data');
    const store = await SqliteReadStore.open(dataDir, { diskReserveBytes: 0, integrityCheck: 'quick' });
    cleanups.push(() => store.close());
    const hub = await FakeHub.start({ ca: pki.ca, server: pki.server, ...o.hub });
    cleanups.push(() => hub.close());
    const { log, entries } = recordingLogger();
    let client: UplinkClient | null = null;
    const health = new HealthCollector({
      deviceId: () => DEVICE_ID,
      softwareVersion: '0.1.0-test',
      dataDir,
      cameraSource: () => 'synthetic:test',
      pipeline: () => ({ frames: 0, dropped: 0, still: 0, failed: 0, lostReads: 0 }),
      latencies: () => [],
      store: () => store.stats(),
      queueDepth: () => store.pendingUploads(),
      uplink: () => client?.stats() ?? { reconnects: 0, lastUploadAt: null },
      certificateNotAfter: () => Date.now() + 86_400_000,
    });
    const hotlists = await HotlistStore.open(path.join(dataDir, 'hotlists'), { log });
    const commands = new CommandHandler({ store, health: () => health.collect(), hotlistDir: hotlists.dir, hotlists, centralCaPem: () => pki.ca.certPem, log });
    client = new UplinkClient({ identity: o.identity ?? (() => pki.identity), store, commands, options: { url: hub.url, ...FAST, ...o.uplink }, log, random: o.random });
    const started = client;
    cleanups.push(() => started.stop());
    if (o.start ?? true) client.start();
    return {
      dir,
      dataDir,
      store,
      hub,
      client,
      commands,
      hotlists,
      log: entries,
      async putReads(n, from = 0) {
        const reads = Array.from({ length: n }, (_, k) => freshRead(from + k));
        await store.putMany(reads, 'read');
        return reads;
      },
      async putHit(i) {
        const read = freshRead(i);
        await store.putMany([read], 'hit');
        return read;
      },
      async pendingIds() {
        return (await store.nextUploadBatch(1000)).map((r) => r.id);
      },
    };
  };
}
