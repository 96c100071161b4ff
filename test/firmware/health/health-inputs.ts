/** Fixed inputs for HealthCollector tests: a movable clock and frame count, a real data directory. */
import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import type { HealthInputs } from '../../../firmware/health/health-collector';
import type { ReadStoreStats } from '../../../firmware/store/read-store';
import { useTempDir } from '../../support/temp-dir';

export const STORE_STATS: ReadStoreStats = {
  reads: 120,
  bytes: 3_000_000,
  oldest: 1,
  newest: 2,
  byClassAndState: [],
  pools: { ring: { records: 110, bytes: 2_500_000, quotaBytes: 10_000_000 }, protected: { records: 10, bytes: 500_000, quotaBytes: 1_000_000 } },
  totals: { inserted: 130, evictedExpired: 0, evictedAcknowledged: 8, lostNotUploaded: 2, purged: 0, deleted: 0, corrected: 0, keysDestroyed: 0 },
  dataKeys: 2,
  brokenDataKeys: 0,
  fileBytes: 4_000_000,
  walBytes: 0,
  unreadableSkipped: 1,
};

export type TestHealthInputs = HealthInputs & { clock: { now: number }; frames: { n: number } };

/** Call inside a describe: returns a maker of inputs, each with a fresh data directory under the test's temp dir. */
export function useHealthInputs(): (over?: Partial<HealthInputs>) => TestHealthInputs {
  const tempDir = useTempDir('sightline-health-');
  let made = 0;
  return (over = {}) => {
    const clock = { now: 1_750_000_000_000 };
    const frames = { n: 0 };
    const dataDir = path.join(tempDir(), `data-${made++}`);
    mkdirSync(dataDir);
    return {
      clock,
      frames,
      deviceId: () => 'cam-7',
      softwareVersion: '1.2.3',
      dataDir,
      cameraSource: () => 'usb:/dev/video0',
      pipeline: () => ({ frames: frames.n, dropped: 4, still: 7, failed: 1, lostReads: 3 }),
      latencies: () => [40, 10, 30, 20, 50, 60, 70, 80, 90, 100],
      store: async () => STORE_STATS,
      queueDepth: async () => 17,
      uplink: () => ({ reconnects: 2, lastUploadAt: 1_749_999_999_000 }),
      certificateNotAfter: () => 1_757_000_000_000,
      now: () => clock.now,
      ...over,
    };
  };
}
