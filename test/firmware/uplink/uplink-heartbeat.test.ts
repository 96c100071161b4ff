import assert from 'node:assert/strict';
import { once } from 'node:events';
import { Heartbeat } from '../../../firmware/uplink/heartbeat';
import { eventually } from '../../support/fake-hub';
import { useUplinkRig } from './uplink-rig';

describe('uplink heartbeat', function () {
  const rig = useUplinkRig();

  it('detects a hub that stops answering (its packets vanish), drops the connection and reconnects', async () => {
    const r = await rig({ uplink: { heartbeatMs: 200 } });
    await eventually(() => r.client.stats().connected, 'connected');
    const disconnected = once(r.client, 'disconnected') as Promise<[string]>;
    r.hub.silence();
    const [reason] = await disconnected;
    assert.match(reason, /heartbeat/);
    await eventually(() => r.client.stats().connected && r.hub.connections === 2, 'reconnected');

    const reads = await r.putReads(5);
    r.client.notify();
    await eventually(async () => (await r.pendingIds()).length === 0, 'reads uploaded over the new connection');
    assert.deepEqual(r.hub.receivedIds(), reads.map((x) => x.id));
    assert.equal(r.client.stats().reconnects, 1);
  });

  it('keeps a connection to a hub that answers', async () => {
    const r = await rig({ uplink: { heartbeatMs: 50 } });
    await eventually(() => r.client.stats().connected, 'connected');
    await new Promise((resolve) => setTimeout(resolve, 400));
    assert.equal(r.hub.connections, 1, 'several heartbeats passed without a reconnect');
    assert.equal(r.client.stats().connected, true);
  });

  it('declares the peer dead at the first tick that finds nothing heard since the previous ping', async () => {
    let pings = 0;
    let dead = 0;
    const beat = new Heartbeat(20, () => pings++, () => dead++);
    beat.start();
    try {
      await eventually(() => pings >= 1, 'a ping');
      beat.heardFrom();
      await eventually(() => dead === 1, 'the silence noticed');
      assert.equal(pings, 2, 'one ping answered, one not');
      await new Promise((resolve) => setTimeout(resolve, 60));
      assert.equal(dead, 1, 'declared once, then stopped');
    } finally {
      beat.stop();
    }
  });
});
