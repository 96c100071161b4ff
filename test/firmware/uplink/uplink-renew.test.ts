import assert from 'node:assert/strict';
import { createPublicKey, X509Certificate } from 'node:crypto';
import { certificateFacts } from '../../../provisioning/certificates';
import { generateDeviceKeyAndCsr } from '../../../provisioning/device-key';
import { UplinkError, type UplinkIdentity } from '../../../firmware/uplink/uplink-client';
import { eventually } from '../../support/fake-hub';
import { DEVICE_ID, testPki, useUplinkRig } from './uplink-rig';

async function rejectsWithCode(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof UplinkError, String(err));
    assert.equal(err.code, code, err.message);
    return true;
  });
}

describe('uplink certificate renewal', function () {
  const rig = useUplinkRig();

  it('renew() sends the CSR over the open connection and resolves with the certificate; the next connection uses it', async () => {
    const pki = await testPki();
    let identity: UplinkIdentity = pki.identity;
    const r = await rig({ identity: () => identity });
    await eventually(() => r.client.stats().connected, 'connected');
    const { keyPem, csrPem } = await generateDeviceKeyAndCsr(DEVICE_ID);
    const certPem = await r.client.renew(csrPem);
    const facts = certificateFacts(certPem);
    assert.equal(facts.commonName, DEVICE_ID);
    assert.ok(new X509Certificate(certPem).checkIssued(new X509Certificate(pki.ca.certPem)));
    assert.equal(
      new X509Certificate(certPem).publicKey.export({ type: 'spki', format: 'pem' }),
      createPublicKey(keyPem).export({ type: 'spki', format: 'pem' }),
      'the certificate is for the new key',
    );
    assert.equal(r.hub.renewals, 1);
    assert.equal(r.client.stats().connected, true, 'no gap: the connection stayed up');

    identity = { ...identity, keyPem, certPem };
    r.hub.dropConnections();
    await eventually(() => r.hub.connections === 2 && r.client.stats().connected, 'reconnected');
    assert.deepEqual(r.hub.peerSerials, [certificateFacts(pki.device.certPem).serial, facts.serial], 'the new connection presented the renewed certificate');
  });

  it('rejects when the hub refuses, when it is not connected, and when the connection drops first', async () => {
    const r = await rig();
    await eventually(() => r.client.stats().connected, 'connected');
    const { csrPem } = await generateDeviceKeyAndCsr(DEVICE_ID);
    r.hub.renew = 'refuse';
    await rejectsWithCode(r.client.renew(csrPem), 'UPLINK_REFUSED');

    r.hub.renew = 'ignore';
    const pending = r.client.renew(csrPem);
    await eventually(() => r.hub.renewals === 2, 'the request at the hub');
    r.hub.dropConnections();
    await rejectsWithCode(pending, 'UPLINK_DISCONNECTED');

    await r.client.stop();
    await rejectsWithCode(r.client.renew(csrPem), 'UPLINK_NOT_CONNECTED');
  });
});
