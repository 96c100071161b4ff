import assert from 'node:assert/strict';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { once } from 'node:events';
import * as path from 'node:path';
import { issueDeviceCertificate, type CaMaterial } from '../../ops/fleet/certificate-authority';
import { certificateFacts } from '../../provisioning/certificates';
import { loadIdentity, saveIdentity, type DeviceIdentity } from '../../provisioning/identity-files';
import { CertificateRenewal, RENEW_JITTER_FRACTION, renewalDelayMs } from '../../provisioning/renewal';
import { silentLogger } from '../../drivers/log';
import { deviceCredentials, testCa } from '../support/test-pki';
import { useTempDir } from '../support/temp-dir';

const DAY = 86_400_000;

/** When renewal is due for this certificate without jitter. */
function twoThirds(identity: DeviceIdentity): number {
  return identity.notBefore + (identity.notAfter - identity.notBefore) * (2 / 3);
}

describe('renewalDelayMs', () => {
  const notBefore = Date.UTC(2030, 0, 1);
  const lifetime = 90 * DAY;
  const notAfter = notBefore + lifetime;

  it('is due at 2/3 of the lifetime with the middle of the jitter', () => {
    assert.equal(renewalDelayMs(notBefore, notAfter, notBefore, () => 0.5), 60 * DAY);
    assert.equal(renewalDelayMs(notBefore, notAfter, notBefore + 10 * DAY, () => 0.5), 50 * DAY);
  });

  it('jitters by at most 5% of the lifetime either side, as the random value says', () => {
    assert.equal(renewalDelayMs(notBefore, notAfter, notBefore, () => 0), Math.round(lifetime * (2 / 3 - RENEW_JITTER_FRACTION)));
    assert.equal(renewalDelayMs(notBefore, notAfter, notBefore, () => 0.999999), Math.round(lifetime * (2 / 3 + RENEW_JITTER_FRACTION * 0.999998)));
    for (let i = 0; i < 200; i++) {
      const delay = renewalDelayMs(notBefore, notAfter, notBefore, Math.random);
      assert.ok(delay >= lifetime * (2 / 3 - 0.05) - 1 && delay <= lifetime * (2 / 3 + 0.05) + 1, `${delay / DAY} days`);
    }
  });

  it('is 0 once the renewal time has passed, or for a certificate without a lifetime', () => {
    assert.equal(renewalDelayMs(notBefore, notAfter, notBefore + 70 * DAY, () => 0.5), 0);
    assert.equal(renewalDelayMs(notBefore, notAfter, notAfter + DAY, () => 0.5), 0);
    assert.equal(renewalDelayMs(notAfter, notBefore, notBefore, () => 0.5), 0);
  });
});

describe('CertificateRenewal (real CA, real files, short-lived certificates)', function () {
  this.timeout(30_000);
  const tmp = useTempDir();
  let ca: CaMaterial;
  let dir = '';
  let renewal: CertificateRenewal | null = null;

  before(async () => {
    ca = await testCa();
  });
  beforeEach(() => {
    dir = path.join(tmp(), 'identity');
  });
  afterEach(() => renewal?.stop());

  /** An identity whose certificate lives `lifetimeMs` from now. */
  async function enrolled(lifetimeMs: number, deviceId = 'cam-1'): Promise<DeviceIdentity> {
    const now = Date.now();
    const creds = await deviceCredentials(ca, deviceId, { notBefore: now, notAfter: now + lifetimeMs });
    return saveIdentity(dir, { deviceId, keyPem: creds.keyPem, certPem: creds.certPem, caPem: ca.certPem, uplinkUrl: 'wss://localhost:8443' });
  }

  /** The hub's side of `renew`: signs the CSR for this device with a lifetime, records what it was asked. */
  function hubRenew(lifetimeMs: number, record: { csrs: string[]; at: number[] }) {
    return async (csrPem: string): Promise<string> => {
      record.csrs.push(csrPem);
      record.at.push(Date.now());
      const now = Date.now();
      return issueDeviceCertificate(ca, csrPem, { notBefore: now, notAfter: now + lifetimeMs, expectedDeviceId: 'cam-1' });
    };
  }

  it('renews a 3-second certificate at about 2 s: new key pair, file replaced atomically, "renewed" emitted', async () => {
    const first = await enrolled(3000);
    const calls = { csrs: [] as string[], at: [] as number[] };
    renewal = new CertificateRenewal({ identityDir: dir, renew: hubRenew(60_000, calls), log: silentLogger, random: () => 0.5 });
    renewal.start();
    // The schedule: 2/3 of the lifetime from notBefore (no jitter with random 0.5). The lifetime
    // is about 3 s: X.509 times are whole seconds.
    assert.ok(Math.abs(renewal.nextAttemptAt()! - twoThirds(first)) <= 1);

    const [renewed] = (await once(renewal, 'renewed')) as [DeviceIdentity];
    assert.equal(calls.csrs.length, 1);
    // Before the old certificate expired: no gap in service.
    assert.ok(calls.at[0] < first.notAfter, 'renewed while the old certificate was still valid');
    assert.notEqual(renewed.serial, first.serial);
    assert.notEqual(renewed.keyPem, first.keyPem, 'a new key pair');
    assert.ok(new X509Certificate(renewed.certPem).checkPrivateKey(createPrivateKey(renewed.keyPem)));
    assert.equal(certificateFacts(renewed.certPem).commonName, 'cam-1');
    assert.deepEqual(loadIdentity(dir), renewed);
    assert.deepEqual(readdirSync(dir).sort(), ['central-ca.pem', 'device.pem', 'enrollment.json'], 'no temporary files left');
    assert.equal(statSync(path.join(dir, 'device.pem')).mode & 0o777, 0o600);
    // The next renewal is planned from the new certificate.
    assert.ok(Math.abs(renewal.nextAttemptAt()! - twoThirds(renewed)) <= 1);
  });

  it('keeps renewing a chain of short certificates, and a reader never sees a partial identity', async () => {
    await enrolled(3000);
    const calls = { csrs: [] as string[], at: [] as number[] };
    renewal = new CertificateRenewal({ identityDir: dir, renew: hubRenew(3000, calls), log: silentLogger, random: () => 0.5 });
    const serials = new Set<string>();
    let reads = 0;
    renewal.on('renewed', (identity: DeviceIdentity) => serials.add(identity.serial));
    renewal.start();
    // Read the identity continuously while it is being replaced: every read is whole and consistent.
    const broken: unknown[] = [];
    const reader = setInterval(() => {
      try {
        if (loadIdentity(dir) === null) broken.push('not enrolled');
        reads += 1;
      } catch (err) {
        broken.push(err);
      }
    }, 5);
    try {
      while (serials.size < 2) await once(renewal, 'renewed');
    } finally {
      clearInterval(reader);
    }
    assert.ok(reads > 0);
    assert.deepEqual(broken, []);
    assert.equal(calls.csrs.length, 2);
  });

  it('retries a failing renewal, then succeeds', async () => {
    let attempts = 0;
    const calls = { csrs: [] as string[], at: [] as number[] };
    const good = hubRenew(60_000, calls);
    renewal = new CertificateRenewal({
      identityDir: dir,
      renew: async (csr) => {
        attempts += 1;
        if (attempts <= 2) throw new Error('uplink not connected');
        return good(csr);
      },
      log: silentLogger,
      random: () => 0.5,
      retryMs: 50,
    });
    const failures: Error[] = [];
    renewal.on('failed', (err: Error) => failures.push(err));
    // Already past 2/3 of its lifetime: a certificate issued 50 s ago for 60 s.
    const now = Date.now();
    const creds = await deviceCredentials(ca, 'cam-1', { notBefore: now - 50_000, notAfter: now + 10_000 });
    saveIdentity(dir, { deviceId: 'cam-1', keyPem: creds.keyPem, certPem: creds.certPem, caPem: ca.certPem, uplinkUrl: 'wss://localhost:8443' });
    renewal.start();
    const [renewed] = (await once(renewal, 'renewed')) as [DeviceIdentity];
    assert.equal(attempts, 3);
    assert.deepEqual(failures.map((e) => e.message), ['uplink not connected', 'uplink not connected']);
    assert.ok(renewed.notAfter > now + 50_000);
  });

  it('refuses what the hub sends back if it is not for this device, and retries', async () => {
    const now = Date.now();
    const creds = await deviceCredentials(ca, 'cam-1', { notBefore: now - 50_000, notAfter: now + 10_000 });
    const before = saveIdentity(dir, { deviceId: 'cam-1', keyPem: creds.keyPem, certPem: creds.certPem, caPem: ca.certPem, uplinkUrl: 'wss://localhost:8443' });
    const wrong = await deviceCredentials(ca, 'cam-2');
    renewal = new CertificateRenewal({ identityDir: dir, renew: async () => wrong.certPem, log: silentLogger, random: () => 0.5, retryMs: 60_000 });
    renewal.start();
    const [err] = (await once(renewal, 'failed')) as [Error];
    assert.match(err.message, /renewed certificate names device "cam-2"|private key does not match the renewed certificate/);
    assert.deepEqual(loadIdentity(dir), before, 'the current identity is kept');
    assert.ok(renewal.nextAttemptAt() !== null, 'a retry is scheduled');
  });

  it('an expired certificate is not renewed: "expired" says to re-enroll', async () => {
    const now = Date.now();
    const creds = await deviceCredentials(ca, 'cam-1', { notBefore: now - 7_200_000, notAfter: now - 3_600_000 });
    saveIdentity(dir, { deviceId: 'cam-1', keyPem: creds.keyPem, certPem: creds.certPem, caPem: ca.certPem, uplinkUrl: 'wss://localhost:8443' });
    let renewCalls = 0;
    renewal = new CertificateRenewal({
      identityDir: dir,
      renew: async () => {
        renewCalls += 1;
        return '';
      },
      log: silentLogger,
    });
    const expired = once(renewal, 'expired');
    renewal.start();
    const [identity] = (await expired) as [DeviceIdentity];
    assert.equal(identity.deviceId, 'cam-1');
    assert.equal(renewCalls, 0);
    assert.equal(renewal.nextAttemptAt(), null);
  });

  it('stop() cancels the schedule, and a renewal answered after stop() writes nothing', async () => {
    const now = Date.now();
    const creds = await deviceCredentials(ca, 'cam-1', { notBefore: now - 50_000, notAfter: now + 10_000 });
    const before = saveIdentity(dir, { deviceId: 'cam-1', keyPem: creds.keyPem, certPem: creds.certPem, caPem: ca.certPem, uplinkUrl: 'wss://localhost:8443' });
    let release: () => void = () => undefined;
    const asked = new Promise<void>((resolve) => {
      renewal = new CertificateRenewal({
        identityDir: dir,
        renew: (csr) =>
          new Promise((done) => {
            resolve();
            release = () => done(issueDeviceCertificate(ca, csr, { notAfter: Date.now() + DAY }));
          }),
        log: silentLogger,
      });
    });
    renewal!.start();
    await asked;
    renewal!.stop();
    release();
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.deepEqual(loadIdentity(dir), before);
    assert.equal(renewal!.nextAttemptAt(), null);
  });
});
