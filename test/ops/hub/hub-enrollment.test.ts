import assert from 'node:assert/strict';
import * as path from 'node:path';
import { OPEN_READWRITE } from 'sqlite3';
import { silentLogger } from '../../../drivers/log';
import { all, closeDatabase, openDatabase } from '../../../firmware/store/sqlite-async';
import type { CaMaterial } from '../../../ops/fleet/certificate-authority';
import { EnrollmentTokens } from '../../../ops/fleet/enrollment-tokens';
import { HubServer } from '../../../ops/hub/hub-server';
import { enroll } from '../../../provisioning/enroll';
import { useTempDir } from '../../support/temp-dir';
import { testCa } from '../../support/test-pki';
import { TestDevice } from './test-device';

describe('HubServer with its enrollment listener', function () {
  this.timeout(60_000);
  const tmp = useTempDir('sightline-hub-enroll-');
  let ca: CaMaterial;
  let hub: HubServer | null = null;

  before(async () => {
    ca = await testCa();
  });

  afterEach(async () => {
    await hub?.close();
    hub = null;
  });

  async function newToken(dir: string): Promise<string> {
    const tokens = await EnrollmentTokens.open(dir);
    try {
      return (await tokens.create({ ttlMs: 600_000 })).token;
    } finally {
      await tokens.close();
    }
  }

  it('enrolls a device that then connects; enrolling the id again revokes its earlier certificate', async () => {
    const dir = path.join(tmp(), 'hub');
    hub = await HubServer.start({ dir, ca, port: 0, enroll: { host: '127.0.0.1', port: 0 }, certLifetimeMs: 3_600_000, healthIntervalMs: 0, log: silentLogger });
    assert.ok(hub.enrollPort !== null && hub.enrollPort > 0);
    const hubUrl = `https://127.0.0.1:${hub.enrollPort}`;
    const first = await enroll({ hubUrl, token: await newToken(dir), deviceId: 'cam-7', identityDir: path.join(tmp(), 'id-1'), log: silentLogger });
    assert.equal(first.uplinkUrl, `wss://localhost:${hub.port}`);
    assert.equal(first.caPem.trim(), ca.certPem.trim());
    const device = await TestDevice.connect(hub.port, { credentials: { keyPem: first.keyPem, certPem: first.certPem }, ca });
    assert.equal((await device.next('welcome')).deviceId, 'cam-7');

    // Re-enrolled (a replaced board, a wiped disk): the old certificate is revoked and its connection closed.
    const second = await enroll({ hubUrl, token: await newToken(dir), deviceId: 'cam-7', identityDir: path.join(tmp(), 'id-2'), log: silentLogger });
    assert.equal((await device.closed).code, 4001);
    const refused = await TestDevice.attempt(hub.port, { credentials: { keyPem: first.keyPem, certPem: first.certPem }, ca });
    assert.equal(refused.opened, false);
    const current = await TestDevice.connect(hub.port, { credentials: { keyPem: second.keyPem, certPem: second.certPem }, ca });
    await current.next('welcome');
    await current.close();

    const db = await openDatabase(path.join(dir, 'hub.sqlite'), OPEN_READWRITE);
    const rows = await all<{ serial: string; revoked_at: number | null; reason: string | null; issued_at: number | null }>(db, 'SELECT serial, revoked_at, reason, issued_at FROM certificates WHERE device_id = ?', ['cam-7']);
    await closeDatabase(db);
    assert.deepEqual(
      rows.map((r) => [r.serial, r.revoked_at !== null, r.reason, r.issued_at !== null]).sort(),
      [
        [first.serial, true, 're-enrolled', true],
        [second.serial, false, null, true],
      ].sort(),
    );
  });
});
