import assert from 'node:assert/strict';
import { mkdirSync, realpathSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { HealthCollector, RecentLatencies, type HealthInputs } from '../../../firmware/health/health-collector';
import { percentile } from '../../../firmware/health/percentile';
import { healthReportSchema } from '../../../firmware/health/health-report';
import type { ReadStoreStats } from '../../../firmware/store/read-store';
import { useTempDir } from '../../support/temp-dir';

const STORE_STATS: ReadStoreStats = {
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

describe('HealthCollector', function () {
  const tempDir = useTempDir('sightline-health-');

  function inputs(over: Partial<HealthInputs> = {}): HealthInputs & { clock: { now: number }; frames: { n: number } } {
    const clock = { now: 1_750_000_000_000 };
    const frames = { n: 0 };
    const dataDir = path.join(tempDir(), 'data');
    mkdirSync(dataDir);
    return {
      clock,
      frames,
      deviceId: () => 'cam-7',
      softwareVersion: '1.2.3',
      dataDir,
      cameraSource: () => 'usb:/dev/video0',
      pipeline: () => ({ frames: frames.n, dropped: 4, failed: 1, lostReads: 3 }),
      latencies: () => [40, 10, 30, 20, 50, 60, 70, 80, 90, 100],
      store: async () => STORE_STATS,
      queueDepth: async () => 17,
      uplink: () => ({ reconnects: 2, lastUploadAt: 1_749_999_999_000 }),
      certificateNotAfter: () => 1_757_000_000_000,
      now: () => clock.now,
      ...over,
    };
  }

  it('builds a report that validates, with real system figures and the inputs given', async () => {
    const i = inputs();
    const collector = new HealthCollector(i);
    i.clock.now += 10_000;
    i.frames.n = 250;
    const report = await collector.collect();
    assert.deepEqual(healthReportSchema.parse(report), report);

    assert.equal(report.deviceId, 'cam-7');
    assert.equal(report.time, i.clock.now);
    assert.deepEqual(report.software, { version: '1.2.3', node: process.version });
    // Real figures from this machine.
    assert.ok(report.system.uptimeS > 0);
    assert.ok(report.system.processUptimeS > 0);
    assert.equal(report.system.load.length, 3);
    assert.ok(report.system.memory.totalBytes > 0 && Math.abs(report.system.memory.totalBytes - os.totalmem()) <= os.totalmem() * 0.01);
    assert.ok(report.system.memory.availableBytes > 0 && report.system.memory.availableBytes <= report.system.memory.totalBytes);
    assert.ok(report.system.memory.processRssBytes > 0);
    assert.equal(report.system.disk.path, realpathSync(i.dataDir));
    assert.ok(report.system.disk.totalBytes > 0 && report.system.disk.freeBytes <= report.system.disk.totalBytes);
    assert.ok(report.system.cpuTemperatureC === null || (report.system.cpuTemperatureC > -50 && report.system.cpuTemperatureC < 150));

    assert.deepEqual(report.camera, { source: 'usb:/dev/video0', fps: 25, frames: 250, dropped: 4 });
    assert.deepEqual(report.recognizer, { latencyMsMedian: 50, latencyMsP95: 100, failed: 1 });
    assert.deepEqual(report.store, {
      reads: 120,
      bytes: 3_000_000,
      ringBytes: 2_500_000,
      ringQuotaBytes: 10_000_000,
      protectedBytes: 500_000,
      protectedQuotaBytes: 1_000_000,
      lostNotUploaded: 2,
      lostReads: 3,
      unreadableSkipped: 1,
    });
    assert.deepEqual(report.uplink, { queueDepth: 17, lastUploadAt: 1_749_999_999_000, certificateNotAfter: 1_757_000_000_000, reconnects: 2 });
  });

  it('measures fps over the interval since the previous report', async () => {
    const i = inputs();
    const collector = new HealthCollector(i);
    i.clock.now += 10_000;
    i.frames.n = 100;
    assert.equal((await collector.collect()).camera.fps, 10);
    i.clock.now += 20_000;
    i.frames.n = 200;
    assert.equal((await collector.collect()).camera.fps, 5);
    assert.equal((await collector.collect()).camera.fps, 0, 'no time passed: 0, not NaN');
  });

  it('reports null latencies before the first read and null where the board has no figure', async () => {
    const report = await new HealthCollector(inputs({ latencies: () => [], certificateNotAfter: () => null, uplink: () => ({ reconnects: 0, lastUploadAt: null }) })).collect();
    assert.equal(report.recognizer.latencyMsMedian, null);
    assert.equal(report.recognizer.latencyMsP95, null);
    assert.equal(report.uplink.certificateNotAfter, null);
    assert.equal(report.uplink.lastUploadAt, null);
  });

  it('RecentLatencies keeps the last N; percentile is nearest-rank', () => {
    const recent = new RecentLatencies(3);
    for (const ms of [1, 2, 3, 4, 5]) recent.add(ms);
    assert.deepEqual([...recent.values()].sort(), [3, 4, 5]);
    assert.equal(percentile([1, 2, 3, 4], 0.5), 2);
    assert.equal(percentile([1, 2, 3, 4], 0.95), 4);
    assert.equal(percentile([7], 0.5), 7);
    assert.equal(percentile([], 0.5), null);
  });
});
