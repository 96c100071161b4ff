import assert from 'node:assert/strict';
import { eventually } from '../../support/fake-hub';
import { freshRead, useUplinkRig } from './uplink-rig';
import { alertFor, sceneShots } from './alert-fixture';

describe('uplink uploads', function () {
  const rig = useUplinkRig();

  it('sends stored reads and marks them uploaded only once the hub acknowledged them', async () => {
    const r = await rig({ hub: { acks: 'hold' } });
    const reads = await r.putReads(15);
    r.client.notify();
    await eventually(() => r.hub.held.length === 2, 'both window batches at the hub');
    assert.deepEqual(r.hub.receivedIds('backlog'), reads.slice(0, 15).map((x) => x.id).slice(0, 15), 'oldest first, all 15 in two batches');
    assert.equal((await r.pendingIds()).length, 15, 'nothing is marked before an ack');

    const acked: string[] = [];
    r.client.on('acked', (ids, lane) => {
      assert.equal(lane, 'backlog');
      acked.push(...ids);
    });
    r.hub.releaseAcks(1);
    await eventually(() => acked.length === 10, 'the first batch marked');
    assert.deepEqual(await r.pendingIds(), reads.slice(10).map((x) => x.id), 'only the acknowledged batch is marked');
    r.hub.releaseAcks();
    await eventually(async () => (await r.pendingIds()).length === 0, 'every read marked uploaded');
    assert.equal((await r.store.get(reads[0].id))?.uploaded, true);
    const stats = r.client.stats();
    assert.equal(stats.acked, 15);
    assert.equal(stats.inFlightBatches, 0);
    assert.ok(stats.lastUploadAt !== null);
    assert.equal(await r.store.pendingUploads(), 0);
  });

  it('sends unacknowledged reads again after a reconnect, and marks each once it is acknowledged', async () => {
    const r = await rig({ hub: { acks: 'drop' } });
    const reads = await r.putReads(30);
    await eventually(() => r.hub.batches.length === 2, 'the first window sent');
    assert.equal((await r.pendingIds()).length, 30);

    r.hub.acks = 'auto';
    r.hub.dropConnections();
    await eventually(async () => (await r.pendingIds()).length === 0, 'every read uploaded after the reconnect');
    assert.equal(r.hub.connections, 2);
    const first = r.hub.batches.filter((b) => b.connection === 1).flatMap((b) => b.ids);
    assert.equal(first.length, 20);
    for (const id of first) assert.equal(r.hub.receivedCount.get(id), 2, `read ${id} was sent again on the new connection`);
    assert.deepEqual([...r.hub.stored].sort(), reads.map((x) => x.id).sort(), 'the hub has every read');
    assert.equal(r.client.stats().acked, 30, 'each read marked once');
    assert.equal(r.client.stats().reconnects, 1);
  });

  it('sends an alert stored while a backlog is in flight in lane alert, ahead of the rest of the backlog', async () => {
    const r = await rig({ hub: { acks: 'hold' } });
    await r.putReads(100);
    await eventually(() => r.hub.batches.length === 2, 'the backlog window full');
    const hit = await r.putHit(500);
    r.client.notify();
    await eventually(() => r.hub.batches.length === 3, 'the alert sent');
    assert.deepEqual(r.hub.batches[2], { connection: 1, batch: r.hub.batches[2].batch, lane: 'alert', ids: [hit.id] }, 'sent at once though the backlog window is full');

    r.hub.acks = 'auto';
    r.hub.releaseAcks();
    await eventually(async () => (await r.pendingIds()).length === 0, 'everything uploaded');
    assert.equal(r.hub.receivedIds('backlog').length, 100);
    assert.deepEqual(r.hub.receivedIds('alert'), [hit.id], 'the alert went once, in its own lane');
  });

  it('retries an alert, frame and all, across reconnects until the hub acknowledges it, and marks it only then', async () => {
    const r = await rig({ hub: { acks: 'drop' } });
    const alert = alertFor((await sceneShots())[0]);
    await r.store.putAlert(alert);
    r.client.notify();
    await eventually(() => r.hub.batches.length === 1, 'the alert sent');
    r.hub.dropConnections();
    await eventually(() => r.hub.batches.length === 2, 'sent again on the next connection');
    assert.equal((await r.store.get(alert.read.id))?.uploaded, false, 'not marked while unacknowledged');
    r.hub.acks = 'auto';
    r.hub.dropConnections();
    await eventually(async () => (await r.store.get(alert.read.id))?.uploaded === true, 'marked once acknowledged');
    assert.ok(r.hub.batches.every((b) => b.lane === 'alert' && b.ids.length === 1 && b.ids[0] === alert.read.id));
    assert.deepEqual(r.hub.batches.map((b) => b.connection), [1, 2, 3]);
    assert.equal(r.client.stats().acked, 1);
  });

  it('sends an alert again on the same connection when its ack does not come in time', async () => {
    const r = await rig({ hub: { acks: 'drop' }, uplink: { alertAckTimeoutMs: 300 } });
    const alert = alertFor((await sceneShots())[1]);
    await r.store.putAlert(alert);
    r.client.notify();
    await eventually(() => r.hub.batches.length === 2, 'sent, then sent again after 300 ms without an ack');
    r.hub.acks = 'auto';
    await eventually(async () => (await r.store.get(alert.read.id))?.uploaded === true, 'marked once a send was acknowledged');
    assert.ok(r.hub.batches.every((b) => b.connection === 1 && b.lane === 'alert' && b.ids[0] === alert.read.id), 'no reconnect was needed');
    assert.ok(r.client.stats().alertResends >= 2);
    assert.equal(r.hub.connections, 1);
  });

  it('never has more than windowBatches backlog batches unacknowledged', async () => {
    const r = await rig({ hub: { acks: 'hold' }, uplink: { windowBatches: 3, batchReads: 5 } });
    await r.putReads(60);
    await eventually(() => r.hub.held.length === 3, 'a full window');
    // A full window stays full: nothing more goes out until an ack.
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(r.hub.batches.length, 3);
    while ((await r.pendingIds()).length > 0) {
      r.hub.releaseAcks(1);
      await eventually(async () => r.hub.held.length > 0 || (await r.pendingIds()).length === 0, 'the next batch or the end');
    }
    assert.equal(r.hub.maxOutstanding.backlog, 3);
    assert.equal(r.hub.receivedIds().length, 60, 'each read sent once');
  });

  it('refuses a replayed or unknown ack with UNEXPECTED_ACK and changes nothing', async () => {
    const r = await rig({ hub: { acks: 'hold' } });
    const reads = await r.putReads(12);
    await eventually(() => r.hub.held.length === 2, 'two batches held');
    const [first, second] = r.hub.held;

    r.hub.send({ type: 'ack', batch: 'forged-batch', ids: second.ids });
    await eventually(() => r.hub.deviceErrors.length === 1, 'the forged ack refused');
    assert.equal(r.hub.deviceErrors[0].ref, 'forged-batch');
    assert.equal(r.hub.deviceErrors[0].error.code, 'UNEXPECTED_ACK');
    assert.equal((await r.pendingIds()).length, 12, 'the forged ack marked nothing');

    r.hub.releaseAcks(1);
    await eventually(async () => (await r.pendingIds()).length === 2, 'the first batch marked');
    r.hub.send({ type: 'ack', batch: first.batch, ids: first.ids });
    await eventually(() => r.hub.deviceErrors.length === 2, 'the replayed ack refused');
    assert.equal(r.hub.deviceErrors[1].error.code, 'UNEXPECTED_ACK');
    assert.equal(r.hub.deviceErrors[1].ref, first.batch);
    assert.deepEqual(await r.pendingIds(), reads.slice(10).map((x) => x.id), 'the replay changed nothing');
    const stats = r.client.stats();
    assert.equal(stats.unexpectedAcks, 2);
    assert.equal(stats.acked, 10);
    assert.equal(stats.connected, true, 'the connection stays up');
    assert.equal(r.hub.connections, 1);
  });

  it('stops sending backlog while the socket holds more than maxBufferedBytes, and resumes as it drains', async () => {
    const r = await rig({ uplink: { batchReads: 3, windowBatches: 20, maxBufferedBytes: 512 * 1024, heartbeatMs: 10_000 } });
    await eventually(() => r.client.stats().connected, 'connected');
    r.hub.pauseReading();
    // 60 reads of 200 KB: 20 batches of about 800 KB, all of which the window would allow.
    const reads = Array.from({ length: 60 }, (_, i) => freshRead(i, 200 * 1024));
    await r.store.putMany(reads, 'read');
    r.client.notify();
    await eventually(() => r.client.stats().batchesSent > 0, 'sending started');
    await new Promise((resolve) => setTimeout(resolve, 500));
    const sent = r.client.stats().batchesSent;
    assert.ok(sent < 20, `the socket's buffer stopped the backlog before the window did (${sent} batches sent)`);

    r.hub.resumeReading();
    await eventually(async () => (await r.pendingIds()).length === 0, 'everything uploaded once the hub reads again');
    assert.equal(r.hub.receivedIds().length, 60);
  });

  it('keeps a read the protocol cannot carry on the device, counted, and sends the others', async () => {
    const r = await rig();
    const odd = { ...freshRead(900), plate: 'ABCDEFGHJKLMNP' }; // 14 characters: the store takes it, the protocol does not
    await r.store.putMany([odd], 'read');
    const reads = await r.putReads(4);
    r.client.notify();
    await eventually(async () => (await r.pendingIds()).length === 1, 'the others uploaded');
    assert.deepEqual(await r.pendingIds(), [odd.id]);
    assert.deepEqual(r.hub.receivedIds(), reads.map((x) => x.id));
    assert.equal(r.client.stats().unsendableReads, 1);
    assert.ok(r.log.some((e) => e.level === 'error' && e.fields.id === odd.id));
  });

  it('rests the reads of a batch the hub refused, then offers them again', async () => {
    const r = await rig({ hub: { acks: 'hold' }, uplink: { refusedRetryMs: 200 } });
    const reads = await r.putReads(3);
    await eventually(() => r.hub.held.length === 1, 'the batch at the hub');
    const refused = r.hub.held.shift();
    r.hub.acks = 'auto';
    r.hub.send({ type: 'error', ref: refused?.batch ?? null, error: { code: 'FAILED', message: 'hub disk full' } });
    await eventually(async () => (await r.pendingIds()).length === 0, 'uploaded on the second offer');
    assert.deepEqual(r.hub.receivedIds(), [...reads, ...reads].map((x) => x.id));
    assert.equal(r.client.stats().refusedBatches, 1);
  });
});
