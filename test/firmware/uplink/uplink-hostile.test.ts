import assert from 'node:assert/strict';
import { MAX_MESSAGE_BYTES, type DeviceMessage } from '../../../firmware/uplink/protocol';
import { eventually } from '../../support/fake-hub';
import { useUplinkRig } from './uplink-rig';

/** A WebSocket text frame header (server to client: unmasked) announcing `length` bytes, with no payload after it. */
function frameHeader(length: number): Buffer {
  const header = Buffer.alloc(10);
  header[0] = 0x81; // FIN, text
  header[1] = 127; // 64-bit length follows
  header.writeBigUInt64BE(BigInt(length), 2);
  return header;
}

describe('uplink: hostile frames from the hub', function () {
  const rig = useUplinkRig();

  it('answers malformed, unknown, invalid and binary messages with an error and stays connected', async () => {
    const r = await rig();
    await eventually(() => r.client.stats().connected, 'connected');
    const cases: [data: string | Buffer, binary: boolean, code: string, ref: string | null][] = [
      ['{"v":1,"type":"ack",', false, 'MALFORMED', null],
      ['[1,2,3]', false, 'MALFORMED', null],
      ['{"v":1,"type":"self-destruct","id":"x-1"}', false, 'UNKNOWN_TYPE', 'x-1'],
      ['{"v":2,"type":"ack","batch":"b-2","ids":[]}', false, 'UNSUPPORTED_VERSION', 'b-2'],
      ['{"v":1,"type":"ack","batch":"b-3","ids":"all of them"}', false, 'INVALID', 'b-3'],
      ['{"v":1,"type":"welcome","deviceId":"x","time":-5,"certificateNotAfter":0}', false, 'INVALID', null],
      [Buffer.from([0xde, 0xad, 0xbe, 0xef]), true, 'BINARY_REFUSED', null],
    ];
    for (const [data, binary] of cases) r.hub.sendRaw(data, binary);
    await eventually(() => r.hub.deviceErrors.length === cases.length, 'an error for each');
    assert.deepEqual(
      r.hub.deviceErrors.map((e) => [e.error.code, e.ref]),
      cases.map(([, , code, ref]) => [code, ref]),
    );
    // An error from the hub, even a broken one, is never answered (refusals must not ping-pong).
    r.hub.sendRaw('{"v":1,"type":"error","ref":null,"error":{"code":"NOPE"}}');
    r.hub.send({ type: 'error', ref: null, error: { code: 'INVALID', message: 'the hub dislikes something' } });

    // An invalid command is answered with a refused reply, so central's command gets its answer.
    r.hub.sendRaw(JSON.stringify({ v: 1, type: 'command', id: 'cmd-bad', command: { name: 'hold', readId: 'r-1' } }));
    await eventually(() => r.hub.messages.some((m) => m.type === 'reply'), 'the refused reply');
    const reply = r.hub.messages.find((m): m is Extract<DeviceMessage, { type: 'reply' }> => m.type === 'reply');
    assert.ok(reply !== undefined && !reply.ok);
    assert.equal(reply.id, 'cmd-bad');
    assert.equal(reply.error.code, 'INVALID');
    assert.match(reply.error.message, /caseNumber|reason|by/);

    const reads = await r.putReads(3);
    r.client.notify();
    await eventually(async () => (await r.pendingIds()).length === 0, 'uploads still work');
    assert.deepEqual(r.hub.receivedIds(), reads.map((x) => x.id));
    assert.equal(r.hub.deviceErrors.length, cases.length, 'no error answered an error');
    assert.equal(r.hub.connections, 1, 'the connection stayed up throughout');
    assert.equal(r.client.stats().refusedMessages, cases.length + 2);
    assert.ok(r.log.filter((e) => e.msg === 'refused a message from the hub').length >= cases.length);
  });

  it('closes the connection on a frame larger than maxPayload (before reading it), then reconnects', async () => {
    const r = await rig();
    await eventually(() => r.client.stats().connected, 'connected');
    r.hub.sendRawBytes(frameHeader(MAX_MESSAGE_BYTES + 1));
    await eventually(() => r.hub.closeCodes.length === 1, 'the connection closed');
    assert.equal(r.hub.closeCodes[0], 1009, 'closed as "message too big"');
    assert.match(r.client.stats().lastError ?? '', /max payload|WS_ERR_UNSUPPORTED_MESSAGE_LENGTH/i);
    await eventually(() => r.client.stats().connected && r.hub.connections === 2, 'reconnected');

    await r.putReads(3);
    r.client.notify();
    await eventually(async () => (await r.pendingIds()).length === 0, 'uploads work after the reconnect');
  });

  it('survives a hub that closes the connection in the middle of a frame', async () => {
    const r = await rig();
    await eventually(() => r.client.stats().connected, 'connected');
    r.hub.sendRawBytes(Buffer.concat([frameHeader(1000), Buffer.from('{"v":1,"type":')]));
    await new Promise((resolve) => setTimeout(resolve, 20));
    r.hub.dropConnections();
    await eventually(() => r.client.stats().connected && r.hub.connections === 2, 'reconnected');
  });

  it('drops a connection on which the hub never sends its welcome, and tries again', async () => {
    const r = await rig({ hub: { welcome: false }, uplink: { connectTimeoutMs: 100 } });
    const reasons: string[] = [];
    r.client.on('retrying', (reason) => reasons.push(reason));
    await eventually(() => reasons.length >= 2, 'two attempts given up');
    for (const reason of reasons) assert.match(reason, /no welcome/);
    assert.ok(r.hub.connections >= 2);
    assert.equal(r.client.stats().connected, false);
  });
});
