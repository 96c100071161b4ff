import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { CliError } from '../../ops/cli/cli-error';
import { provisionEnrollCommand, provisionStatusCommand } from '../../ops/cli/provision-command';
import type { CaMaterial } from '../../ops/fleet/certificate-authority';
import { EnrollmentError } from '../../provisioning/enroll';
import { loadIdentity } from '../../provisioning/identity-files';
import { captureOutput } from '../support/capture-output';
import { testCa } from '../support/test-pki';
import { useTempDir } from '../support/temp-dir';
import { startEnrollmentHub, UPLINK_URL, type EnrollmentHub } from './enrollment-fixture';

describe('sightline provision enroll / status (command functions)', function () {
  this.timeout(30_000);
  const tmp = useTempDir();
  let ca: CaMaterial;
  let hub: EnrollmentHub;
  let config = '';
  let dataDir = '';

  before(async () => {
    ca = await testCa();
  });
  beforeEach(async () => {
    hub = await startEnrollmentHub(ca, path.join(tmp(), 'hub'));
    dataDir = path.join(tmp(), 'data');
    config = path.join(tmp(), 'sightline.yaml');
    writeFileSync(config, `store:\n  dataDir: ${dataDir}\nlog:\n  level: silent\n`);
  });
  afterEach(() => hub.close());

  it('status says not enrolled (exit 1), enroll enrolls into DATA/identity, status then shows it (exit 0)', async () => {
    const before = await captureOutput(() => provisionStatusCommand({ config, json: true }));
    assert.equal(before.result, 1);
    assert.deepEqual(JSON.parse(before.stdout[0]), { enrolled: false, identityDir: path.join(dataDir, 'identity') });
    assert.match((await captureOutput(() => provisionStatusCommand({ config }))).stdout[0], /not enrolled .*sightline provision enroll/);

    const { token } = await hub.tokens.create({ ttlMs: 3_600_000 });
    const enrolled = await captureOutput(() => provisionEnrollCommand({ hub: hub.url, token, deviceId: 'pole-7', config }));
    assert.equal(enrolled.result, 0);
    assert.match(enrolled.stdout[0], /^enrolled as pole-7: certificate [0-9a-f]+ valid until \S+; uplink wss:\/\/localhost:8443; identity in /);
    assert.equal(loadIdentity(path.join(dataDir, 'identity'))?.deviceId, 'pole-7');

    const json = await captureOutput(() => provisionStatusCommand({ config, json: true }));
    assert.equal(json.result, 0);
    const status = JSON.parse(json.stdout[0]) as Record<string, unknown>;
    assert.equal(status.enrolled, true);
    assert.equal(status.deviceId, 'pole-7');
    assert.equal(status.uplinkUrl, UPLINK_URL);
    assert.equal(status.expired, false);
    assert.ok(Date.parse(status.renewalDue as string) > Date.now() + 50 * 86_400_000);
    const text = await captureOutput(() => provisionStatusCommand({ config }));
    assert.match(text.stdout.join('\n'), /device {8}pole-7[\s\S]*renewal {7}due about/);
  });

  it('a mistyped token is a usage error (CliError); a used token is a refusal with its code', async () => {
    await assert.rejects(provisionEnrollCommand({ hub: hub.url, token: 'abc', deviceId: 'pole-7', config }), (err: unknown) => err instanceof CliError && /has no '\.'/.test(err.message));
    const { token } = await hub.tokens.create({ ttlMs: 3_600_000 });
    await captureOutput(() => provisionEnrollCommand({ hub: hub.url, token, deviceId: 'pole-7', config }));
    await assert.rejects(provisionEnrollCommand({ hub: hub.url, token, deviceId: 'pole-7', config }), (err: unknown) => err instanceof EnrollmentError && err.code === 'ENROLL_TOKEN_USED');
  });
});
