/**
 * `sightline hub alerts`, run as the installed command against the database of a running hub that
 * received alerts over mutual TLS: what it prints (text and JSON) and the images it saves are what
 * the hub stored.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { silentLogger } from '../../drivers/log';
import { alertRecordOf, CONFIRM_ADVISORY, type Alert } from '../../firmware/hotlist/alert';
import { SqliteReadStore } from '../../firmware/store/sqlite-read-store';
import type { UploadRead } from '../../firmware/uplink/protocol';
import { toUploadRead } from '../../firmware/uplink/upload-read';
import type { CaMaterial } from '../../ops/fleet/certificate-authority';
import { initFleetCa } from '../../ops/fleet/fleet-ca-files';
import type { HubAlertRow } from '../../ops/hub/alerts-view';
import { HubServer } from '../../ops/hub/hub-server';
import { alertFor, sceneShots, type SceneShot } from '../firmware/uplink/alert-fixture';
import { lastJson, runCli } from '../support/run-cli';
import { useTempDir } from '../support/temp-dir';
import { deviceCredentials } from '../support/test-pki';
import { TestDevice } from './hub/test-device';

type SavedRow = HubAlertRow & { images?: { crop: string; frame: string | null } };

describe('sightline hub alerts', function () {
  this.timeout(120_000);
  const tmp = useTempDir('sightline-hub-alerts-cli-');
  let ca: CaMaterial;
  let hub: HubServer;
  let hubDir: string;
  let shots: SceneShot[];
  /** Oldest first: cam-1's two alerts, then cam-2's. */
  let alerts: Alert[];
  let hostileId: string;

  /** Uploads the alerts from one device, in its own batch, over a real connection. */
  async function upload(deviceId: string, reads: UploadRead[]): Promise<void> {
    const device = await TestDevice.connect(hub.port, { credentials: await deviceCredentials(ca, deviceId), ca });
    try {
      device.send({ type: 'reads', batch: `batch-${deviceId}`, lane: 'alert', reads });
      await device.next('ack');
    } finally {
      await device.close();
    }
  }

  beforeEach(async () => {
    hubDir = path.join(tmp(), 'hub');
    ca = await initFleetCa(hubDir, 'hub alerts CLI test CA');
    hub = await HubServer.start({ dir: hubDir, ca, port: 0, healthIntervalMs: 0, log: silentLogger });
    shots = await sceneShots();
    const now = Date.now();
    alerts = [alertFor(shots[0], { now: now - 3000 }), alertFor(shots[1], { now: now - 2000, frame: false }), alertFor(shots[2], { now: now - 1000 })];
    // The device's store makes the upload form, as its uplink would.
    const store = await SqliteReadStore.open(path.join(tmp(), 'device'), { diskReserveBytes: 0, integrityCheck: 'quick' });
    const forms: UploadRead[] = [];
    try {
      for (const alert of alerts) {
        await store.putAlert(alert);
        const converted = toUploadRead((await store.get(alert.read.id))!);
        assert.ok(converted.ok);
        forms.push(converted.read);
      }
    } finally {
      await store.close();
    }
    // A device may name its reads anything the protocol allows; saving images must not follow it out of the directory.
    hostileId = '../../escape';
    forms[1] = { ...forms[1], id: hostileId };
    alerts[1] = { ...alerts[1], read: { ...alerts[1].read, id: hostileId } };
    await upload('cam-1', forms.slice(0, 2));
    await upload('cam-2', forms.slice(2));
    await hub.idle();
  });

  afterEach(() => hub.close());

  it('--json: every alert newest first, with what the hub stored', async () => {
    const result = await runCli(['hub', 'alerts', '--dir', hubDir, '--json']);
    assert.equal(result.code, 0, result.stderr);
    const rows = lastJson<SavedRow[]>(result);
    assert.deepEqual(rows.map((r) => [r.deviceId, r.readId]), [...alerts].reverse().map((a, i) => [i === 0 ? 'cam-2' : 'cam-1', a.read.id]));
    for (const row of rows) {
      const alert = alerts.find((a) => a.read.id === row.readId)!;
      assert.deepEqual(row.alert, alertRecordOf(alert.details));
      assert.equal(row.plate, alert.read.plate);
      assert.equal(row.confidence, alert.read.confidence);
      assert.equal(row.raisedAt, alert.details.raisedAt);
      assert.equal(row.cropBytes, alert.read.crop.length);
      assert.equal(row.frameBytes, alert.details.frame?.jpeg.length ?? 0);
      assert.equal(row.images, undefined);
    }

    const one = lastJson<SavedRow[]>(await runCli(['hub', 'alerts', '--dir', hubDir, '--device', 'cam-1', '--limit', '1', '--json']));
    assert.deepEqual(one.map((r) => r.readId), [hostileId], "--device and --limit: cam-1's newest only");
  });

  it('prints each alert for the officer: read, matches with case and synopsis, stale lists, advisory, evidence size', async () => {
    const result = await runCli(['hub', 'alerts', '--dir', hubDir, '--device', 'cam-2']);
    assert.equal(result.code, 0, result.stderr);
    const alert = alerts[2];
    const text = result.stdout;
    assert.match(result.lines[0], new RegExp(`^${new Date(alert.details.raisedAt).toISOString()}  ALERT cam-2 ${alert.read.id}  ${alert.read.plate}  confidence 0\\.91`));
    assert.match(text, new RegExp(`  exact on CA-SVS ${alert.read.plate}: stolen vehicle, case SVS-2291, entered by dispatcher 12; Grey sedan taken`));
    assert.match(text, /  wildcard \S+ on county-bolo \S+\*: wanted: armed robbery, case BOLO-77, entered by Sgt\. Ortiz; Partial plate from a witness; blue pickup\. \[hotlist stale since \d{4}-/);
    assert.ok(result.lines.includes(`  ${CONFIRM_ADVISORY}`), 'the confirm advisory');
    assert.ok(result.lines.some((l) => /^  hotlist county-bolo stale since \d{4}-.*Z$/.test(l)), 'the stale list line');
    const kB = (n: number) => Math.max(1, Math.round(n / 1024));
    assert.ok(result.lines.includes(`  frame 1280x720 (${kB(shots[2].frameJpeg.length)} kB), crop ${kB(shots[2].cropJpeg.length)} kB`), text);

    const frameless = await runCli(['hub', 'alerts', '--dir', hubDir, '--device', 'cam-1', '--limit', '1']);
    assert.ok(frameless.lines.includes(`  no frame (frame not available), crop ${kB(shots[1].cropJpeg.length)} kB`), frameless.stdout);
  });

  it('--save-images: writes each crop and frame, byte for byte, readable by the owner only, inside the directory', async () => {
    const dir = path.join(tmp(), 'evidence');
    const result = await runCli(['hub', 'alerts', '--dir', hubDir, '--save-images', dir, '--json']);
    assert.equal(result.code, 0, result.stderr);
    const rows = lastJson<SavedRow[]>(result);
    for (const row of rows) {
      const alert = alerts.find((a) => a.read.id === row.readId)!;
      assert.ok(row.images, 'the files are named in the JSON');
      assert.equal(path.dirname(row.images.crop), dir);
      assert.ok(readFileSync(row.images.crop).equals(alert.read.crop), 'crop byte for byte');
      assert.equal(statSync(row.images.crop).mode & 0o777, 0o600);
      if (alert.details.frame === null) assert.equal(row.images.frame, null);
      else {
        assert.equal(row.images.frame, path.join(dir, `${alert.read.id}-frame.jpg`));
        assert.ok(readFileSync(row.images.frame!).equals(alert.details.frame.jpeg), 'frame byte for byte');
        assert.equal(statSync(row.images.frame!).mode & 0o777, 0o600);
      }
    }
    assert.deepEqual(readdirSync(dir).sort(), [
      `${alerts[0].read.id}-crop.jpg`,
      `${alerts[0].read.id}-frame.jpg`,
      `${alerts[2].read.id}-crop.jpg`,
      `${alerts[2].read.id}-frame.jpg`,
      '______escape-crop.jpg',
    ].sort());

    const text = await runCli(['hub', 'alerts', '--dir', hubDir, '--device', 'cam-2', '--save-images', dir]);
    assert.ok(text.lines.includes(`  saved ${path.join(dir, `${alerts[2].read.id}-crop.jpg`)}, ${path.join(dir, `${alerts[2].read.id}-frame.jpg`)}`), text.stdout);
  });

  it('says so when there are none, and refuses a bad --limit', async () => {
    assert.deepEqual((await runCli(['hub', 'alerts', '--dir', hubDir, '--device', 'cam-none'])).lines, ['no alerts']);
    const bad = await runCli(['hub', 'alerts', '--dir', hubDir, '--limit', '0']);
    assert.notEqual(bad.code, 0);
  });
});
