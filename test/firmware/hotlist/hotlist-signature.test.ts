import assert from 'node:assert/strict';
import type { CaMaterial } from '../../../ops/fleet/certificate-authority';
import { signSnapshot, verifySnapshot } from '../../../firmware/hotlist/hotlist-signature';
import { testCa } from '../../support/test-pki';
import { listEntry } from './list-fixtures';

describe('hotlist snapshot signatures', function () {
  let ca: CaMaterial;
  let other: CaMaterial;
  const snapshot = JSON.stringify({ list: 'CA-SVS', version: 1, entries: [listEntry(1)] });

  before(async () => {
    [ca, other] = await Promise.all([testCa(), testCa('Another CA')]);
  });

  it('verifies a snapshot signed with the CA key against the CA certificate', () => {
    assert.equal(verifySnapshot(snapshot, signSnapshot(snapshot, ca.keyPem), ca.certPem), true);
  });

  it('refuses a tampered snapshot, another key, and malformed signatures', () => {
    const signature = signSnapshot(snapshot, ca.keyPem);
    assert.equal(verifySnapshot(snapshot.replace('7ABC001', '7ABC002'), signature, ca.certPem), false, 'tampered');
    assert.equal(verifySnapshot(`${snapshot} `, signature, ca.certPem), false, 'one byte more');
    assert.equal(verifySnapshot(snapshot, signSnapshot(snapshot, other.keyPem), ca.certPem), false, 'signed by another CA');
    assert.equal(verifySnapshot(snapshot, signature, other.certPem), false, 'checked against another CA');
    for (const bad of ['', 'not base64!', `${signature}\n`, signature.slice(0, -4), Buffer.from('x').toString('base64')]) {
      assert.equal(verifySnapshot(snapshot, bad, ca.certPem), false, JSON.stringify(bad.slice(0, 20)));
    }
  });

  it('throws when the pinned CA certificate itself does not parse', () => {
    assert.throws(() => verifySnapshot(snapshot, signSnapshot(snapshot, ca.keyPem), 'not a certificate'));
  });
});
