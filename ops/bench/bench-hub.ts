/**
 * A real hub for benchmarks: `sightline hub serve` in its own process with a fresh fleet CA, and
 * a device enrolled with it by one-time token, as in the field.
 */
import * as path from 'node:path';
import type { Logger } from '../../drivers/log';
import { enroll } from '../../provisioning/enroll';
import type { DeviceIdentity } from '../../provisioning/identity-files';
import { EnrollmentTokens } from '../fleet/enrollment-tokens';
import { initFleetCa } from '../fleet/fleet-ca-files';
import { HubProcess } from '../hub/hub-process';

export interface BenchHub {
  hub: HubProcess;
  identity: DeviceIdentity;
}

/** Starts a hub in `root/hub` and enrolls `bench-device` with its identity in `root/device/identity`. */
export async function startBenchHub(root: string, log: Logger): Promise<BenchHub> {
  const hubDir = path.join(root, 'hub');
  await initFleetCa(hubDir, 'Sightline bench fleet CA');
  const hub = await HubProcess.start({ dir: hubDir, extra: ['--health-minutes', '0'] });
  try {
    const tokens = await EnrollmentTokens.open(hubDir);
    try {
      const { token } = await tokens.create({ ttlMs: 600_000, note: 'bench' });
      const identity = await enroll({ hubUrl: `https://127.0.0.1:${hub.enrollPort}`, token, deviceId: 'bench-device', identityDir: path.join(root, 'device', 'identity'), log });
      return { hub, identity };
    } finally {
      await tokens.close();
    }
  } catch (err) {
    await hub.stop();
    throw err;
  }
}

/** The peak resident memory of this process, sampled every 50 ms while started. */
export class PeakRss {
  peak = 0;
  private timer: NodeJS.Timeout | null = null;

  start(): void {
    this.timer ??= setInterval(() => this.sample(), 50);
  }

  sample(): void {
    this.peak = Math.max(this.peak, process.memoryUsage.rss());
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
