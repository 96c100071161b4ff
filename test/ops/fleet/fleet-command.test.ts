import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import * as path from 'node:path';
import { CliError } from '../../../ops/cli/cli-error';
import { fleetCaInitCommand, fleetTokenCommand } from '../../../ops/cli/fleet-command';
import { EnrollmentTokens } from '../../../ops/fleet/enrollment-tokens';
import { loadFleetCa } from '../../../ops/fleet/fleet-ca-files';
import { parseEnrollmentToken } from '../../../provisioning/enrollment-token';
import { captureOutput } from '../../support/capture-output';
import { useTempDir } from '../../support/temp-dir';

describe('sightline fleet ca init / fleet token (command functions)', function () {
  this.timeout(60_000);
  const tmp = useTempDir();

  it('ca init creates the CA and says where; a second init is refused as a usage error', async () => {
    const dir = path.join(tmp(), 'hub');
    const { result, stdout } = await captureOutput(() => fleetCaInitCommand({ dir, name: 'County CA' }));
    assert.equal(result, 0);
    assert.match(stdout[0], /fleet CA "County CA" created in .*hub/);
    assert.match(stdout.join('\n'), /SHA-256 [0-9A-F:]{95}/);
    assert.equal(statSync(path.join(dir, 'ca.key')).mode & 0o777, 0o600);
    loadFleetCa(dir);
    await assert.rejects(fleetCaInitCommand({ dir }), (err: unknown) => err instanceof CliError && /refusing to overwrite/.test(err.message));
  });

  it('token prints the token alone (text) or as JSON, usable by the token database', async () => {
    const dir = path.join(tmp(), 'hub');
    await captureOutput(() => fleetCaInitCommand({ dir }));
    const text = await captureOutput(() => fleetTokenCommand({ dir }));
    assert.equal(text.result, 0);
    assert.equal(text.stdout.length, 1);
    const token = parseEnrollmentToken(text.stdout[0]);
    assert.match(text.stderr.join('\n'), new RegExp(`token ${token.tokenId}, valid until`));

    const json = await captureOutput(() => fleetTokenCommand({ dir, ttlHours: 2, note: 'pole 7', json: true }));
    const made = JSON.parse(json.stdout[0]) as { token: string; tokenId: string; expiresAt: string; note: string };
    assert.equal(parseEnrollmentToken(made.token).tokenId, made.tokenId);
    assert.equal(made.note, 'pole 7');
    assert.ok(Math.abs(Date.parse(made.expiresAt) - (Date.now() + 2 * 3_600_000)) < 60_000);

    const tokens = await EnrollmentTokens.open(dir);
    try {
      assert.equal(await tokens.state(token.tokenId), 'usable');
      assert.ok((await tokens.pskFor(made.tokenId))!.equals(parseEnrollmentToken(made.token).secret));
    } finally {
      await tokens.close();
    }
  });

  it('token refuses a directory without a CA and a bad lifetime', async () => {
    const dir = path.join(tmp(), 'nothing');
    await assert.rejects(fleetTokenCommand({ dir }), (err: unknown) => err instanceof CliError && /no fleet CA in .*--dir/.test(err.message));
    await assert.rejects(fleetTokenCommand({ dir, ttlHours: 0 }), /--ttl-hours must be more than 0/);
    await assert.rejects(fleetTokenCommand({ dir, ttlHours: 10_000 }), /at most 720/);
  });
});
