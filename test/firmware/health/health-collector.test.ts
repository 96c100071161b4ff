import assert from 'node:assert/strict';
import { realpathSync } from 'node:fs';
import * as os from 'node:os';
import { HealthCollector, RecentLatencies } from '../../../firmware/health/health-collector';
import { percentile } from '../../../firmware/health/percentile';
import { healthReportSchema } from '../../../firmware/health/health-report';
import { useHealthInputs } from './health-inputs';

describe('HealthCollector', function () {
  const inputs = useHealthInputs();

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
    assert.deepEqual(report.recognizer, { latencyMsMedian: 50, latencyMsP95: 100, failed: 1, stillFrames: 7 });
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
    // No hotlist store given (a rig): nothing said of hotlists, no warnings.
    assert.equal(report.hotlists, undefined);
    assert.deepEqual(report.warnings, []);
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
