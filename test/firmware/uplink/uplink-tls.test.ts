import assert from 'node:assert/strict';
import { once } from 'node:events';
import { eventually } from '../../support/fake-hub';
import { serverCredentials, testCa } from '../../support/test-pki';
import { silentLogger } from '../../../drivers/log';
import { UplinkClient } from '../../../firmware/uplink/uplink-client';
import type { CaMaterial } from '../../../ops/fleet/certificate-authority';
import { testPki, useUplinkRig, type Rig } from './uplink-rig';

/** Waits for `n` failed attempts; returns their reasons and delays. */
async function failedAttempts(r: Rig, n: number): Promise<{ reasons: string[]; delays: number[] }> {
  const reasons: string[] = [];
  const delays: number[] = [];
  r.client.on('retrying', (reason, delay) => {
    reasons.push(reason);
    delays.push(delay);
  });
  await eventually(() => reasons.length >= n, `${n} failed attempts`);
  return { reasons, delays };
}

describe('uplink TLS: the device checks the hub', function () {
  const rig = useUplinkRig();
  let otherCa: CaMaterial;

  before(async () => {
    otherCa = await testCa('Some Other CA');
  });

  it('refuses a hub whose certificate comes from a CA other than the pinned one, and keeps retrying with backoff', async () => {
    const impostor = await serverCredentials(otherCa, ['localhost', '127.0.0.1']);
    const r = await rig({ hub: { server: impostor }, random: () => 0.5, uplink: { backoff: { initialMs: 20, maxMs: 100 } } });
    const { reasons, delays } = await failedAttempts(r, 5);
    for (const reason of reasons) assert.match(reason, /UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED|unable to verify/i);
    assert.deepEqual(delays.slice(0, 5), [10, 20, 40, 50, 50], 'half of each ceiling (random 0.5), doubling to the cap');
    assert.equal(r.hub.connections, 0, 'no WebSocket was ever opened');
    const stats = r.client.stats();
    assert.equal(stats.connected, false);
    assert.ok(stats.connectFailures >= 5);
    assert.match(stats.lastError ?? '', /UNABLE_TO_VERIFY_LEAF_SIGNATURE|unable to verify/i);
    assert.ok(r.log.some((e) => e.level === 'warn' && e.msg === 'uplink connection failed'));
  });

  it('refuses a hub whose certificate (from the pinned CA) names another host', async () => {
    const pki = await testPki();
    const elsewhere = await serverCredentials(pki.ca, ['hub.elsewhere.example']);
    const r = await rig({ hub: { server: elsewhere } });
    const { reasons } = await failedAttempts(r, 3);
    for (const reason of reasons) assert.match(reason, /ERR_TLS_CERT_ALTNAME_INVALID/);
    assert.equal(r.hub.connections, 0);
    assert.equal(r.client.stats().connected, false);
  });

  it('accepts that certificate when told to expect its name (serverName), so the check is real', async () => {
    const pki = await testPki();
    const named = await serverCredentials(pki.ca, ['hub.elsewhere.example']);
    const r = await rig({ hub: { server: named }, start: false });
    const client = new UplinkClient({
      identity: () => pki.identity,
      store: r.store,
      commands: r.commands,
      options: { url: `wss://127.0.0.1:${r.hub.port}`, serverName: 'hub.elsewhere.example', backoff: { initialMs: 20, maxMs: 200 } },
      log: silentLogger,
    });
    try {
      const connected = once(client, 'connected');
      client.start();
      await connected;
      assert.equal(r.hub.connections, 1);
    } finally {
      await client.stop();
    }
  });

  it('stops cleanly while it is retrying', async () => {
    const impostor = await serverCredentials(otherCa, ['localhost']);
    const r = await rig({ hub: { server: impostor } });
    await failedAttempts(r, 2);
    await r.client.stop();
    const before = r.client.stats().connectFailures;
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(r.client.stats().connectFailures, before, 'no attempt after stop()');
  });
});
