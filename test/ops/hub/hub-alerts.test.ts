/**
 * Alerts from a device to central and kept there: the device stores an alert (putAlert), its real
 * uplink carries it over mutual TLS to the real hub, which keeps the matches, advisory and exact
 * frame bytes in `alerts` beside the read, once, and says so once with an 'alert' event.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import sqlite3 from 'sqlite3';
import { silentLogger } from '../../../drivers/log';
import { alertRecordOf, type Alert } from '../../../firmware/hotlist/alert';
import { LIMITS, type UploadRead } from '../../../firmware/uplink/protocol';
import { toUploadRead } from '../../../firmware/uplink/upload-read';
import { listAlerts } from '../../../ops/hub/alerts-view';
import { HubDatabase } from '../../../ops/hub/hub-database';
import { HUB_MIGRATIONS } from '../../../ops/hub/hub-schema';
import { closeDatabase, exec, openDatabase } from '../../../firmware/store/sqlite-async';
import { mkdirSync } from 'node:fs';
import { HubServer } from '../../../ops/hub/hub-server';
import type { BatchResult } from '../../../ops/hub/read-batches';
import { eventually } from '../../support/fake-hub';
import { deviceCredentials } from '../../support/test-pki';
import { alertFor, sceneShots } from '../../firmware/uplink/alert-fixture';
import { useDeviceHubRig, type DeviceHubRig } from './device-hub-rig';
import { TestDevice } from './test-device';

interface AlertTableRow {
  device_id: string;
  read_id: string;
  raised_at: number;
  record: string;
  frame: Buffer | null;
  received_at: number;
}

/** Rows of hub.sqlite, read-only, as an auditor would read them. */
function hubQuery<T>(hubDir: string, sql: string): Promise<T[]> {
  return new Promise((resolve, reject) => {
    const db = new sqlite3.Database(path.join(hubDir, 'hub.sqlite'), sqlite3.OPEN_READONLY, (err) => {
      if (err) return reject(err);
      db.all<T>(sql, [], (err2, rows) => {
        db.close();
        if (err2) return reject(err2);
        resolve(rows);
      });
    });
  });
}

function hubAlerts(hubDir: string): Promise<AlertTableRow[]> {
  return hubQuery<AlertTableRow>(hubDir, 'SELECT * FROM alerts ORDER BY raised_at');
}

describe('alerts from device to hub (real uplink, mutual TLS, SQLite)', function () {
  this.timeout(120_000);
  const rig = useDeviceHubRig();
  let hub: HubServer | null = null;
  afterEach(async () => {
    await hub?.close();
    hub = null;
  });

  async function startHub(r: DeviceHubRig): Promise<HubServer> {
    hub = await HubServer.start({ dir: r.hubDir, ca: r.ca, port: 0, healthIntervalMs: 0, log: silentLogger });
    return hub;
  }

  /** The stored alert's upload form, as the device sends it. */
  async function uploadFormOf(r: DeviceHubRig, alert: Alert): Promise<UploadRead> {
    const device = await r.device(`conv-${alert.read.id.slice(0, 8)}`, 'wss://localhost:1');
    await device.store.putAlert(alert);
    const converted = toUploadRead((await device.store.get(alert.read.id))!);
    assert.ok(converted.ok);
    return converted.read;
  }

  it('gets an alert stored on the device to the hub ahead of the backlog, with its matches, advisory and exact frame', async () => {
    const r = await rig();
    const h = await startHub(r);
    const events: [string, UploadRead][] = [];
    h.on('alert', (deviceId: string, read: UploadRead) => events.push([deviceId, read]));
    const device = await r.device('cam-alert', `wss://localhost:${h.port}`, { batchReads: 50 });
    await device.putReads(300);
    const shots = await sceneShots();
    const alerts = [alertFor(shots[0]), alertFor(shots[1], { frame: false })];
    for (const alert of alerts) await device.store.putAlert(alert);
    device.client.start();
    await eventually(async () => (await device.store.pendingUploads()) === 0, 'everything acknowledged', 30_000);
    await h.idle();

    const rows = await hubAlerts(r.hubDir);
    assert.equal(rows.length, 2);
    for (const [i, alert] of alerts.entries()) {
      const row = rows.find((x) => x.read_id === alert.read.id)!;
      assert.ok(row, `alert ${i} reached the hub`);
      assert.equal(row.device_id, 'cam-alert');
      assert.equal(row.raised_at, alert.details.raisedAt);
      const record = JSON.parse(row.record);
      assert.deepEqual(record, alertRecordOf(alert.details), 'matches, advisory, frame size and frameMissing as raised');
      assert.equal(record.matches[0].rule, 'exact');
      assert.equal(record.matches[0].entry.caseNumber, 'SVS-2291');
      assert.equal(record.matches[1].rule, 'wildcard');
      assert.equal(record.matches[1].entry.synopsis, 'Partial plate from a witness; blue pickup.');
      assert.match(record.advisory, /hotlist county-bolo stale since /);
      if (alert.details.frame === null) assert.equal(row.frame, null);
      else assert.ok(row.frame !== null && row.frame.equals(alert.details.frame.jpeg), 'the exact frame bytes');
    }
    assert.equal(rows.find((x) => x.read_id === alerts[1].read.id)?.record.includes('"frameMissing":"frame not available"'), true);

    assert.deepEqual(events.map(([d, read]) => [d, read.id]).sort(), alerts.map((a) => ['cam-alert', a.read.id]).sort(), "one 'alert' event per alert");
    assert.equal(h.stats().alertsStored, 2);
    const kept = await r.hubReads('cam-alert');
    assert.equal(kept.rows, 302, 'the alerts sit beside their reads, the backlog too');
    const order = await hubQuery<{ read_id: string; lane: string; data_class: string }>(r.hubDir, 'SELECT read_id, lane, data_class FROM reads ORDER BY seq LIMIT 2');
    assert.deepEqual(order.map((x) => [x.lane, x.data_class]), [['alert', 'hit'], ['alert', 'hit']], 'the alerts were stored before any of the backlog');

    const db = await HubDatabase.open(r.hubDir, { create: false });
    try {
      const listed = await listAlerts(db, { device: 'cam-alert' });
      assert.deepEqual(listed.map((a) => a.readId), [alerts[1], alerts[0]].map((a) => a.read.id), 'newest first');
      assert.equal(listed[1].frameBytes, shots[0].frameJpeg.length);
      assert.equal(listed[1].cropBytes, shots[0].cropJpeg.length);
      assert.equal(listed[1].plate, alerts[0].read.plate);
      assert.equal(listed[0].frameBytes, 0);
    } finally {
      await db.close();
    }
  });

  it('stores a resent alert batch once and emits one alert event', async () => {
    const r = await rig();
    const h = await startHub(r);
    const events: string[] = [];
    const results: BatchResult[] = [];
    h.on('alert', (_deviceId: string, read: UploadRead) => events.push(read.id));
    h.on('stored', (_d: string, _b: string, _l: string, result: BatchResult) => results.push(result));
    const [shot] = await sceneShots();
    const alert = alertFor(shot);
    const read = await uploadFormOf(r, alert);
    const device = await TestDevice.connect(h.port, { credentials: await deviceCredentials(r.ca, 'cam-dup'), ca: r.ca });
    try {
      for (const batch of ['b-1', 'b-1-again']) {
        device.send({ type: 'reads', batch, lane: 'alert', reads: [read] });
        const ack = await device.next('ack', (m) => m.batch === batch);
        assert.deepEqual(ack.ids, [read.id], 'acknowledged both times');
      }
    } finally {
      await device.close();
    }
    await h.idle();
    assert.deepEqual(events, [read.id], "'alert' once");
    assert.deepEqual(results, [{ stored: 1, duplicates: 0 }, { stored: 0, duplicates: 1 }]);
    const rows = await hubAlerts(r.hubDir);
    assert.equal(rows.length, 1);
    assert.ok(rows[0].frame?.equals(shot.frameJpeg));
    assert.equal((await r.hubReads('cam-dup')).rows, 1);
  });

  it('refuses a batch whose alert is malformed, storing nothing of it', async () => {
    const r = await rig();
    const h = await startHub(r);
    const events: string[] = [];
    h.on('alert', (_d: string, read: UploadRead) => events.push(read.id));
    const [shot] = await sceneShots();
    const read = await uploadFormOf(r, alertFor(shot));
    const bad = { ...read, alert: { ...read.alert!, frameJpeg: `${read.alert!.frameJpeg!.slice(0, 64)}!!` } };
    const device = await TestDevice.connect(h.port, { credentials: await deviceCredentials(r.ca, 'cam-bad'), ca: r.ca });
    try {
      device.send({ type: 'reads', batch: 'b-bad', lane: 'alert', reads: [bad] });
      const error = await device.next('error');
      assert.equal(error.ref, 'b-bad');
      assert.equal(error.error.code, 'INVALID');
      assert.match(error.error.message, /reads\.0\.alert\.frameJpeg: must be base64/);
    } finally {
      await device.close();
    }
    await h.idle();
    assert.deepEqual(events, []);
    assert.equal((await hubAlerts(r.hubDir)).length, 0);
    assert.equal((await r.hubReads('cam-bad')).rows, 0);
  });

  it('adds the alerts table to a hub database made before alerts, keeping its reads', async () => {
    const r = await rig();
    mkdirSync(r.hubDir, { recursive: true, mode: 0o700 });
    const file = path.join(r.hubDir, 'hub.sqlite');
    const old = await openDatabase(file, sqlite3.OPEN_READWRITE | sqlite3.OPEN_CREATE);
    await exec(old, `${HUB_MIGRATIONS[0].sql}
      INSERT INTO reads (device_id, read_id, data_class, lane, batch_id, plate, confidence, alternatives, crop, quad, first_seen, last_seen, frame_count, source_id, format, held, original_plate, received_at)
      VALUES ('cam-old', 'r-old', 'hit', 'alert', 'b', 'ABC123', 0.9, '[]', x'FFD8', '[]', 1, 2, 3, 's', NULL, 0, NULL, 4);
      PRAGMA user_version = 1;`);
    await closeDatabase(old);
    const db = await HubDatabase.open(r.hubDir, { create: false });
    try {
      assert.equal((await db.read((sql) => sql.get<{ user_version: number }>('PRAGMA user_version')))?.user_version, 2);
      assert.deepEqual(await listAlerts(db), [], 'a bare hit stored before alerts is no alert');
    } finally {
      await db.close();
    }
    assert.equal((await r.hubReads('cam-old')).rows, 1);
  });

  it('splits alerts with full-size frames into batches that fit a message, and delivers every byte', async () => {
    const r = await rig();
    const h = await startHub(r);
    const batches: number[] = [];
    h.on('stored', (_d: string, _b: string, lane: string, result: BatchResult) => lane === 'alert' && batches.push(result.stored));
    const device = await r.device('cam-big', `wss://localhost:${h.port}`, { batchReads: 50 });
    const [shot] = await sceneShots();
    // Seven alerts with frames of the protocol's maximum: 78 MB of base64, more than one 64 MiB message.
    const alerts = Array.from({ length: 7 }, () => {
      const alert = alertFor(shot);
      return { ...alert, details: { ...alert.details, frame: { ...alert.details.frame!, jpeg: randomBytes(LIMITS.frameBytes) } } };
    });
    for (const alert of alerts) await device.store.putAlert(alert);
    let disconnects = 0;
    device.client.on('disconnected', () => disconnects++);
    device.client.start();
    await eventually(async () => (await device.store.pendingUploads()) === 0, 'every alert acknowledged', 90_000);
    await h.idle();
    assert.equal(disconnects, 0, 'no message was too large for the hub');
    assert.ok(batches.length >= 2, `sent in ${batches.length} batch(es)`);
    assert.equal(batches.reduce((a, b) => a + b, 0), 7);
    const rows = await hubAlerts(r.hubDir);
    assert.equal(rows.length, 7);
    for (const alert of alerts) assert.ok(rows.find((x) => x.read_id === alert.read.id)?.frame?.equals(alert.details.frame.jpeg), 'every frame byte for byte');
  });
});
