import assert from 'node:assert/strict';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { chmodSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { CA_CERT_FILE, CA_KEY_FILE, FleetCaError, initFleetCa, loadFleetCa } from '../../../ops/fleet/fleet-ca-files';
import { testCa } from '../../support/test-pki';
import { useTempDir } from '../../support/temp-dir';

describe('fleet CA files', function () {
  this.timeout(60_000);
  const tmp = useTempDir();

  function assertFleetCaError(fn: () => unknown, code: string, file: string, message: RegExp): void {
    assert.throws(fn, (err: unknown) => {
      assert.ok(err instanceof FleetCaError, String(err));
      assert.equal(err.code, code);
      assert.equal(err.file, file);
      assert.match(err.message, message);
      return true;
    });
  }

  it('init writes ca.key 0600 and ca.crt in a new 0700 directory; load returns the same CA', async () => {
    const dir = path.join(tmp(), 'hub');
    const ca = await initFleetCa(dir, 'County Fleet CA');
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    assert.equal(statSync(path.join(dir, CA_KEY_FILE)).mode & 0o777, 0o600);
    assert.deepEqual(readdirSync(dir).sort(), [CA_CERT_FILE, CA_KEY_FILE], 'no temporary files left');
    const cert = new X509Certificate(readFileSync(path.join(dir, CA_CERT_FILE)));
    assert.ok(cert.ca);
    assert.match(cert.subject, /CN=County Fleet CA/);
    assert.ok(cert.checkPrivateKey(createPrivateKey(readFileSync(path.join(dir, CA_KEY_FILE)))));
    assert.deepEqual(loadFleetCa(dir), ca);
  });

  it('init refuses to overwrite an existing CA, or even half of one, and changes nothing', async () => {
    const dir = path.join(tmp(), 'hub');
    await initFleetCa(dir, 'First');
    const key = readFileSync(path.join(dir, CA_KEY_FILE), 'utf8');
    await assert.rejects(initFleetCa(dir, 'Second'), (err: unknown) => {
      assert.ok(err instanceof FleetCaError);
      assert.equal(err.code, 'FLEET_CA_EXISTS');
      assert.match(err.message, /already exists .*refusing to overwrite/);
      return true;
    });
    assert.equal(readFileSync(path.join(dir, CA_KEY_FILE), 'utf8'), key);

    rmSync(path.join(dir, CA_KEY_FILE));
    await assert.rejects(initFleetCa(dir, 'Third'), /already exists \(.*ca\.crt\)/);
    assert.deepEqual(readdirSync(dir), [CA_CERT_FILE]);
  });

  it('load names what is missing or broken', async () => {
    const dir = path.join(tmp(), 'hub');
    mkdirSync(dir);
    const keyFile = path.join(dir, CA_KEY_FILE);
    const certFile = path.join(dir, CA_CERT_FILE);
    assertFleetCaError(() => loadFleetCa(dir), 'FLEET_CA_MISSING', certFile, /no fleet CA in .*sightline fleet ca init --dir/);

    const ca = await initFleetCa(path.join(tmp(), 'real'));
    const other = await testCa('Other');
    writeFileSync(certFile, ca.certPem);
    assertFleetCaError(() => loadFleetCa(dir), 'FLEET_CA_MISSING', keyFile, /ca\.key is missing/);

    writeFileSync(keyFile, other.keyPem, { mode: 0o600 });
    assertFleetCaError(() => loadFleetCa(dir), 'FLEET_CA_INVALID', keyFile, /does not match the certificate/);

    writeFileSync(keyFile, 'not a key');
    assertFleetCaError(() => loadFleetCa(dir), 'FLEET_CA_INVALID', keyFile, /not a readable private key/);

    writeFileSync(keyFile, ca.keyPem);
    chmodSync(keyFile, 0o644);
    assertFleetCaError(() => loadFleetCa(dir), 'FLEET_CA_INVALID', keyFile, /others can read it \(mode 644\)/);
    chmodSync(keyFile, 0o600);

    writeFileSync(certFile, 'garbage');
    assertFleetCaError(() => loadFleetCa(dir), 'FLEET_CA_INVALID', certFile, /not a readable certificate/);
  });
});
