import assert from 'node:assert/strict';
import { X509Certificate, createPrivateKey, createPublicKey } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import type { CaMaterial } from '../../ops/fleet/certificate-authority';
import { defaultDeviceId, enroll, EnrollmentError } from '../../provisioning/enroll';
import { formatEnrollmentToken, parseEnrollmentToken } from '../../provisioning/enrollment-token';
import { loadIdentity } from '../../provisioning/identity-files';
import { certificateFacts } from '../../provisioning/certificates';
import { silentLogger } from '../../drivers/log';
import { serverCredentials, testCa } from '../support/test-pki';
import { useTempDir } from '../support/temp-dir';
import { startEnrollmentHub, UPLINK_URL, type EnrollmentHub } from './enrollment-fixture';
import { recordingLogger } from '../drivers/camera/recording-logger';

describe('enroll (device side, real TLS-PSK to a real enrollment server)', function () {
  this.timeout(30_000);
  const tmp = useTempDir();
  let ca: CaMaterial;
  let hub: EnrollmentHub;
  let identityDir = '';

  before(async () => {
    ca = await testCa();
  });
  beforeEach(async () => {
    hub = await startEnrollmentHub(ca, path.join(tmp(), 'hub'));
    identityDir = path.join(tmp(), 'device', 'identity');
  });
  afterEach(() => hub.close());

  const enrollWith = (token: string, deviceId = 'cam-01', hubUrl = hub.url) => enroll({ hubUrl, token, deviceId, identityDir, log: silentLogger });

  async function rejection(promise: Promise<unknown>): Promise<EnrollmentError> {
    try {
      await promise;
    } catch (err) {
      assert.ok(err instanceof EnrollmentError, `expected an EnrollmentError, got ${String(err)}`);
      return err;
    }
    assert.fail('expected the enrollment to be refused');
  }

  it('enrolls: private files, certificate for this device and its own key, the fleet CA pinned', async () => {
    const { token, tokenId } = await hub.tokens.create({ ttlMs: 3_600_000, note: 'pole 7' });
    const identity = await enrollWith(token);

    assert.equal(identity.deviceId, 'cam-01');
    assert.equal(identity.uplinkUrl, UPLINK_URL);
    assert.equal(statSync(identityDir).mode & 0o777, 0o700);
    assert.deepEqual(readdirSync(identityDir).sort(), ['central-ca.pem', 'device.pem', 'enrollment.json']);
    for (const name of readdirSync(identityDir)) assert.equal(statSync(path.join(identityDir, name)).mode & 0o777, 0o600, name);

    const cert = new X509Certificate(identity.certPem);
    assert.equal(certificateFacts(identity.certPem).commonName, 'cam-01');
    assert.ok(cert.checkPrivateKey(createPrivateKey(identity.keyPem)), 'the certificate holds the device key');
    assert.ok(cert.verify(new X509Certificate(ca.certPem).publicKey), 'issued by the fleet CA');
    assert.equal(readFileSync(path.join(identityDir, 'central-ca.pem'), 'utf8').trim(), ca.certPem.trim());
    assert.ok(identity.notAfter > Date.now() + 89 * 86_400_000);

    // What the hub recorded is exactly what the device holds; the private key never went there.
    assert.equal(hub.enrolled.length, 1);
    assert.equal(hub.enrolled[0].deviceId, 'cam-01');
    assert.equal(hub.enrolled[0].certPem.trim(), identity.certPem.trim());
    const publicKey = createPublicKey(identity.keyPem).export({ type: 'spki', format: 'der' });
    assert.ok(cert.publicKey.export({ type: 'spki', format: 'der' }).equals(publicKey));

    assert.deepEqual(loadIdentity(identityDir), identity);
    assert.equal(await hub.tokens.state(tokenId), 'used');
  });

  it('refuses a token already used, and a second device cannot reuse it', async () => {
    const { token } = await hub.tokens.create({ ttlMs: 3_600_000 });
    await enrollWith(token, 'cam-01');
    const otherDir = path.join(tmp(), 'other');
    const err = await rejection(enroll({ hubUrl: hub.url, token, deviceId: 'cam-02', identityDir: otherDir, log: silentLogger }));
    assert.equal(err.code, 'ENROLL_TOKEN_USED');
    assert.match(err.message, /already used/);
    assert.equal(existsSync(otherDir), false, 'nothing written for the refused device');
    assert.equal(hub.enrolled.length, 1);
  });

  it('two devices racing with one token: exactly one is enrolled', async () => {
    const { token } = await hub.tokens.create({ ttlMs: 3_600_000 });
    const results = await Promise.allSettled(
      ['cam-a', 'cam-b', 'cam-c'].map((id) => enroll({ hubUrl: hub.url, token, deviceId: id, identityDir: path.join(tmp(), id), log: silentLogger })),
    );
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
    for (const r of results) if (r.status === 'rejected') assert.equal((r.reason as EnrollmentError).code, 'ENROLL_TOKEN_USED');
    assert.equal(hub.enrolled.length, 1);
  });

  it('refuses an expired token', async () => {
    const { token } = await hub.tokens.create({ ttlMs: 1 });
    await new Promise((resolve) => setTimeout(resolve, 10));
    const err = await rejection(enrollWith(token));
    assert.equal(err.code, 'ENROLL_TOKEN_EXPIRED');
    assert.match(err.message, /expired/);
    assert.equal(loadIdentity(identityDir), null);
  });

  it('a wrong secret is refused at the TLS handshake: no CSR sent, a clear message', async () => {
    const { log, entries } = recordingLogger();
    await hub.close();
    hub = await startEnrollmentHub(ca, path.join(tmp(), 'hub'), { log });
    const { token } = await hub.tokens.create({ ttlMs: 3_600_000 });
    const { tokenId, secret } = parseEnrollmentToken(token);
    const wrong = Buffer.from(secret);
    wrong[0] ^= 1;
    const err = await rejection(enrollWith(formatEnrollmentToken({ tokenId, secret: wrong })));
    assert.equal(err.code, 'ENROLL_TOKEN_REJECTED');
    assert.match(err.message, /refused the token at the TLS handshake: the secret does not match/);
    assert.equal(hub.enrolled.length, 0);
    assert.ok(entries.some((l) => l.msg === 'enrollment TLS handshake refused'), 'the hub logs the refused handshake');
    // The token itself is still good.
    await enrollWith(token);
  });

  it('a token of another hub (other token key) is refused at the handshake', async () => {
    const other = await startEnrollmentHub(ca, path.join(tmp(), 'other-hub'));
    try {
      const { token } = await other.tokens.create({ ttlMs: 3_600_000 });
      const err = await rejection(enrollWith(token));
      assert.equal(err.code, 'ENROLL_TOKEN_REJECTED');
    } finally {
      await other.close();
    }
  });

  it('refuses a malformed token before connecting, saying what is wrong', async () => {
    const cases: [string, RegExp][] = [
      ['not-a-token', /has no '\.'/],
      ['0123456789ABCDEF.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', /16 lower-case hex/],
      ['0123456789abcdef.short', /43 base64url characters, not 5/],
      ['0123456789abcdef.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA+', /outside base64url/],
    ];
    for (const [token, message] of cases) {
      // An unroutable hub: a format error must come before any connection is tried.
      const err = await rejection(enrollWith(token, 'cam-01', 'https://192.0.2.1:9'));
      assert.equal(err.code, 'ENROLL_TOKEN_FORMAT', token);
      assert.match(err.message, message);
    }
  });

  it('refuses a hub URL that is not https, and a device id that is not one', async () => {
    const { token } = await hub.tokens.create({ ttlMs: 3_600_000 });
    assert.equal((await rejection(enrollWith(token, 'cam-01', hub.url.replace('https', 'http')))).code, 'ENROLL_HUB_URL');
    assert.equal((await rejection(enrollWith(token, 'cam 01'))).code, 'ENROLL_DEVICE_ID');
    assert.equal(await hub.tokens.state(parseEnrollmentToken(token).tokenId), 'usable');
  });

  it('says the hub is unreachable when nothing listens there', async () => {
    const { token } = await hub.tokens.create({ ttlMs: 3_600_000 });
    const port = hub.server.port;
    await hub.close();
    hub = await startEnrollmentHub(ca, path.join(tmp(), 'hub2'));
    const err = await rejection(enrollWith(token, 'cam-01', `https://127.0.0.1:${port}`));
    assert.equal(err.code, 'ENROLL_UNREACHABLE');
    assert.match(err.message, /cannot reach the hub at https:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)/);
  });

  it('says the handshake failed when the URL is an ordinary TLS server (the uplink port, say)', async () => {
    const creds = await serverCredentials(ca, ['127.0.0.1']);
    const server = createServer({ key: creds.keyPem, cert: creds.certPem }, (_req, res) => res.end('{}'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { token } = await hub.tokens.create({ ttlMs: 3_600_000 });
      const err = await rejection(enrollWith(token, 'cam-01', `https://127.0.0.1:${(server.address() as AddressInfo).port}`));
      assert.equal(err.code, 'ENROLL_HANDSHAKE_FAILED');
      assert.match(err.message, /is this the hub's enrollment port/);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('an expired device re-enrolls with a new token: new key and certificate, same directory', async () => {
    await hub.close();
    hub = await startEnrollmentHub(ca, path.join(tmp(), 'hub'), { certLifetimeMs: 1500 });
    const first = await enrollWith((await hub.tokens.create({ ttlMs: 3_600_000 })).token);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, first.notAfter - Date.now()) + 50));
    assert.ok(loadIdentity(identityDir)!.notAfter <= Date.now(), 'expired now');

    await hub.close();
    hub = await startEnrollmentHub(ca, path.join(tmp(), 'hub'));
    const second = await enrollWith((await hub.tokens.create({ ttlMs: 3_600_000 })).token);
    assert.notEqual(second.serial, first.serial);
    assert.notEqual(second.keyPem, first.keyPem);
    assert.ok(second.notAfter > Date.now() + 86_400_000);
    assert.deepEqual(loadIdentity(identityDir), second);
  });

  it('makes a device id of the host name', () => {
    assert.equal(defaultDeviceId('pole-7.agency.local'), 'pole-7.agency.local');
    assert.equal(defaultDeviceId('--cam 7 (east)'), 'cam-7-east-');
    assert.equal(defaultDeviceId('x'.repeat(80)).length, 64);
    assert.equal(defaultDeviceId('***'), 'sightline');
  });
});
