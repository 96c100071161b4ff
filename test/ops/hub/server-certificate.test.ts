import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { silentLogger } from '../../../drivers/log';
import type { CaMaterial } from '../../../ops/fleet/certificate-authority';
import { ensureServerCertificate } from '../../../ops/hub/server-certificate';
import { useTempDir } from '../../support/temp-dir';
import { testCa } from '../../support/test-pki';

const DAY = 86_400_000;

describe('hub server certificate (hub.key, hub.crt)', function () {
  this.timeout(60_000);
  const tmp = useTempDir('sightline-hub-cert-');
  let ca: CaMaterial;
  let otherCa: CaMaterial;

  before(async () => {
    [ca, otherCa] = await Promise.all([testCa(), testCa('Another Fleet')]);
  });

  const ensure = (o: { ca?: CaMaterial; hostnames?: string[]; now?: number } = {}) =>
    ensureServerCertificate({ dir: tmp(), ca: o.ca ?? ca, hostnames: o.hostnames ?? ['localhost', '127.0.0.1'], log: silentLogger, now: o.now });

  it('issues one from the fleet CA for the hostnames, key 0600, and keeps it on the next start', async () => {
    const first = await ensure();
    const cert = new X509Certificate(first.certPem);
    assert.ok(cert.verify(new X509Certificate(ca.certPem).publicKey));
    assert.equal(cert.subjectAltName, 'DNS:localhost, IP Address:127.0.0.1');
    assert.equal(statSync(path.join(tmp(), 'hub.key')).mode & 0o777, 0o600);
    assert.equal(readFileSync(path.join(tmp(), 'hub.crt'), 'utf8'), first.certPem);
    assert.equal((await ensure()).certPem, first.certPem);
  });

  it('reissues (same key) for other hostnames, within 30 days of expiry, or for another fleet CA', async () => {
    const first = await ensure();
    const renamed = await ensure({ hostnames: ['hub.example.org'] });
    assert.notEqual(renamed.certPem, first.certPem);
    assert.equal(renamed.keyPem, first.keyPem);
    assert.equal(new X509Certificate(renamed.certPem).subjectAltName, 'DNS:hub.example.org');
    const later = await ensure({ hostnames: ['hub.example.org'], now: renamed.notAfter - 29 * DAY });
    assert.notEqual(later.certPem, renamed.certPem);
    const moved = await ensure({ ca: otherCa, hostnames: ['hub.example.org'] });
    assert.ok(new X509Certificate(moved.certPem).verify(new X509Certificate(otherCa.certPem).publicKey));
  });
});
