import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { CaMaterial } from '../../ops/fleet/certificate-authority';
import { CA_FILE, DEVICE_FILE, ENROLLMENT_FILE, IdentityError, installRenewedCertificate, loadIdentity, saveIdentity, type DeviceIdentity } from '../../provisioning/identity-files';
import { certificateFacts } from '../../provisioning/certificates';
import { deviceCredentials, testCa, type Credentials } from '../support/test-pki';
import { useTempDir } from '../support/temp-dir';
import { recordingLogger } from '../drivers/camera/recording-logger';

describe('identity files', function () {
  this.timeout(30_000);
  const tmp = useTempDir();
  let ca: CaMaterial;
  let otherCa: CaMaterial;
  let cam1: Credentials;
  let cam1Again: Credentials;
  let cam2: Credentials;
  let dir = '';

  before(async () => {
    [ca, otherCa] = await Promise.all([testCa(), testCa('Another Fleet')]);
    [cam1, cam1Again, cam2] = await Promise.all([deviceCredentials(ca, 'cam-1'), deviceCredentials(ca, 'cam-1'), deviceCredentials(ca, 'cam-2')]);
  });
  beforeEach(() => {
    dir = path.join(tmp(), 'identity');
  });

  const save = (creds: Credentials = cam1, deviceId = 'cam-1', caPem = ca.certPem) => saveIdentity(dir, { deviceId, keyPem: creds.keyPem, certPem: creds.certPem, caPem, uplinkUrl: 'wss://hub.example:8443' });

  function assertIdentityError(fn: () => unknown, file: string, message: RegExp): void {
    assert.throws(fn, (err: unknown) => {
      assert.ok(err instanceof IdentityError, `expected an IdentityError, got ${String(err)}`);
      assert.equal(err.file, path.join(dir, file));
      assert.ok(err.message.includes(path.join(dir, file)), `the message names the file: ${err.message}`);
      assert.match(err.message, message);
      return true;
    });
  }

  it('not enrolled: no directory, or an empty one, is null', () => {
    assert.equal(loadIdentity(dir), null);
    mkdirSync(dir);
    assert.equal(loadIdentity(dir), null);
  });

  it('saves private files that load back to the same identity, with the certificate facts', () => {
    const saved = save();
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    for (const name of [DEVICE_FILE, CA_FILE, ENROLLMENT_FILE]) assert.equal(statSync(path.join(dir, name)).mode & 0o777, 0o600, name);
    const facts = certificateFacts(cam1.certPem);
    assert.equal(saved.serial, facts.serial);
    assert.equal(saved.notAfter, facts.notAfter);
    assert.deepEqual(loadIdentity(dir), saved);
    const enrollment = JSON.parse(readFileSync(path.join(dir, ENROLLMENT_FILE), 'utf8')) as Record<string, string>;
    assert.equal(enrollment.deviceId, 'cam-1');
    assert.equal(enrollment.uplinkUrl, 'wss://hub.example:8443');
    assert.ok(Date.parse(enrollment.enrolledAt) > 0);
    const deviceFile = readFileSync(path.join(dir, DEVICE_FILE), 'utf8');
    assert.match(deviceFile, /^-----BEGIN PRIVATE KEY-----[\s\S]+-----END PRIVATE KEY-----\n-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----\n$/);
  });

  it('refuses to save parts that do not agree, and writes nothing then', () => {
    assert.throws(() => save({ keyPem: cam2.keyPem, certPem: cam1.certPem }), /private key does not match/);
    assert.throws(() => save(cam1, 'cam-1', otherCa.certPem), /not issued by the pinned CA/);
    assert.throws(() => save(cam1, 'cam-2'), /names device "cam-1", but .* says "cam-2"/);
    assert.throws(() => saveIdentity(dir, { deviceId: 'cam-1', keyPem: cam1.keyPem, certPem: cam1.certPem, caPem: ca.certPem, uplinkUrl: 'https://hub:1' }), /must be a wss:\/\/ URL/);
    assert.equal(loadIdentity(dir), null);
  });

  it('a key that does not match the certificate is refused, naming device.pem', () => {
    save();
    writeFileSync(path.join(dir, DEVICE_FILE), `${cam2.keyPem}${cam1.certPem}`, { mode: 0o600 });
    assertIdentityError(() => loadIdentity(dir), DEVICE_FILE, /private key does not match the device certificate/);
  });

  it('a tampered certificate is refused, naming device.pem', () => {
    save();
    const file = path.join(dir, DEVICE_FILE);
    const text = readFileSync(file, 'utf8');
    // Flip one character inside the certificate's base64 body (well past its header).
    const at = text.indexOf('-----BEGIN CERTIFICATE-----') + 400;
    const flipped = text.slice(0, at) + (text[at] === 'A' ? 'B' : 'A') + text.slice(at + 1);
    writeFileSync(file, flipped);
    assertIdentityError(() => loadIdentity(dir), DEVICE_FILE, /does not parse|does not match|not issued by the pinned CA/);
  });

  it('a certificate of another fleet, or a swapped pinned CA, is refused', () => {
    save();
    writeFileSync(path.join(dir, CA_FILE), otherCa.certPem);
    assertIdentityError(() => loadIdentity(dir), DEVICE_FILE, /not issued by the pinned CA in .*central-ca\.pem/);
    writeFileSync(path.join(dir, CA_FILE), cam1.certPem);
    assertIdentityError(() => loadIdentity(dir), CA_FILE, /not a CA certificate/);
    writeFileSync(path.join(dir, CA_FILE), 'garbage');
    assertIdentityError(() => loadIdentity(dir), CA_FILE, /must hold exactly one certificate/);
  });

  it('a certificate for another device than enrollment.json says is refused', () => {
    save();
    writeFileSync(path.join(dir, DEVICE_FILE), `${cam2.keyPem}${cam2.certPem}`);
    assertIdentityError(() => loadIdentity(dir), DEVICE_FILE, /names device "cam-2", but .*enrollment\.json says "cam-1"/);
  });

  it('a broken or missing file is named', () => {
    save();
    writeFileSync(path.join(dir, ENROLLMENT_FILE), '{"deviceId": "cam-1",');
    assertIdentityError(() => loadIdentity(dir), ENROLLMENT_FILE, /not valid JSON/);
    writeFileSync(path.join(dir, ENROLLMENT_FILE), JSON.stringify({ deviceId: 'cam-1', uplinkUrl: 'http://x', enrolledAt: 'now' }));
    assertIdentityError(() => loadIdentity(dir), ENROLLMENT_FILE, /uplinkUrl must be a wss:\/\/ URL/);
    save();
    writeFileSync(path.join(dir, DEVICE_FILE), cam1.certPem);
    assertIdentityError(() => loadIdentity(dir), DEVICE_FILE, /exactly one unencrypted PKCS#8 private key/);
    rmSync(path.join(dir, CA_FILE));
    assertIdentityError(() => loadIdentity(dir), CA_FILE, /incomplete: .* is missing/);
  });

  it('a device key readable by others is made 0600 and the change logged', () => {
    save();
    chmodSync(path.join(dir, DEVICE_FILE), 0o644);
    const { log, entries } = recordingLogger();
    assert.notEqual(loadIdentity(dir, log), null);
    assert.equal(statSync(path.join(dir, DEVICE_FILE)).mode & 0o777, 0o600);
    assert.ok(entries.some((l) => l.level === 'warn' && /made it 0600/.test(l.msg ?? '')));
  });

  it('installs a renewed certificate: new key and certificate, CA and enrollment kept, no temporary files left', () => {
    const before = save();
    const caBefore = readFileSync(path.join(dir, CA_FILE), 'utf8');
    const renewed: DeviceIdentity = installRenewedCertificate(dir, cam1Again.keyPem, cam1Again.certPem);
    assert.notEqual(renewed.serial, before.serial);
    assert.deepEqual(loadIdentity(dir), renewed);
    assert.equal(readFileSync(path.join(dir, CA_FILE), 'utf8'), caBefore);
    assert.equal(renewed.uplinkUrl, before.uplinkUrl);
    assert.deepEqual(readdirSync(dir).sort(), [CA_FILE, DEVICE_FILE, ENROLLMENT_FILE].sort());
    assert.equal(statSync(path.join(dir, DEVICE_FILE)).mode & 0o777, 0o600);
  });

  it('refuses a renewed certificate for another device, another CA, a mismatched key, or already expired', async () => {
    const before = save();
    const otherFleet = await deviceCredentials(otherCa, 'cam-1');
    const expired = await deviceCredentials(ca, 'cam-1', { notBefore: Date.now() - 7_200_000, notAfter: Date.now() - 3_600_000 });
    assertIdentityError(() => installRenewedCertificate(dir, cam2.keyPem, cam2.certPem), DEVICE_FILE, /renewed certificate names device "cam-2"/);
    assertIdentityError(() => installRenewedCertificate(dir, otherFleet.keyPem, otherFleet.certPem), DEVICE_FILE, /renewed certificate was not issued by the pinned CA/);
    assertIdentityError(() => installRenewedCertificate(dir, cam2.keyPem, cam1Again.certPem), DEVICE_FILE, /private key does not match the renewed certificate/);
    assertIdentityError(() => installRenewedCertificate(dir, expired.keyPem, expired.certPem), DEVICE_FILE, /expired at/);
    assert.deepEqual(loadIdentity(dir), before, 'the current identity is untouched');
    rmSync(dir, { recursive: true });
    assert.throws(() => installRenewedCertificate(dir, cam1.keyPem, cam1.certPem), /not enrolled/);
  });
});
