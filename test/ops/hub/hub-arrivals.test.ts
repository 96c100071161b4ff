/**
 * What `sightline run --demo-hub` prints when an alert reaches its hub: a block of its own (text)
 * or one JSON line, besides the usual 'stored' line; a resent alert is not shown again.
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { silentLogger } from '../../../drivers/log';
import { CONFIRM_ADVISORY, type Alert } from '../../../firmware/hotlist/alert';
import { SqliteReadStore } from '../../../firmware/store/sqlite-read-store';
import type { UploadRead } from '../../../firmware/uplink/protocol';
import { toUploadRead } from '../../../firmware/uplink/upload-read';
import { showHubArrivals } from '../../../ops/cli/run-command';
import type { CaMaterial } from '../../../ops/fleet/certificate-authority';
import { HubServer } from '../../../ops/hub/hub-server';
import { captureOutput } from '../../support/capture-output';
import { useTempDir } from '../../support/temp-dir';
import { deviceCredentials, testCa } from '../../support/test-pki';
import { alertFor, sceneShots } from '../../firmware/uplink/alert-fixture';
import { TestDevice } from './test-device';

describe('run --demo-hub: alerts arriving at the hub', function () {
  this.timeout(60_000);
  const tmp = useTempDir('sightline-hub-arrivals-');
  let ca: CaMaterial;
  let hub: HubServer;
  let alert: Alert;
  let form: UploadRead;

  before(async () => {
    ca = await testCa();
  });

  beforeEach(async () => {
    hub = await HubServer.start({ dir: path.join(tmp(), 'hub'), ca, port: 0, healthIntervalMs: 0, log: silentLogger });
    const [shot] = await sceneShots();
    alert = alertFor(shot);
    const store = await SqliteReadStore.open(path.join(tmp(), 'device'), { diskReserveBytes: 0, integrityCheck: 'quick' });
    try {
      await store.putAlert(alert);
      const converted = toUploadRead((await store.get(alert.read.id))!);
      assert.ok(converted.ok);
      form = converted.read;
    } finally {
      await store.close();
    }
  });

  afterEach(() => hub.close());

  /** Sends the alert twice (a resend after a lost ack) and collects what is printed. */
  async function arrivals(json: boolean): Promise<string[]> {
    showHubArrivals(hub, json);
    const device = await TestDevice.connect(hub.port, { credentials: await deviceCredentials(ca, 'vm'), ca });
    try {
      const { stdout } = await captureOutput(async () => {
        for (const batch of ['b-1', 'b-2']) {
          device.send({ type: 'reads', batch, lane: 'alert', reads: [form] });
          await device.next('ack', (m) => m.batch === batch);
        }
      });
      return stdout;
    } finally {
      await device.close();
    }
  }

  it('prints the alert as a block: summary, advisory lines, evidence size', async () => {
    const lines = await arrivals(false);
    const plate = alert.read.plate;
    const alertLines = lines.filter((l) => l.includes('hub: ALERT'));
    assert.equal(alertLines.length, 1, 'once, though sent twice');
    assert.match(alertLines[0], new RegExp(`^\\d{4}-.*Z  hub: ALERT from vm: ${plate} exact on CA-SVS ${plate}: stolen vehicle, case SVS-2291, confidence 0\\.91 \\(\\+1 more\\)$`));
    const at = lines.indexOf(alertLines[0]);
    assert.equal(lines[at + 1], `    ${CONFIRM_ADVISORY}`);
    assert.match(lines[at + 2], /^    hotlist county-bolo stale since \d{4}-.*Z$/);
    assert.match(lines[at + 3], /^    frame 1280x720 \(\d+ kB\), crop \d+ kB$/);
    assert.ok(lines.some((l) => /hub: 1 alert from vm stored and acknowledged$/.test(l)));
    assert.ok(lines.some((l) => /hub: 0 alerts from vm stored and acknowledged \(1 already there\)$/.test(l)));
  });

  it('--json: one line per alert with its plate, rule, list, case, stale lists and frame size', async () => {
    const events = (await arrivals(true)).map((l) => JSON.parse(l) as Record<string, unknown>).filter((e) => e.hub === 'alert');
    assert.equal(events.length, 1);
    assert.deepEqual(events[0], {
      hub: 'alert',
      deviceId: 'vm',
      readId: alert.read.id,
      plate: alert.read.plate,
      rule: 'exact',
      list: 'CA-SVS',
      caseNumber: 'SVS-2291',
      stale: [{ list: 'county-bolo', staleSince: new Date(alert.details.matches[1].listStaleSince!).toISOString() }],
      frameBytes: alert.details.frame!.jpeg.length,
    });
  });
});
