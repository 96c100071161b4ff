import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { statSync } from 'node:fs';
import * as path from 'node:path';
import { Database, OPEN_READWRITE } from 'sqlite3';
import { silentLogger } from '../../../drivers/log';
import { all, closeDatabase, exec, get, openDatabase } from '../../../firmware/store/sqlite-async';
import { type CaMaterial } from '../../../ops/fleet/certificate-authority';
import { HubServer, type HubServerOptions } from '../../../ops/hub/hub-server';
import { certificateFacts } from '../../../provisioning/certificates';
import { generateDeviceKeyAndCsr } from '../../../provisioning/device-key';
import { useTempDir } from '../../support/temp-dir';
import { deviceCredentials, testCa, type Credentials } from '../../support/test-pki';
import { healthReport, TestDevice, uploadRead } from './test-device';

const DAY = 86_400_000;

async function withDb<T>(dir: string, fn: (db: Database) => Promise<T>): Promise<T> {
  const db = await openDatabase(path.join(dir, 'hub.sqlite'), OPEN_READWRITE);
  try {
    return await fn(db);
  } finally {
    await closeDatabase(db);
  }
}

function until(condition: () => boolean, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const timer = setInterval(() => {
      if (condition()) {
        clearInterval(timer);
        resolve();
      } else if (Date.now() - started > 20_000) {
        clearInterval(timer);
        reject(new Error(`timed out waiting for ${what}`));
      }
    }, 5);
  });
}

describe('HubServer (real mutual TLS, real WebSocket, real SQLite)', function () {
  this.timeout(60_000);
  const tmp = useTempDir('sightline-hub-');
  let ca: CaMaterial;
  let otherCa: CaMaterial;
  let dev1: Credentials;
  let dev2: Credentials;
  let hub: HubServer;
  const devices: TestDevice[] = [];

  before(async () => {
    [ca, otherCa] = await Promise.all([testCa(), testCa('Some Other CA')]);
    [dev1, dev2] = await Promise.all([deviceCredentials(ca, 'dev-1'), deviceCredentials(ca, 'dev-2')]);
  });

  async function startHub(options: Partial<HubServerOptions> = {}): Promise<HubServer> {
    hub = await HubServer.start({ dir: tmp(), ca, port: 0, healthIntervalMs: 0, log: silentLogger, ...options });
    return hub;
  }

  async function connect(credentials: Credentials = dev1): Promise<TestDevice> {
    const device = await TestDevice.connect(hub.port, { credentials, ca });
    devices.push(device);
    return device;
  }

  afterEach(async () => {
    await Promise.all(devices.splice(0).map((d) => d.close()));
    await hub?.close();
  });

  describe('who may connect', () => {
    beforeEach(() => startHub());

    it('accepts a device with a fleet certificate and sends welcome with its id and certificate expiry', async () => {
      const device = await connect();
      const welcome = await device.next('welcome');
      assert.equal(welcome.deviceId, 'dev-1');
      assert.equal(welcome.certificateNotAfter, certificateFacts(dev1.certPem).notAfter);
      assert.deepEqual(hub.connectedDevices(), ['dev-1']);
    });

    it('creates hub.sqlite 0600, WAL, and a server certificate from the fleet CA for localhost', async () => {
      assert.equal(statSync(path.join(tmp(), 'hub.sqlite')).mode & 0o777, 0o600);
      assert.equal(statSync(path.join(tmp(), 'hub.key')).mode & 0o777, 0o600);
      const cert = new X509Certificate(hub.serverCertificatePem);
      assert.ok(cert.verify(new X509Certificate(ca.certPem).publicKey));
      assert.match(cert.subjectAltName ?? '', /DNS:localhost/);
      assert.equal(await withDb(tmp(), async (db) => (await get<{ journal_mode: string }>(db, 'PRAGMA journal_mode'))?.journal_mode), 'wal');
    });

    it('refuses a device with no client certificate', async () => {
      const attempt = await TestDevice.attempt(hub.port, { credentials: null, ca });
      assert.equal(attempt.opened, false);
      await until(() => hub.stats().refusedHandshakes === 1, 'the hub to count the refused TLS handshake');
      assert.deepEqual([hub.stats().connected, hub.stats().refusedUpgrades], [0, 0]);
    });

    it('refuses a certificate from another CA', async () => {
      const attempt = await TestDevice.attempt(hub.port, { credentials: await deviceCredentials(otherCa, 'dev-1'), ca });
      assert.equal(attempt.opened, false);
      await until(() => hub.stats().refusedHandshakes === 1, 'the hub to count the refused TLS handshake');
      assert.deepEqual([hub.stats().connected, hub.stats().refusedUpgrades], [0, 0]);
    });

    it('refuses an expired certificate', async () => {
      const expired = await deviceCredentials(ca, 'dev-1', { notBefore: Date.now() - 10 * DAY, notAfter: Date.now() - DAY });
      const attempt = await TestDevice.attempt(hub.port, { credentials: expired, ca });
      assert.equal(attempt.opened, false);
      await until(() => hub.stats().refusedHandshakes === 1, 'the hub to count the refused TLS handshake');
      assert.deepEqual([hub.stats().connected, hub.stats().refusedUpgrades], [0, 0]);
    });

    it('refuses a client that does not speak the sightline.v1 subprotocol', async () => {
      const attempt = await TestDevice.attempt(hub.port, { credentials: dev1, ca, protocols: ['sightline.v0'] });
      assert.deepEqual([attempt.opened, !attempt.opened && attempt.status], [false, 400]);
    });

    it('closes a connected device when its certificate is revoked, and refuses it from then on', async () => {
      const device = await connect();
      await device.next('welcome');
      const other = await connect(dev2);
      await other.next('welcome');
      const serials = await hub.revokeDevice('dev-1', 'reported stolen');
      assert.deepEqual(serials, [certificateFacts(dev1.certPem).serial]);
      assert.equal((await device.closed).code, 4001);
      const again = await TestDevice.attempt(hub.port, { credentials: dev1, ca });
      assert.deepEqual([again.opened, !again.opened && again.status], [false, 403]);
      assert.deepEqual(hub.connectedDevices(), ['dev-2'], 'the other device stays connected');
      const revoked = await withDb(tmp(), (db) => get<{ reason: string; revoked_at: number }>(db, 'SELECT reason, revoked_at FROM certificates WHERE device_id = ?', ['dev-1']));
      assert.equal(revoked?.reason, 'reported stolen');
    });

    it('answers a plain HTTPS request with 426 Upgrade Required', async () => {
      const https = await import('node:https');
      const status = await new Promise<number | undefined>((resolve, reject) =>
        https.get({ host: 'localhost', port: hub.port, ca: ca.certPem, key: dev1.keyPem, cert: dev1.certPem }, (res) => resolve(res.statusCode)).on('error', reject),
      );
      assert.equal(status, 426);
    });
  });

  describe('reads', () => {
    beforeEach(() => startHub());

    it('stores a batch (crops as BLOBs) and acks it only once it is in hub.sqlite', async () => {
      const device = await connect();
      const reads = [uploadRead('r1', { cropBytes: 20_000 }), uploadRead('r2'), uploadRead('r3', { dataClass: 'hit' })];
      device.send({ type: 'reads', batch: 'b1', lane: 'backlog', reads });
      const ack = await device.next('ack');
      assert.deepEqual([ack.batch, ack.ids], ['b1', ['r1', 'r2', 'r3']]);
      // Read at the moment of the ack, from another connection: committed, not just queued.
      const rows = await withDb(tmp(), (db) => all<{ read_id: string; crop: Buffer; data_class: string; plate: string }>(db, 'SELECT read_id, crop, data_class, plate FROM reads WHERE device_id = ? ORDER BY read_id', ['dev-1']));
      assert.deepEqual(rows.map((r) => r.read_id), ['r1', 'r2', 'r3']);
      assert.ok(rows[0].crop.equals(Buffer.from(reads[0].crop, 'base64')));
      assert.equal(rows[0].crop.length, 20_000);
      assert.deepEqual(rows.map((r) => r.data_class), ['read', 'read', 'hit']);
      const counts = await withDb(tmp(), (db) => get<{ reads: number; alerts: number }>(db, 'SELECT reads, alerts FROM devices WHERE device_id = ?', ['dev-1']));
      assert.deepEqual(counts, { reads: 2, alerts: 1 });
    });

    it('stores a resent batch once, acks it again and counts the duplicates', async () => {
      const device = await connect();
      const reads = [uploadRead('r1'), uploadRead('r2')];
      device.send({ type: 'reads', batch: 'b1', lane: 'backlog', reads });
      await device.next('ack');
      // After a lost ack the device resends the same reads, possibly in a batch with a new id.
      device.send({ type: 'reads', batch: 'b1-again', lane: 'backlog', reads: [...reads, uploadRead('r3')] });
      const ack = await device.next('ack');
      assert.deepEqual(ack.ids, ['r1', 'r2', 'r3']);
      assert.equal(await withDb(tmp(), async (db) => (await get<{ n: number }>(db, 'SELECT count(*) AS n FROM reads'))?.n), 3);
      assert.equal(hub.stats().duplicates, 2);
      assert.equal(await withDb(tmp(), async (db) => (await get<{ duplicates: number }>(db, 'SELECT duplicates FROM devices'))?.duplicates), 2);
    });

    it('commits an alert batch ahead of backlog batches already queued', async () => {
      const device = await connect();
      await device.next('command', (m) => m.command.name === 'health'); // the hub's writes on connect are done
      await hub.idle();
      // Another connection holds the write lock, so the hub's writer waits on its first batch while the rest queue.
      const blocker = await openDatabase(path.join(tmp(), 'hub.sqlite'), OPEN_READWRITE);
      await exec(blocker, 'BEGIN IMMEDIATE');
      try {
        device.send({ type: 'reads', batch: 'backlog-1', lane: 'backlog', reads: [uploadRead('b1')] });
        await until(() => hub.stats().received === 1 && hub.stats().queued.backlog === 0, 'the first batch to be taken');
        for (const i of [2, 3, 4]) device.send({ type: 'reads', batch: `backlog-${i}`, lane: 'backlog', reads: [uploadRead(`b${i}`)] });
        await until(() => hub.stats().queued.backlog === 3, 'three backlog batches queued');
        device.send({ type: 'reads', batch: 'alert-1', lane: 'alert', reads: [uploadRead('a1', { dataClass: 'hit' })] });
        await until(() => hub.stats().queued.alert === 1, 'the alert batch queued');
        assert.equal(device.mailbox().filter((m) => m.type === 'ack').length, 0, 'nothing acked before it is committed');
      } finally {
        await exec(blocker, 'COMMIT');
        await closeDatabase(blocker);
      }
      const acks: string[] = [];
      for (let i = 0; i < 5; i++) acks.push((await device.next('ack')).batch);
      assert.deepEqual(acks, ['backlog-1', 'alert-1', 'backlog-2', 'backlog-3', 'backlog-4']);
      const order = await withDb(tmp(), (db) => all<{ read_id: string }>(db, 'SELECT read_id FROM reads ORDER BY seq'));
      assert.deepEqual(order.map((r) => r.read_id), ['b1', 'a1', 'b2', 'b3', 'b4']);
    });
  });

  describe('hostile input', () => {
    beforeEach(() => startHub());

    it('answers invalid JSON, unknown types, invalid fields and binary frames with error replies and stays up', async () => {
      const device = await connect();
      device.sendRaw('{"v":1,"type":');
      assert.equal((await device.next('error')).error.code, 'MALFORMED');
      device.sendRaw(JSON.stringify({ v: 1, type: 'ack', batch: 'x', ids: [] }));
      assert.equal((await device.next('error')).error.code, 'UNKNOWN_TYPE');
      device.sendRaw(JSON.stringify({ v: 1, type: 'reads', batch: 'bad-1', lane: 'backlog', reads: [{ ...uploadRead('r1'), plate: 'abc 123' }] }));
      const invalid = await device.next('error');
      assert.deepEqual([invalid.error.code, invalid.ref], ['INVALID', 'bad-1']);
      assert.match(invalid.error.message, /plate/);
      device.sendRaw(JSON.stringify({ v: 2, type: 'reads' }));
      assert.equal((await device.next('error')).error.code, 'UNSUPPORTED_VERSION');
      device.sendRaw(Buffer.from([1, 2, 3]), true);
      assert.equal((await device.next('error')).error.code, 'BINARY_REFUSED');
      device.send({ type: 'reads', batch: 'good', lane: 'backlog', reads: [uploadRead('r1')] });
      assert.equal((await device.next('ack')).batch, 'good');
      assert.equal(await withDb(tmp(), async (db) => (await get<{ n: number }>(db, 'SELECT count(*) AS n FROM reads'))?.n), 1);
    });

    it('closes a connection that sends a frame over maxPayload (1009) and keeps serving another device', async () => {
      const hostile = await connect();
      const other = await connect(dev2);
      await hostile.next('welcome');
      hostile.sendRaw(Buffer.alloc(64 * 1024 * 1024 + 1, 0x61));
      assert.equal((await hostile.closed).code, 1009);
      other.send({ type: 'reads', batch: 'b1', lane: 'alert', reads: [uploadRead('r1', { dataClass: 'hit' })] });
      assert.equal((await other.next('ack')).batch, 'b1');
      assert.deepEqual(hub.connectedDevices(), ['dev-2']);
    });

    it('ignores a reply to a command it never sent (or sent to another device)', async () => {
      const device = await connect();
      const other = await connect(dev2);
      const forOther = await hub.queueCommand('dev-2', { name: 'release', readId: 'r9', by: 'ops' });
      await other.next('command', (m) => m.id === forOther);
      device.send({ type: 'reply', id: 'no-such-command', ok: true, result: { done: true } });
      device.send({ type: 'reply', id: forOther, ok: true, result: { done: true } });
      // Handled in order: had either been answered with an error, it would arrive before this ack.
      device.send({ type: 'reads', batch: 'after', lane: 'backlog', reads: [uploadRead('r1')] });
      assert.equal((await device.next('ack')).batch, 'after');
      assert.equal(device.mailbox().filter((m) => m.type === 'error').length, 0);
      const row = await withDb(tmp(), (db) => get<{ replied_at: number | null }>(db, 'SELECT replied_at FROM commands WHERE id = ?', [forOther]));
      assert.equal(row?.replied_at, null, 'a device cannot answer for another');
    });
  });

  describe('certificate renewal', () => {
    beforeEach(() => startHub({ certLifetimeMs: 120_000 }));

    it('signs a CSR for the same device with the configured lifetime, records it, and the new certificate connects', async () => {
      const device = await connect();
      const { keyPem, csrPem } = await generateDeviceKeyAndCsr('dev-1');
      const before = Date.now();
      device.send({ type: 'renew', id: 'renew-1', csr: csrPem });
      const renewed = await device.next('renewed');
      assert.equal(renewed.id, 'renew-1');
      const cert = new X509Certificate(renewed.certificate);
      assert.ok(cert.verify(new X509Certificate(ca.certPem).publicKey), 'signed by the fleet CA');
      const facts = certificateFacts(renewed.certificate);
      assert.equal(facts.commonName, 'dev-1');
      assert.ok(facts.notAfter >= before + 119_000 && facts.notAfter <= Date.now() + 121_000, 'lifetime as configured');
      const row = await withDb(tmp(), (db) => get<{ device_id: string; issued_at: number }>(db, 'SELECT device_id, issued_at FROM certificates WHERE serial = ?', [facts.serial]));
      assert.equal(row?.device_id, 'dev-1');
      const renewedDevice = await connect({ keyPem, certPem: renewed.certificate });
      assert.equal((await renewedDevice.next('welcome')).certificateNotAfter, facts.notAfter);
    });

    it('refuses a CSR naming another device, and one that does not parse', async () => {
      const device = await connect();
      device.send({ type: 'renew', id: 'renew-2', csr: (await generateDeviceKeyAndCsr('dev-2')).csrPem });
      const refused = await device.next('error');
      assert.deepEqual([refused.ref, refused.error.code], ['renew-2', 'REFUSED']);
      assert.match(refused.error.message, /dev-2/);
      device.send({ type: 'renew', id: 'renew-3', csr: 'not a CSR' });
      assert.deepEqual(await device.next('error').then((e) => [e.ref, e.error.code]), ['renew-3', 'REFUSED']);
      assert.equal(await withDb(tmp(), async (db) => (await get<{ n: number }>(db, "SELECT count(*) AS n FROM certificates WHERE device_id = 'dev-2'"))?.n), 0);
    });
  });

  describe('commands and health', () => {
    it('sends a queued command (queued while the device was away) and stores its reply', async () => {
      await startHub();
      const first = await connect();
      await first.next('welcome');
      await first.close();
      await until(() => hub.connectedDevices().length === 0, 'the device to leave');
      const id = await hub.queueCommand('dev-1', { name: 'hold', readId: 'r1', caseNumber: 'C-1', reason: 'evidence', by: 'ops' }, 'ops');
      const device = await connect();
      const command = await device.next('command', (m) => m.id === id);
      assert.deepEqual(command.command, { name: 'hold', readId: 'r1', caseNumber: 'C-1', reason: 'evidence', by: 'ops' });
      const replied = new Promise((resolve) => hub.once('reply', (_d, commandId) => resolve(commandId)));
      device.send({ type: 'reply', id, ok: false, error: { code: 'NOT_FOUND', message: 'no read r1' } });
      assert.equal(await replied, id);
      const row = await withDb(tmp(), (db) => get<{ reply: string; sent_at: number; requested_by: string }>(db, 'SELECT reply, sent_at, requested_by FROM commands WHERE id = ?', [id]));
      assert.deepEqual(JSON.parse(row?.reply ?? 'null'), { ok: false, error: { code: 'NOT_FOUND', message: 'no read r1' } });
      assert.ok(row?.sent_at);
      assert.equal(row?.requested_by, 'ops');
    });

    it('resends an unanswered command after the device reconnects', async () => {
      await startHub();
      const first = await connect();
      const id = await hub.queueCommand('dev-1', { name: 'release', readId: 'r1', by: 'ops' });
      await first.next('command', (m) => m.id === id);
      await first.close();
      const second = await connect();
      assert.equal((await second.next('command', (m) => m.id === id)).command.name, 'release');
    });

    it('pulls health on connect and on schedule, stores valid reports and refuses invalid ones', async () => {
      await startHub({ healthIntervalMs: 300 });
      const device = await connect();
      const pull = await device.next('command', (m) => m.command.name === 'health');
      const stored = new Promise((resolve) => hub.once('health', (deviceId) => resolve(deviceId)));
      device.send({ type: 'reply', id: pull.id, ok: true, result: healthReport('dev-1') });
      assert.equal(await stored, 'dev-1');
      // The scheduled pull: answered with a report that breaks the schema.
      const second = await device.next('command', (m) => m.command.name === 'health' && m.id !== pull.id);
      const replied = new Promise((resolve) => hub.once('reply', (_d, _id, reply) => resolve(reply)));
      device.send({ type: 'reply', id: second.id, ok: true, result: { ...healthReport('dev-1'), camera: { fps: -1 } } });
      const reply = (await replied) as { ok: boolean; error: { code: string } };
      assert.deepEqual([reply.ok, reply.error.code], [false, 'INVALID']);
      const rows = await withDb(tmp(), (db) => all<{ command_id: string; report: string }>(db, 'SELECT command_id, report FROM health'));
      assert.deepEqual(rows.map((r) => r.command_id), [pull.id]);
      assert.equal(JSON.parse(rows[0].report).camera.fps, 14.8);
    });

    it('cuts off a device that stops answering pings', async () => {
      await startHub({ heartbeatMs: 100 });
      const device = await connect();
      await device.next('welcome');
      const gone = new Promise((resolve) => hub.once('disconnected', (deviceId) => resolve(deviceId)));
      device.ws.pause(); // its socket is no longer read: no pongs, as if the packets were dropped
      assert.equal(await gone, 'dev-1');
      device.ws.terminate();
    });
  });
});
