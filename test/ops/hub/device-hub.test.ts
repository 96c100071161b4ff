/**
 * The device's uplink against the real hub, through what a real network does to it: a hub killed
 * in the middle of a batch, a path that silently stops carrying packets, a link throttled to
 * 10 kB/s, a TLS-intercepting middlebox, and a certificate renewed while uploading.
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { silentLogger } from '../../../drivers/log';
import { loadIdentity, saveIdentity } from '../../../provisioning/identity-files';
import { CertificateRenewal } from '../../../provisioning/renewal';
import { UplinkClient } from '../../../firmware/uplink/uplink-client';
import { CommandHandler } from '../../../firmware/uplink/command-handler';
import { SqliteReadStore } from '../../../firmware/store/sqlite-read-store';
import { HubProcess } from '../../../ops/hub/hub-process';
import { HubServer } from '../../../ops/hub/hub-server';
import { eventually } from '../../support/fake-hub';
import { TcpProxy } from '../../support/tcp-proxy';
import { TlsInterceptProxy } from '../../support/tls-intercept-proxy';
import { deviceCredentials, serverCredentials, testCa } from '../../support/test-pki';
import { useDeviceHubRig, type DeviceHubRig } from './device-hub-rig';
import { fixtureRead } from '../../firmware/store/read-fixtures';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('device and hub, through a hostile network', function () {
  this.timeout(120_000);
  const rig = useDeviceHubRig();
  const stops: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const stop of stops.splice(0).reverse()) await stop();
  });

  async function inProcessHub(r: DeviceHubRig, o: { heartbeatMs?: number; certLifetimeMs?: number } = {}): Promise<HubServer> {
    const hub = await HubServer.start({ dir: r.hubDir, ca: r.ca, port: 0, healthIntervalMs: 0, log: silentLogger, ...o });
    stops.push(() => hub.close());
    return hub;
  }

  it('loses no read and stores none twice when the hub is SIGKILLed in the middle of batches and restarted', async () => {
    const r = await rig();
    let hub = await HubProcess.start({ dir: r.hubDir, enroll: false, extra: ['--health-minutes', '0'] });
    stops.push(() => hub.stop());
    const port = hub.port;
    const device = await r.device('cam-kill', `wss://localhost:${port}`, { batchReads: 50, windowBatches: 4, backoff: { initialMs: 50, maxMs: 500 } });
    const reads = await device.putReads(3000, 4000);
    let acked = 0;
    device.client.on('acked', (ids) => (acked += ids.length));
    device.client.start();
    await eventually(() => acked >= 600, 'the first reads acknowledged', 30_000);
    assert.ok(device.client.stats().inFlightBatches > 0, 'batches are in flight when the hub dies');
    await hub.kill();
    const ackedAtKill = acked;
    assert.ok(ackedAtKill < reads.length, 'the hub died before it had everything');

    hub = await HubProcess.start({ dir: r.hubDir, port, enroll: false, extra: ['--health-minutes', '0'] });
    await eventually(async () => (await device.store.pendingUploads()) === 0, 'every read acknowledged after the restart', 60_000);
    assert.ok(device.client.stats().reconnects >= 1, 'the device reconnected');
    await device.client.stop();
    await hub.stop();

    const kept = await r.hubReads('cam-kill');
    assert.equal(kept.rows, reads.length, 'each read stored exactly once');
    for (const read of reads) assert.ok(kept.ids.has(read.id), `read ${read.id} reached the hub`);
  });

  it('detects a path that silently drops everything within two heartbeats, and resends what was unacknowledged when it returns', async () => {
    const r = await rig();
    const hub = await inProcessHub(r);
    const proxy = await TcpProxy.start({ host: '127.0.0.1', port: hub.port });
    stops.push(() => proxy.close());
    const heartbeatMs = 500;
    const device = await r.device('cam-dead-link', `wss://localhost:${proxy.port}`, { heartbeatMs, connectTimeoutMs: 1000, backoff: { initialMs: 100, maxMs: 400 }, batchReads: 20 });
    const disconnects: number[] = [];
    device.client.on('disconnected', () => disconnects.push(Date.now()));
    const first = await device.putReads(100);
    device.client.start();
    await eventually(async () => (await device.store.pendingUploads()) === 0, 'the first reads acknowledged');

    proxy.setMode('blackhole');
    const wentDark = Date.now();
    const second = await device.putReads(100);
    await eventually(() => disconnects.length > 0, 'the dead link detected', 10_000);
    const detectedMs = disconnects[0] - wentDark;
    // Two heartbeat intervals, plus timer slack on a loaded machine.
    assert.ok(detectedMs <= 2 * heartbeatMs + 400, `dead link detected after ${detectedMs} ms (heartbeat ${heartbeatMs} ms)`);
    await sleep(1500);
    assert.equal(device.client.stats().connected, false, 'no connection while the path is dead');
    assert.equal(await device.store.pendingUploads(), second.length, 'nothing marked uploaded while the path is dead');

    proxy.setMode('forward');
    await eventually(async () => (await device.store.pendingUploads()) === 0, 'the unacknowledged reads resent and acknowledged', 20_000);
    const kept = await r.hubReads('cam-dead-link');
    assert.equal(kept.rows, first.length + second.length);
    for (const read of [...first, ...second]) assert.ok(kept.ids.has(read.id));
  });

  it('keeps memory bounded and delivers everything through a link throttled to 10 kB/s', async function () {
    const r = await rig();
    const hub = await inProcessHub(r);
    const proxy = await TcpProxy.start({ host: '127.0.0.1', port: hub.port });
    stops.push(() => proxy.close());
    proxy.throttle(10_000);
    // `make test-long` queues 10,000 reads (several minutes at 10 kB/s); `make test` fewer.
    const count = Number(process.env.SIGHTLINE_THROTTLE_READS ?? 150);
    this.timeout(60_000 + count * 120);
    const window = { batchReads: 25, windowBatches: 2, maxBufferedBytes: 32 * 1024 };
    const device = await r.device('cam-throttled', `wss://localhost:${proxy.port}`, { ...window, heartbeatMs: 30_000, connectTimeoutMs: 30_000 });
    const reads = await device.putReads(count, 64);
    let maxInFlight = 0;
    let peakRss = process.memoryUsage.rss();
    const sampler = setInterval(() => {
      maxInFlight = Math.max(maxInFlight, device.client.stats().inFlightReads);
      peakRss = Math.max(peakRss, process.memoryUsage.rss());
    }, 20);
    const started = Date.now();
    device.client.start();
    try {
      await eventually(async () => (await device.store.pendingUploads()) === 0, `${count} reads through 10 kB/s`, 30_000 + count * 110);
    } finally {
      clearInterval(sampler);
    }
    const seconds = (Date.now() - started) / 1000;
    console.log(`      ${count} reads through 10 kB/s in ${seconds.toFixed(1)} s (${Math.round(proxy.bytesUp / seconds)} B/s up); at most ${maxInFlight} reads in flight; test process peak RSS ${(peakRss / 1048576).toFixed(0)} MB`);
    assert.ok(maxInFlight <= window.batchReads * window.windowBatches, `in flight ${maxInFlight} reads, bound ${window.batchReads * window.windowBatches}`);
    assert.ok(proxy.bytesUp / seconds < 15_000, 'the link really was throttled');
    const kept = await r.hubReads('cam-throttled');
    assert.equal(kept.rows, reads.length);
  });

  it('refuses a TLS-intercepting proxy with its own CA before sending it a byte', async () => {
    const r = await rig();
    const hub = await inProcessHub(r);
    const proxyCa = await testCa('Inspecting proxy CA');
    const proxy = await TlsInterceptProxy.start(await serverCredentials(proxyCa, ['localhost', '127.0.0.1']), { host: '127.0.0.1', port: hub.port, ca: r.ca.certPem, servername: 'localhost' });
    stops.push(() => proxy.close());
    const device = await r.device('cam-intercepted', `wss://localhost:${proxy.port}`, { backoff: { initialMs: 20, maxMs: 100 } });
    await device.putReads(5);
    device.client.start();
    await eventually(() => device.client.stats().connectFailures >= 3, 'three refused attempts');
    assert.equal(device.client.stats().connected, false);
    assert.match(device.client.stats().lastError ?? '', /certificate|self.signed|issuer/i);
    assert.equal(proxy.handshakesCompleted, 0, 'no TLS session with the proxy');
    assert.equal(proxy.plaintextBytes, 0, 'the proxy saw no plaintext');
    assert.equal(await device.store.pendingUploads(), 5, 'nothing was marked uploaded');
    assert.equal(hub.stats().readsStored, 0);

    // The proxy does intercept a client that trusts its CA: the refusal above is the pinning's doing.
    const trusting = tls.connect({ host: '127.0.0.1', port: proxy.port, servername: 'localhost', ca: proxyCa.certPem });
    await new Promise<void>((resolve, reject) => trusting.once('secureConnect', resolve).once('error', reject));
    trusting.write('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n');
    await eventually(() => proxy.plaintextBytes > 0, 'the proxy reading a trusting client\'s plaintext');
    trusting.destroy();
  });

  it('renews its certificate over the open connection, with no gap in uploads, and presents the new one next time', async () => {
    const r = await rig();
    const lifetimeMs = 6000;
    const hub = await inProcessHub(r, { certLifetimeMs: lifetimeMs });
    const identityDir = path.join(r.dir, 'identity');
    const now = Date.now();
    const first = await deviceCredentials(r.ca, 'cam-renew', { notBefore: now - 500, notAfter: now + lifetimeMs - 500 });
    saveIdentity(identityDir, { deviceId: 'cam-renew', keyPem: first.keyPem, certPem: first.certPem, caPem: r.ca.certPem, uplinkUrl: `wss://localhost:${hub.port}` });
    const firstSerial = loadIdentity(identityDir)!.serial;
    const store = await SqliteReadStore.open(path.join(r.dir, 'device'), { diskReserveBytes: 0, integrityCheck: 'quick' });
    stops.push(() => store.close());
    const commands = new CommandHandler({ store, health: () => Promise.reject(new Error('unused')), hotlistDir: path.join(r.dir, 'hotlists'), log: silentLogger });
    const client = new UplinkClient({ identity: () => loadIdentity(identityDir)!, store, commands, options: { url: `wss://localhost:${hub.port}`, backoff: { initialMs: 50, maxMs: 200 } }, log: silentLogger });
    stops.push(() => client.stop());
    const renewal = new CertificateRenewal({ identityDir, renew: (csr) => client.renew(csr), log: silentLogger, retryMs: 200 });
    stops.push(async () => renewal.stop());
    const disconnects: string[] = [];
    client.on('disconnected', (reason) => disconnects.push(reason));
    let renewedAt = 0;
    renewal.on('renewed', () => (renewedAt = Date.now()));
    client.start();
    renewal.start();
    let i = 0;
    const put = async () => {
      await store.putMany([fixtureRead(900_000 + i++, { firstSeen: Date.now() - 1000, cropBytes: 2000 })]);
      client.notify();
    };
    await put();
    await eventually(() => renewedAt > 0, 'the renewal', lifetimeMs);
    const renewed = loadIdentity(identityDir)!;
    assert.notEqual(renewed.serial, firstSerial, 'a new certificate is installed');
    assert.notEqual(renewed.keyPem, first.keyPem, 'with a new key pair');
    assert.ok(renewed.notAfter > now + lifetimeMs, 'valid for a new lifetime');
    assert.deepEqual(disconnects, [], 'the connection stayed up through the renewal');
    await put();
    await eventually(async () => (await store.pendingUploads()) === 0, 'reads uploaded after the renewal');

    // The hub drops the connection when the first certificate expires; the device comes back with the new one.
    await eventually(() => client.stats().reconnects >= 1 && client.stats().connected, 'the reconnect with the renewed certificate', 15_000);
    await put();
    await eventually(async () => (await store.pendingUploads()) === 0, 'reads uploaded on the new connection');
    assert.equal(hub.stats().readsStored, 3);
  });
});
