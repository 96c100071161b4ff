/**
 * Many devices, each with its own certificate, connected to one hub that restarts: their
 * reconnections must spread over the backoff window (full jitter) instead of arriving at once,
 * and every device must be back within the backoff cap. `make test` runs 50 devices;
 * `make test-long` runs 500 (SIGHTLINE_FLEET_DEVICES).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { silentLogger } from '../../../drivers/log';
import { UplinkClient } from '../../../firmware/uplink/uplink-client';
import type { CommandReply } from '../../../firmware/uplink/command-handler';
import { initFleetCa } from '../../../ops/fleet/fleet-ca-files';
import { HubProcess } from '../../../ops/hub/hub-process';
import { eventually } from '../../support/fake-hub';
import { deviceCredentials } from '../../support/test-pki';

const DEVICES = Number(process.env.SIGHTLINE_FLEET_DEVICES ?? 50);
const BACKOFF = { initialMs: 500, maxMs: 8000 };
const BUCKET_MS = 500;

/** Counts per BUCKET_MS bucket; times before 0 (an attempt that began while the hub was starting) count in the first. */
function histogram(times: readonly number[]): Map<number, number> {
  const buckets = new Map<number, number>();
  for (const t of times) {
    const bucket = Math.max(0, Math.floor(t / BUCKET_MS));
    buckets.set(bucket, (buckets.get(bucket) ?? 0) + 1);
  }
  return buckets;
}

describe(`a fleet of ${DEVICES} devices and a hub restart`, function () {
  this.timeout(300_000 + DEVICES * 1000);
  let dir = '';
  let hub: HubProcess | null = null;
  const clients: UplinkClient[] = [];
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.stop()));
    await hub?.stop();
    hub = null;
    rmSync(dir, { recursive: true, force: true });
  });

  it('reconnects every device within the backoff cap, spread over the window rather than at once', async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'sightline-fleet-'));
    const hubDir = path.join(dir, 'hub');
    const ca = await initFleetCa(hubDir, 'Fleet test CA');
    hub = await HubProcess.start({ dir: hubDir, enroll: false, extra: ['--health-minutes', '0'] });
    const port = hub.port;

    // A simulated device: its own key and certificate, nothing to upload, every command refused.
    const refuse = async (): Promise<CommandReply> => ({ ok: false, error: { code: 'REFUSED', message: 'simulated device' } });
    const emptyStore = { nextUploadBatch: async () => [], markAcknowledged: async () => 0 };
    // Per device: when each attempt began (the moment its backoff wait ended), and each welcome.
    const attempts: number[][] = [];
    const connectedAt: number[][] = [];
    for (let i = 0; i < DEVICES; i++) {
      const id = `fleet-${i.toString().padStart(4, '0')}`;
      const credentials = await deviceCredentials(ca, id);
      const client = new UplinkClient({
        identity: () => ({ deviceId: id, keyPem: credentials.keyPem, certPem: credentials.certPem, caPem: ca.certPem }),
        store: emptyStore,
        commands: { handle: refuse },
        options: { url: `wss://localhost:${port}`, backoff: BACKOFF, heartbeatMs: 30_000, connectTimeoutMs: 20_000 },
        log: silentLogger,
      });
      const times: number[] = [];
      const starts: number[] = [];
      connectedAt.push(times);
      attempts.push(starts);
      client.on('connected', () => times.push(Date.now()));
      client.on('retrying', (_reason, delayMs) => starts.push(Date.now() + delayMs));
      clients.push(client);
      client.start();
    }
    await eventually(() => clients.every((c) => c.stats().connected), `all ${DEVICES} devices connected`, 60_000 + DEVICES * 200);

    await hub.stop();
    await eventually(() => clients.every((c) => !c.stats().connected), 'every device seeing the hub gone', 20_000);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    hub = await HubProcess.start({ dir: hubDir, port, enroll: false, extra: ['--health-minutes', '0'] });
    const back = Date.now();
    await eventually(() => clients.every((c) => c.stats().connected), `all ${DEVICES} devices back`, BACKOFF.maxMs + 10_000);

    // Arrival: when the attempt that got each device back began. Welcome: when the hub had admitted it.
    const arrivals = attempts.map((starts) => starts[starts.length - 1] - back);
    const welcomes = connectedAt.map((times) => times[times.length - 1] - back);
    const arrivalBuckets = histogram(arrivals);
    const welcomeBuckets = histogram(welcomes);
    const last = Math.max(...arrivalBuckets.keys(), ...welcomeBuckets.keys());
    console.log(`      after the hub came back (${DEVICES} devices, ${BUCKET_MS} ms buckets, backoff ${BACKOFF.initialMs} ms doubling to ${BACKOFF.maxMs} ms, full jitter):`);
    console.log('          from  arrived  admitted');
    for (let b = 0; b <= last; b++) {
      const n = arrivalBuckets.get(b) ?? 0;
      console.log(`      ${((b * BUCKET_MS) / 1000).toFixed(1).padStart(6)} s ${String(n).padStart(6)} ${String(welcomeBuckets.get(b) ?? 0).padStart(9)}  ${'#'.repeat(Math.ceil((n / DEVICES) * 60))}`);
    }
    const slowest = Math.max(...welcomes);
    assert.ok(slowest <= BACKOFF.maxMs + 2000, `every device back within the cap: the slowest took ${slowest} ms`);
    const busiest = Math.max(...arrivalBuckets.values());
    assert.ok(busiest <= DEVICES * 0.5, `no stampede: at most half the fleet arriving in one ${BUCKET_MS} ms bucket (the busiest had ${busiest})`);
    assert.ok(arrivalBuckets.size >= 4, `arrivals spread over at least four buckets (got ${arrivalBuckets.size})`);
  });
});
