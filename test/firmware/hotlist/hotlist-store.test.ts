import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import sinon from 'sinon';
import { HotlistError } from '../../../firmware/hotlist/hotlist-error';
import type { HotlistEntry } from '../../../firmware/hotlist/hotlist-entry';
import { ABANDONED_TEMP_MS, HotlistStore, type HotlistChange, type HotlistStoreOptions } from '../../../firmware/hotlist/hotlist-store';
import { useTempDir } from '../../support/temp-dir';
import { recordingLogger } from '../../drivers/camera/recording-logger';
import { listEntry } from './list-fixtures';

const HOUR = 3_600_000;
const T0 = Date.UTC(2024, 4, 2);

function entries(n: number, list = 'CA-SVS', from = 0): HotlistEntry[] {
  return Array.from({ length: n }, (_, k) => listEntry(from + k, list));
}

function tempFiles(dir: string): string[] {
  return fs.readdirSync(dir).filter((f) => f.endsWith('.tmp'));
}

describe('hotlist store', () => {
  const tmp = useTempDir();
  let clock = T0;
  const dir = () => path.join(tmp(), 'hotlists');
  const openStore = (o: HotlistStoreOptions = {}) => HotlistStore.open(dir(), { now: () => clock, ...o });
  const fromFile = () => ({ source: 'file' as const, version: null, refreshedAt: clock });

  beforeEach(() => {
    clock = T0;
  });
  afterEach(() => sinon.restore());

  it('keeps each list in DIR/<list>.json (0600), loads them all at open, and emits changed', async () => {
    const store = await openStore();
    const changes: HotlistChange[] = [];
    store.on('changed', (c: HotlistChange) => changes.push(c));
    await store.replace('CA-SVS', entries(3), fromFile());
    await store.replace('county-bolo', entries(2, 'county-bolo', 10), { source: 'central', version: 4, refreshedAt: clock - HOUR, signature: 'c2ln' });
    assert.deepEqual(changes, [
      { list: 'CA-SVS', entries: 3, removed: false },
      { list: 'county-bolo', entries: 2, removed: false },
    ]);
    const file = path.join(dir(), 'CA-SVS.json');
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    assert.deepEqual(JSON.parse(fs.readFileSync(file, 'utf8')), { list: 'CA-SVS', version: null, refreshedAt: T0, source: 'file', signature: null, entries: entries(3) });

    const again = await openStore();
    assert.deepEqual(again.problems, []);
    assert.deepEqual(again.lists(), [
      { name: 'CA-SVS', entries: 3, source: 'file', version: null, refreshedAt: T0, stale: false, staleSince: null },
      { name: 'county-bolo', entries: 2, source: 'central', version: 4, refreshedAt: T0 - HOUR, stale: false, staleSince: null },
    ]);
    assert.deepEqual(again.allEntries().map((e) => e.plate).sort(), ['7ABC000', '7ABC001', '7ABC002', '7ABC010', '7ABC011']);
    assert.deepEqual(again.entries('county-bolo'), entries(2, 'county-bolo', 10));
  });

  it('replaces a list whole: the newest overwrites the old', async () => {
    const store = await openStore();
    await store.replace('CA-SVS', entries(3), fromFile());
    const first = store.allEntries();
    await store.replace('CA-SVS', entries(1, 'CA-SVS', 50), fromFile());
    assert.deepEqual(store.allEntries().map((e) => e.plate), ['7ABC050']);
    assert.equal(first.length, 3, 'an array handed out earlier is not changed under its holder');
    assert.deepEqual((await openStore()).entries('CA-SVS').map((e) => e.plate), ['7ABC050']);
  });

  it('refuses an invalid list before writing anything; the previous list stays', async () => {
    const store = await openStore();
    await store.replace('CA-SVS', entries(2), fromFile());
    const before = fs.readFileSync(path.join(dir(), 'CA-SVS.json'), 'utf8');
    let changed = 0;
    store.on('changed', () => changed++);
    const bad = [...entries(2), { ...listEntry(9), plate: 'A#' }, listEntry(10, 'other-list')];
    await assert.rejects(store.replace('CA-SVS', bad, fromFile()), (err: HotlistError) => {
      assert.equal(err.code, 'HOTLIST_INVALID');
      assert.deepEqual(err.rows.map((r) => `${r.row} ${r.field}`), ['3 plate', '4 list']);
      return true;
    });
    await assert.rejects(store.replace('../escape', entries(1, '../escape'), fromFile()), /not a usable list name/);
    assert.equal(fs.readFileSync(path.join(dir(), 'CA-SVS.json'), 'utf8'), before);
    assert.equal(store.entries('CA-SVS').length, 2);
    assert.equal(changed, 0);
    assert.deepEqual(tempFiles(dir()), []);
  });

  it('a failed write (disk full at rename) leaves the previous list, on disk and in memory, and no temporary file', async () => {
    const store = await openStore();
    await store.replace('CA-SVS', entries(2), fromFile());
    // The module object itself (what the store calls through), not a namespace copy.
    sinon.stub(fs.promises, 'rename').rejects(Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' }));
    await assert.rejects(store.replace('CA-SVS', entries(5, 'CA-SVS', 100), fromFile()), /ENOSPC/);
    sinon.restore();
    assert.deepEqual(store.entries('CA-SVS'), entries(2));
    assert.deepEqual(tempFiles(dir()), []);
    assert.deepEqual((await openStore()).entries('CA-SVS'), entries(2));
    // The store still works after a failure.
    await store.replace('CA-SVS', entries(1, 'CA-SVS', 7), fromFile());
    assert.deepEqual(store.entries('CA-SVS'), entries(1, 'CA-SVS', 7));
  });

  it('a crash during a replacement (a half-written temporary file left behind) keeps the previous list; the leftover is removed', async () => {
    const store = await openStore();
    await store.replace('CA-SVS', entries(3), fromFile());
    // What a power cut between write and rename leaves: the new list cut short, under a temporary name.
    const half = JSON.stringify({ list: 'CA-SVS', version: null, refreshedAt: T0, source: 'file', signature: null, entries: entries(50) }).slice(0, 700);
    const leftover = path.join(dir(), '.CA-SVS.json.0123456789ab.tmp');
    fs.writeFileSync(leftover, half, { mode: 0o600 });
    const old = (T0 - ABANDONED_TEMP_MS - 1000) / 1000;
    fs.utimesSync(leftover, old, old);
    // A young temporary file may be another process's write in progress: left alone.
    const young = path.join(dir(), '.county-bolo.json.ba9876543210.tmp');
    fs.writeFileSync(young, half);
    fs.utimesSync(young, T0 / 1000, T0 / 1000);

    const { log, entries: logged } = recordingLogger();
    const reopened = await openStore({ log });
    assert.deepEqual(reopened.entries('CA-SVS'), entries(3));
    assert.deepEqual(reopened.problems, []);
    assert.deepEqual(tempFiles(dir()), [path.basename(young)]);
    assert.ok(logged.some((e) => /unfinished hotlist write/.test(e.msg ?? '')));
  });

  it('reports a corrupt or foreign list file by name and skips it; the other lists load', async () => {
    const store = await openStore();
    await store.replace('CA-SVS', entries(2), fromFile());
    await store.replace('county-bolo', entries(2, 'county-bolo'), fromFile());
    await store.replace('agency', entries(1, 'agency'), fromFile());
    const text = fs.readFileSync(path.join(dir(), 'county-bolo.json'), 'utf8');
    fs.writeFileSync(path.join(dir(), 'county-bolo.json'), text.slice(0, text.length / 2)); // cut short
    const agency = JSON.parse(fs.readFileSync(path.join(dir(), 'agency.json'), 'utf8')) as { entries: HotlistEntry[] };
    agency.entries[0].plate = 'NOT A PLATE!';
    fs.writeFileSync(path.join(dir(), 'agency.json'), JSON.stringify(agency)); // edited by hand, badly
    fs.writeFileSync(path.join(dir(), 'renamed.json'), fs.readFileSync(path.join(dir(), 'CA-SVS.json'))); // list CA-SVS under another name
    fs.writeFileSync(path.join(dir(), 'old-inbox.json'), JSON.stringify({ list: 'old-inbox', receivedAt: T0, signature: null, snapshot: '[]' }));
    fs.writeFileSync(path.join(dir(), 'notes.txt'), 'not a list');

    const { log, entries: logged } = recordingLogger();
    const reopened = await openStore({ log });
    assert.deepEqual(reopened.lists().map((l) => l.name), ['CA-SVS']);
    assert.deepEqual(reopened.problems.map((p) => p.file), ['agency.json', 'county-bolo.json', 'old-inbox.json', 'renamed.json']);
    const reason = Object.fromEntries(reopened.problems.map((p) => [p.file, p.message]));
    assert.match(reason['county-bolo.json'], /not JSON/);
    assert.match(reason['agency.json'], /plate/);
    assert.match(reason['renamed.json'], /holds list "CA-SVS", not "renamed"/);
    assert.match(reason['old-inbox.json'], /unverified/);
    assert.equal(logged.filter((e) => e.level === 'error').length, 4);

    // The next replacement of a skipped list rewrites its file.
    await reopened.replace('county-bolo', entries(1, 'county-bolo'), fromFile());
    assert.deepEqual((await openStore()).entries('county-bolo'), entries(1, 'county-bolo'));
  });

  it('a list not refreshed for staleAfterMs is stale, since refreshedAt + staleAfterMs, until refreshed', async () => {
    const store = await openStore({ staleAfterMs: 24 * HOUR });
    await store.replace('CA-SVS', entries(1), fromFile());
    await store.replace('county-bolo', entries(1, 'county-bolo'), { source: 'central', version: 1, refreshedAt: T0 - 23 * HOUR });
    const state = () => store.lists().map((l) => `${l.name} ${l.stale} ${l.staleSince}`);
    assert.deepEqual(state(), [`CA-SVS false null`, `county-bolo false null`]);
    clock = T0 + HOUR;
    assert.deepEqual(state(), [`CA-SVS false null`, `county-bolo true ${T0 + HOUR}`]);
    clock = T0 + 24 * HOUR;
    assert.deepEqual(state(), [`CA-SVS true ${T0 + 24 * HOUR}`, `county-bolo true ${T0 + HOUR}`]);
    await store.replace('county-bolo', entries(1, 'county-bolo'), { source: 'central', version: 2, refreshedAt: clock });
    assert.deepEqual(state(), [`CA-SVS true ${T0 + 24 * HOUR}`, `county-bolo false null`]);
    // The threshold is the store's option.
    assert.deepEqual((await openStore({ staleAfterMs: 48 * HOUR })).lists().map((l) => l.stale), [false, false]);
  });

  it('remove deletes the list and its file; an unknown list is HOTLIST_NOT_FOUND', async () => {
    const store = await openStore();
    await store.replace('CA-SVS', entries(2), fromFile());
    const changes: HotlistChange[] = [];
    store.on('changed', (c: HotlistChange) => changes.push(c));
    await store.remove('CA-SVS');
    assert.deepEqual(changes, [{ list: 'CA-SVS', entries: 0, removed: true }]);
    assert.deepEqual([store.lists(), store.allEntries()], [[], []]);
    assert.equal(fs.existsSync(path.join(dir(), 'CA-SVS.json')), false);
    await assert.rejects(store.remove('CA-SVS'), (err: HotlistError) => err.code === 'HOTLIST_NOT_FOUND');
  });

  it('replacements run one at a time, in call order; reload picks up another process\'s changes', async () => {
    const store = await openStore();
    await Promise.all([store.replace('CA-SVS', entries(1), fromFile()), store.replace('CA-SVS', entries(2, 'CA-SVS', 20), fromFile())]);
    assert.deepEqual(store.entries('CA-SVS'), entries(2, 'CA-SVS', 20));
    assert.deepEqual((await openStore()).entries('CA-SVS'), entries(2, 'CA-SVS', 20));

    const cli = await openStore();
    await cli.replace('county-bolo', entries(3, 'county-bolo'), fromFile());
    await cli.remove('CA-SVS');
    const changes: HotlistChange[] = [];
    store.on('changed', (c: HotlistChange) => changes.push(c));
    await store.reload();
    assert.deepEqual(changes.sort((a, b) => a.list.localeCompare(b.list)), [
      { list: 'CA-SVS', entries: 0, removed: true },
      { list: 'county-bolo', entries: 3, removed: false },
    ]);
    assert.deepEqual(store.lists().map((l) => l.name), ['county-bolo']);
  });
});
