import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { silentLogger } from '../../../drivers/log';
import { signSnapshot } from '../../../firmware/hotlist/hotlist-signature';
import { HotlistStore, type HotlistChange } from '../../../firmware/hotlist/hotlist-store';
import { CommandHandler, type CommandReply } from '../../../firmware/uplink/command-handler';
import { healthReportSchema, type Command } from '../../../firmware/uplink/protocol';
import { eventually, type DeviceReply } from '../../support/fake-hub';
import { testCa } from '../../support/test-pki';
import { listEntry } from '../hotlist/list-fixtures';
import { DEVICE_ID, testPki, useUplinkRig, type Rig } from './uplink-rig';

/** A reply as the hub received it, or as the handler returned it. */
type AnyReply = DeviceReply | CommandReply;

function refusal(reply: AnyReply): { code: string; message: string } {
  assert.equal(reply.ok, false, `expected a refusal, got ${JSON.stringify(reply).slice(0, 300)}`);
  return (reply as Extract<AnyReply, { ok: false }>).error;
}

function result(reply: AnyReply): unknown {
  assert.equal(reply.ok, true, `expected ok, got ${JSON.stringify(reply).slice(0, 300)}`);
  return (reply as Extract<AnyReply, { ok: true }>).result;
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

  it('hotlist: verifies a signed snapshot against the pinned CA and replaces the list atomically (0600)', async () => {
    const { ca } = await testPki();
    const snapshot = JSON.stringify({ list: 'CA-SVS', version: 1, entries: [listEntry(1), listEntry(2)] });
    const changes: HotlistChange[] = [];
    r.hotlists.on('changed', (c: HotlistChange) => changes.push(c));
    assert.deepEqual(result(await send({ name: 'hotlist', list: 'CA-SVS', snapshot, signature: signSnapshot(snapshot, ca.keyPem) })), { stored: true, entries: 2, verified: true });
    assert.deepEqual(r.hotlists.entries('CA-SVS'), [listEntry(1), listEntry(2)]);
    assert.deepEqual(changes, [{ list: 'CA-SVS', entries: 2, removed: false }]);
    const file = path.join(r.dataDir, 'hotlists', 'CA-SVS.json');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(r.hotlists.summary('CA-SVS')?.source, 'central');

    // A newer snapshot replaces it.
    const v2 = JSON.stringify({ list: 'CA-SVS', version: 2, entries: [listEntry(3)] });
    assert.deepEqual(result(await send({ name: 'hotlist', list: 'CA-SVS', snapshot: v2, signature: signSnapshot(v2, ca.keyPem) })), { stored: true, entries: 1, verified: true });
    assert.deepEqual(r.hotlists.entries('CA-SVS'), [listEntry(3)]);
  });

  it('hotlist: refuses a bad signature, a missing one, bad rows and a name that is not a file name; the list held is kept', async () => {
    const { ca } = await testPki();
    const other = await testCa('Not The Fleet CA');
    const snapshot = JSON.stringify({ list: 'CA-SVS', version: 1, entries: [listEntry(1)] });
    result(await send({ name: 'hotlist', list: 'CA-SVS', snapshot, signature: signSnapshot(snapshot, ca.keyPem) }));
    const file = path.join(r.dataDir, 'hotlists', 'CA-SVS.json');
    const before = readFileSync(file, 'utf8');

    const v2 = JSON.stringify({ list: 'CA-SVS', version: 2, entries: [listEntry(666)] });
    const tampered = refusal(await send({ name: 'hotlist', list: 'CA-SVS', snapshot: v2, signature: signSnapshot(snapshot, ca.keyPem) }));
    assert.equal(tampered.code, 'REFUSED');
    assert.match(tampered.message, /signature does not verify/);
    assert.equal(refusal(await send({ name: 'hotlist', list: 'CA-SVS', snapshot: v2, signature: signSnapshot(v2, other.keyPem) })).code, 'REFUSED', 'another key');
    assert.equal(refusal(await send({ name: 'hotlist', list: 'CA-SVS', snapshot: v2, signature: 'c2lnbmF0dXJl' })).code, 'REFUSED', 'garbage');
    assert.equal(refusal(await send({ name: 'hotlist', list: 'CA-SVS', snapshot: v2, signature: null })).code, 'REFUSED', 'unsigned');
    const badRows = JSON.stringify({ list: 'CA-SVS', version: 3, entries: [listEntry(4), { ...listEntry(5), plate: 'A#C' }] });
    const invalid = refusal(await send({ name: 'hotlist', list: 'CA-SVS', snapshot: badRows, signature: signSnapshot(badRows, ca.keyPem) }));
    assert.equal(invalid.code, 'INVALID');
    assert.match(invalid.message, /row 2, plate/);
    assert.equal(readFileSync(file, 'utf8'), before);
    assert.deepEqual(r.hotlists.entries('CA-SVS'), [listEntry(1)]);

    const escape = refusal(await send({ name: 'hotlist', list: '../../escape', snapshot: 'x', signature: null }));
    assert.equal(escape.code, 'INVALID');
    assert.equal(existsSync(path.join(r.dataDir, 'escape.json')), false);
    assert.equal(existsSync(path.join(r.dir, 'escape.json')), false);
  });

  it('hotlist: without a pinned central CA every push is refused; without the appliance\'s store one is opened on hotlistDir', async () => {
    const { ca } = await testPki();
    const snapshot = JSON.stringify({ list: 'county-bolo', entries: [listEntry(1, 'county-bolo')] });
    const command: Command = { name: 'hotlist', list: 'county-bolo', snapshot, signature: signSnapshot(snapshot, ca.keyPem) };
    const dir = path.join(r.dir, 'other-hotlists');
    const options = { store: r.store, health: () => Promise.reject(new Error('unused')), hotlistDir: dir, log: silentLogger };
    const noCa = await new CommandHandler(options).handle('c1', command);
    assert.equal(refusal(noCa).code, 'REFUSED');
    assert.match(refusal(noCa).message, /no pinned central CA/);
    assert.deepEqual(result(await new CommandHandler({ ...options, centralCaPem: () => ca.certPem }).handle('c2', command)), { stored: true, entries: 1, verified: true });
    assert.deepEqual((await HotlistStore.open(dir)).entries('county-bolo'), [listEntry(1, 'county-bolo')]);
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
