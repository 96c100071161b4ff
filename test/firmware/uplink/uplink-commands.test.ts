import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { healthReportSchema, type Command } from '../../../firmware/uplink/protocol';
import { eventually, type DeviceReply } from '../../support/fake-hub';
import { DEVICE_ID, useUplinkRig, type Rig } from './uplink-rig';

function refusal(reply: DeviceReply): { code: string; message: string } {
  assert.equal(reply.ok, false, `expected a refusal, got ${JSON.stringify(reply).slice(0, 300)}`);
  return (reply as Extract<DeviceReply, { ok: false }>).error;
}

function result(reply: DeviceReply): unknown {
  assert.equal(reply.ok, true, `expected ok, got ${JSON.stringify(reply).slice(0, 300)}`);
  return (reply as Extract<DeviceReply, { ok: true }>).result;
}

describe('uplink commands from central', function () {
  const rig = useUplinkRig();
  let r: Rig;
  const send = (command: Command, id?: string) => r.hub.command(command, id);

  beforeEach(async () => {
    // Acks held: the reads stay pending, so the health report's queue is known.
    r = await rig({ hub: { acks: 'hold' } });
    await eventually(() => r.client.stats().connected, 'connected');
  });

  it('health: a report that validates against healthReportSchema, with real figures', async () => {
    await r.putReads(7);
    const report = healthReportSchema.parse(result(await send({ name: 'health' })));
    assert.equal(report.deviceId, DEVICE_ID);
    assert.ok(report.system.memory.totalBytes > 0 && report.system.memory.availableBytes <= report.system.memory.totalBytes);
    assert.ok(report.system.memory.processRssBytes > 0);
    assert.ok(report.system.disk.totalBytes > 0 && report.system.disk.freeBytes <= report.system.disk.totalBytes);
    assert.ok(report.system.uptimeS > 0);
    assert.equal(report.store.reads, 7);
    assert.equal(report.uplink.queueDepth, 7);
    assert.ok(report.uplink.certificateNotAfter !== null && report.uplink.certificateNotAfter > Date.now());
  });

  it('hold, release, delete and correct act on the store, recorded as done by central', async () => {
    const [a, b] = await r.putReads(2);
    assert.deepEqual(result(await send({ name: 'hold', readId: a.id, caseNumber: 'C-2024-17', reason: 'evidence', by: 'alice' })), { done: true });
    assert.equal((await r.store.get(a.id))?.held, true);
    assert.equal((await r.store.holds(a.id))[0].placedBy, 'central:alice');

    const held = refusal(await send({ name: 'delete', readId: a.id, reason: 'captured against the rules', by: 'bob' }));
    assert.equal(held.code, 'REFUSED');
    assert.match(held.message, /on hold/);
    assert.ok(await r.store.get(a.id), 'a held read is not deleted');
    assert.equal(refusal(await send({ name: 'hold', readId: a.id, caseNumber: 'C-2', reason: 'again', by: 'alice' })).code, 'REFUSED');

    assert.deepEqual(result(await send({ name: 'release', readId: a.id, by: 'alice' })), { done: true });
    assert.equal((await r.store.get(a.id))?.held, false);
    assert.equal(refusal(await send({ name: 'release', readId: a.id, by: 'alice' })).code, 'REFUSED', 'not on hold any more');

    assert.deepEqual(result(await send({ name: 'delete', readId: a.id, reason: 'captured against the rules', by: 'bob' })), { done: true });
    assert.equal(await r.store.get(a.id), null);

    assert.deepEqual(result(await send({ name: 'correct', readId: b.id, plate: 'XYZ123', reason: 'misread', by: 'carol' })), { done: true });
    const corrected = await r.store.get(b.id);
    assert.equal(corrected?.plate, 'XYZ123');
    assert.equal(corrected?.originalPlate, b.plate);
  });

  it('refuses an unknown read with NOT_FOUND, and fields the store will not take with INVALID', async () => {
    const [a] = await r.putReads(1);
    for (const command of [
      { name: 'hold', readId: 'no-such-read', caseNumber: 'C-1', reason: 'r', by: 'alice' },
      { name: 'release', readId: 'no-such-read', by: 'alice' },
      { name: 'delete', readId: 'no-such-read', reason: 'r', by: 'alice' },
      { name: 'correct', readId: 'no-such-read', plate: 'ABC123', reason: 'r', by: 'alice' },
    ] as Command[]) {
      const error = refusal(await send(command));
      assert.equal(error.code, 'NOT_FOUND', command.name);
      assert.match(error.message, /no-such-read/);
    }
    const control = refusal(await send({ name: 'hold', readId: a.id, caseNumber: 'C-1\n2', reason: 'r', by: 'alice' }));
    assert.equal(control.code, 'INVALID');
    assert.match(control.message, /caseNumber/);
    // Fields the protocol refuses: a lower-case plate, a missing reason.
    r.hub.sendRaw(JSON.stringify({ v: 1, type: 'command', id: 'bad-plate', command: { name: 'correct', readId: a.id, plate: 'abc', reason: 'r', by: 'x' } }));
    r.hub.sendRaw(JSON.stringify({ v: 1, type: 'command', id: 'no-reason', command: { name: 'delete', readId: a.id, by: 'x' } }));
    await eventually(() => r.hub.messages.filter((m) => m.type === 'reply').length >= 7, 'both refused');
    const replies = r.hub.messages.filter((m): m is DeviceReply => m.type === 'reply' && (m.id === 'bad-plate' || m.id === 'no-reason'));
    assert.deepEqual(replies.map((m) => [m.id, refusal(m).code]).sort(), [['bad-plate', 'INVALID'], ['no-reason', 'INVALID']]);
    assert.equal((await r.store.get(a.id))?.plate, a.plate, 'nothing changed');
  });

  it('hotlist: stores the pushed list as received, 0600, and refuses a name that is not a file name', async () => {
    const snapshot = JSON.stringify({ entries: [{ plate: 'ABC123' }] });
    assert.deepEqual(result(await send({ name: 'hotlist', list: 'CA-SVS', snapshot, signature: 'c2lnbmF0dXJl' })), { stored: true, entries: null, verified: false });
    const file = path.join(r.dataDir, 'hotlists', 'CA-SVS.json');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const kept = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    assert.deepEqual({ ...kept, receivedAt: 0 }, { list: 'CA-SVS', receivedAt: 0, signature: 'c2lnbmF0dXJl', snapshot });
    assert.equal(typeof kept.receivedAt, 'number');

    // A second push replaces the first.
    result(await send({ name: 'hotlist', list: 'CA-SVS', snapshot: 'v2', signature: null }));
    assert.equal((JSON.parse(readFileSync(file, 'utf8')) as { snapshot: string }).snapshot, 'v2');

    const escape = refusal(await send({ name: 'hotlist', list: '../../escape', snapshot: 'x', signature: null }));
    assert.equal(escape.code, 'INVALID');
    assert.equal(existsSync(path.join(r.dataDir, 'escape.json')), false);
    assert.equal(existsSync(path.join(r.dir, 'escape.json')), false);
  });

  it('answers a command id seen before from its cache, without running it again', async () => {
    const [a] = await r.putReads(1);
    const first = await send({ name: 'delete', readId: a.id, reason: 'captured against the rules', by: 'bob' }, 'cmd-dup');
    assert.deepEqual(result(first), { done: true });
    // Run again, the delete would find nothing (NOT_FOUND); answered from the cache it is the same reply.
    const again = await send({ name: 'delete', readId: a.id, reason: 'captured against the rules', by: 'bob' }, 'cmd-dup');
    assert.deepEqual(again, first);
    assert.equal(r.commands.stats().duplicates, 1);
    assert.equal(r.commands.stats().handled, 1);
  });
});
