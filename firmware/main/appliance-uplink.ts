import * as path from 'node:path';
import type { Logger } from '../../drivers/log';
import { CertificateRenewal } from '../../provisioning/renewal';
import { loadIdentity, type DeviceIdentity } from '../../provisioning/identity-files';
import type { Config } from '../config/schema';
import { HealthCollector, RecentLatencies } from '../health/health-collector';
import type { ReadPipeline } from '../pipeline/read-pipeline';
import type { SqliteReadStore } from '../store/sqlite-read-store';
import type { HotlistStore } from '../hotlist/hotlist-store';
import { CommandHandler } from '../uplink/command-handler';
import { UplinkClient } from '../uplink/uplink-client';
import { identityDirOf } from './identity-dir';

import { version as SOFTWARE_VERSION } from '../../package.json';

const MB = 1024 * 1024;

export interface UplinkOverrides {
  /** Use this uplink instead of the configured or enrolled one (the `make run` demo hub). */
  url?: string;
}

/**
 * The appliance's link to central, composed: the enrolled identity, the uplink client, the
 * commands it answers, the health it reports and the certificate renewal. Absent (null) when the
 * uplink is disabled, the device is not enrolled, or its identity cannot be used: the appliance
 * goes on reading and keeping plates, and says why in the log.
 */
export class ApplianceUplink {
  private constructor(
    readonly client: UplinkClient,
    private readonly renewal: CertificateRenewal,
    private readonly detach: () => void,
  ) {}

  static start(config: Config, parts: { store: SqliteReadStore; pipeline: ReadPipeline; hotlists: HotlistStore; cameraSource: string }, log: Logger, overrides: UplinkOverrides = {}): ApplianceUplink | null {
    if (!config.uplink.enabled) {
      log.info('uplink disabled (uplink.enabled: false): reads stay on this device');
      return null;
    }
    const identityDir = identityDirOf(config);
    const identity = usableIdentity(identityDir, log);
    if (identity === null) return null;
    const url = overrides.url ?? config.uplink.url ?? identity.uplinkUrl;
    const dataDir = path.resolve(config.store.dataDir);

    const latencies = new RecentLatencies();
    let current: DeviceIdentity = identity;
    let client: UplinkClient | null = null;
    const health = new HealthCollector({
      deviceId: () => current.deviceId,
      softwareVersion: SOFTWARE_VERSION,
      dataDir,
      cameraSource: () => parts.cameraSource,
      pipeline: () => parts.pipeline.stats(),
      latencies: () => latencies.values(),
      store: () => parts.store.stats(),
      queueDepth: () => parts.store.pendingUploads(),
      uplink: () => {
        const stats = client?.stats();
        return { reconnects: stats?.reconnects ?? 0, lastUploadAt: stats?.lastUploadAt ?? null };
      },
      certificateNotAfter: () => current.notAfter,
      hotlists: () => parts.hotlists.lists(),
    });
    const commands = new CommandHandler({
      store: parts.store,
      health: () => health.collect(),
      hotlistDir: parts.hotlists.dir,
      hotlists: parts.hotlists,
      // Pushed hotlists must be signed by central: checked against the CA this device pins.
      centralCaPem: () => current.caPem,
      log: log.child({ part: 'commands' }),
    });
    client = new UplinkClient({
      // Re-read at every connect, so a renewed certificate is the one presented.
      identity: () => {
        current = loadIdentity(identityDir) ?? current;
        return current;
      },
      store: parts.store,
      commands,
      options: {
        url,
        heartbeatMs: Math.round(config.uplink.heartbeatSeconds * 1000),
        connectTimeoutMs: Math.round(config.uplink.connectTimeoutSeconds * 1000),
        backoff: config.uplink.backoff,
        batchReads: config.uplink.batchReads,
        windowBatches: config.uplink.windowBatches,
        maxBufferedBytes: Math.round(config.uplink.maxBufferedMB * MB),
      },
      log,
    });
    const uplink = client;
    const renewal = new CertificateRenewal({ identityDir, renew: (csrPem) => uplink.renew(csrPem), log: log.child({ part: 'renewal' }) });
    renewal.on('renewed', (renewed: DeviceIdentity) => {
      current = renewed;
      log.info({ serial: renewed.serial, notAfter: new Date(renewed.notAfter).toISOString() }, 'certificate renewed; the next connection presents it');
    });
    renewal.on('failed', (err: Error) => log.warn({ err: err.message }, 'certificate renewal failed; retrying'));
    renewal.on('expired', () => log.error({ identityDir }, 'the certificate has expired: central refuses this device until it re-enrolls (sightline provision enroll with a new token)'));

    // Each stored read is offered at once; alerts go ahead of any backlog.
    const onRead = (_read: unknown, latencyMs: number) => {
      latencies.add(latencyMs);
      uplink.notify();
    };
    parts.pipeline.on('read', onRead);
    uplink.start();
    renewal.start();
    log.info({ url, deviceId: identity.deviceId, certificateExpires: new Date(identity.notAfter).toISOString() }, 'uplink started');
    return new ApplianceUplink(uplink, renewal, () => parts.pipeline.off('read', onRead));
  }

  async stop(): Promise<void> {
    this.detach();
    this.renewal.stop();
    await this.client.stop();
  }
}

/** The enrolled identity, or null (with the reason logged) when there is none that can be used. */
function usableIdentity(identityDir: string, log: Logger): DeviceIdentity | null {
  let identity: DeviceIdentity | null;
  try {
    identity = loadIdentity(identityDir, log);
  } catch (err) {
    log.error({ err: (err as Error).message }, 'the device identity is broken: no uplink; reads stay on this device (re-enroll with sightline provision enroll)');
    return null;
  }
  if (identity === null) {
    log.warn({ identityDir }, 'not enrolled: no uplink; reads stay on this device until it is enrolled (sightline provision enroll --hub URL --token T)');
    return null;
  }
  if (identity.notAfter <= Date.now()) {
    log.error({ identityDir, expired: new Date(identity.notAfter).toISOString() }, 'the device certificate has expired: no uplink until it re-enrolls with a new token');
    return null;
  }
  return identity;
}
