import { existsSync } from 'node:fs';
import * as path from 'node:path';
import type { Logger } from '../../drivers/log';
import type { Config } from '../../firmware/config/schema';
import { identityDirOf } from '../../firmware/main/identity-dir';
import { certificateFacts } from '../../provisioning/certificates';
import { defaultDeviceId, enroll } from '../../provisioning/enroll';
import { loadIdentity, type DeviceIdentity } from '../../provisioning/identity-files';
import { EnrollmentTokens } from '../fleet/enrollment-tokens';
import { CA_CERT_FILE, initFleetCa, loadFleetCa } from '../fleet/fleet-ca-files';
import { signSnapshot } from '../../firmware/hotlist/hotlist-signature';
import type { CaMaterial } from '../fleet/certificate-authority';
import type { StoredReply } from './commands-table';
import { demoHotlist } from './demo-hotlist';
import { HubServer } from './hub-server';

const DAY_MS = 86_400_000;
export const DEMO_CA_NAME = 'Sightline demo fleet CA (throwaway, make run)';

export interface DemoHub {
  hub: HubServer;
  /** Where the appliance connects: the demo hub, by the name its certificate carries. */
  uplinkUrl: string;
  /** The device the demo enrolled (or found enrolled), and the id of the DEMO hotlist push queued for it. */
  deviceId: string;
  hotlistCommandId: string;
  close(): Promise<void>;
}

/**
 * The `make run` demo: a reference hub on loopback with a throwaway fleet CA in DATA/demo-hub,
 * and this device enrolled with it (a one-time token, the real TLS-PSK enrollment), so the reads
 * the appliance makes travel the real mutual-TLS uplink. A device already enrolled with another
 * central is left alone: the demo never replaces a real identity. Each start also queues a signed
 * push of the DEMO hotlist (the plates the synthetic camera features), so alerts reach the hub.
 */
export async function startDemoHub(config: Config, log: Logger): Promise<DemoHub | null> {
  const hubDir = path.resolve(config.store.dataDir, 'demo-hub');
  const identityDir = identityDirOf(config);
  const ca = existsSync(path.join(hubDir, CA_CERT_FILE)) ? loadFleetCa(hubDir) : await initFleetCa(hubDir, DEMO_CA_NAME);
  const existing = currentIdentity(identityDir, log);
  if (existing !== null && certificateFacts(existing.caPem).fingerprint !== certificateFacts(ca.certPem).fingerprint) {
    log.warn({ identityDir }, 'this device is enrolled with another central: the demo hub is not started, the appliance uses its own uplink');
    return null;
  }
  const hub = await HubServer.start({
    dir: hubDir,
    ca,
    host: '127.0.0.1',
    port: 0,
    hostnames: ['localhost', '127.0.0.1'],
    enroll: { host: '127.0.0.1', port: 0 },
    certLifetimeMs: 90 * DAY_MS,
    healthIntervalMs: 60_000,
    log: log.child({ part: 'demo-hub' }),
  });
  try {
    const uplinkUrl = `wss://localhost:${hub.port}`;
    let deviceId = existing?.deviceId ?? null;
    if (existing === null || existing.notAfter <= Date.now()) {
      const tokens = await EnrollmentTokens.open(hubDir);
      try {
        const { token } = await tokens.create({ ttlMs: 10 * 60_000, note: 'make run demo' });
        const identity = await enroll({
          hubUrl: `https://127.0.0.1:${hub.enrollPort}`,
          token,
          deviceId: config.device.id ?? defaultDeviceId(),
          identityDir,
          log: log.child({ part: 'enroll' }),
        });
        log.info({ deviceId: identity.deviceId, identityDir }, 'enrolled with the demo hub');
        deviceId = identity.deviceId;
      } finally {
        await tokens.close();
      }
    }
    if (deviceId === null) throw new Error('the demo hub has no device to push its hotlist to');
    const hotlistCommandId = await pushDemoHotlist(hub, ca, deviceId, log);
    return { hub, uplinkUrl, deviceId, hotlistCommandId, close: () => hub.close() };
  } catch (err) {
    await hub.close();
    throw err;
  }
}

/**
 * Queues the DEMO list for the device as `sightline hub send DEV hotlist` does: the snapshot signed
 * with the fleet CA's key, which the device checks against the CA it pinned at enrollment. A new
 * version at every start, so the device replaces the list it holds with a fresh one.
 */
async function pushDemoHotlist(hub: HubServer, ca: CaMaterial, deviceId: string, log: Logger): Promise<string> {
  const list = demoHotlist(Date.now());
  const signature = signSnapshot(list.snapshot, ca.keyPem);
  const id = await hub.queueCommand(deviceId, { name: 'hotlist', list: list.list, snapshot: list.snapshot, signature }, 'demo hub');
  const onReply = (from: string, commandId: string, reply: StoredReply) => {
    if (commandId !== id) return;
    hub.off('reply', onReply);
    if (reply.ok) log.info({ deviceId: from, list: list.list, entries: list.entries.length }, 'the device loaded the demo hotlist: its plates raise alerts when the camera shows them');
    else log.warn({ deviceId: from, list: list.list, ...reply.error }, 'the device refused the demo hotlist');
  };
  hub.on('reply', onReply);
  log.info({ deviceId, list: list.list, version: list.version, plates: list.entries.map((e) => e.plate) }, 'demo hotlist queued for the device');
  return id;
}

function currentIdentity(identityDir: string, log: Logger): DeviceIdentity | null {
  try {
    return loadIdentity(identityDir, log);
  } catch (err) {
    // A broken identity is replaced by enrolling again with the demo hub.
    log.warn({ err: (err as Error).message }, 'the device identity is unusable; enrolling again with the demo hub');
    return null;
  }
}
