import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { HotlistStore } from '../../../firmware/hotlist/hotlist-store';
import { CliError } from '../../../ops/cli/cli-error';
import { hotlistListCommand, hotlistLoadCommand } from '../../../ops/cli/hotlist-command';
import { captureOutput } from '../../support/capture-output';
import { useTempDir } from '../../support/temp-dir';
import { HEADER } from './list-fixtures';

describe('sightline hotlist load and list (command functions)', () => {
  const tmp = useTempDir();
  let config = '';
  const hotlistDir = () => path.join(tmp(), 'data', 'hotlists');
  const row = (plate: string, list = 'CA-SVS', enteredAt = '2024-05-01') => `${plate},CA,${list},stolen vehicle,C-${plate},ortiz,"grey, dented",${enteredAt},`;
  function file(name: string, lines: string[]): string {
    const at = path.join(tmp(), name);
    writeFileSync(at, lines.join('\n'));
    return at;
  }

  beforeEach(() => {
    config = path.join(tmp(), 'sightline.yaml');
    writeFileSync(config, `store:\n  dataDir: ${path.join(tmp(), 'data')}\nlog:\n  level: warn\n`);
  });

  it('loads a file into the lists it names and lists them, as text and JSON', async () => {
    const csv = file('lists.csv', [HEADER, row('7ABC001'), row('7ABC002'), row('BOLO01', 'county-bolo')]);
    const load = await captureOutput(() => hotlistLoadCommand(csv, { config }));
    assert.equal(load.result, 0, load.stderr.join('\n'));
    assert.deepEqual(load.stdout, ['loaded 2 entries into list CA-SVS', 'loaded 1 entry into list county-bolo']);
    const store = await HotlistStore.open(hotlistDir());
    assert.deepEqual(store.entries('CA-SVS').map((e) => e.plate), ['7ABC001', '7ABC002']);

    const text = await captureOutput(() => hotlistListCommand({ config }));
    assert.equal(text.result, 0);
    assert.match(text.stdout[0], /^list +entries +source +version +refreshed +state$/);
    assert.match(text.stdout[1], /^CA-SVS +2 +file +- +\S+Z +fresh$/);
    assert.match(text.stdout[2], /^county-bolo +1 +file/);
    const json = await captureOutput(() => hotlistListCommand({ config, json: true }));
    const listed = JSON.parse(json.stdout[0]) as { lists: { name: string; entries: number; stale: boolean }[]; problems: unknown[] };
    assert.deepEqual(listed.lists.map((l) => [l.name, l.entries, l.stale]), [['CA-SVS', 2, false], ['county-bolo', 1, false]]);
  });

  it('prints every bad row with its number and field, loads nothing and exits 2; --skip-bad-rows loads the rest', async () => {
    await captureOutput(() => hotlistLoadCommand(file('first.csv', [HEADER, row('7ABC001')]), { config }));
    const bad = file('bad.csv', [HEADER, row('7ABC002'), row('7AB#03'), row('7ABC004', 'CA-SVS', '2024-13-01')]);
    const refused = await captureOutput(() => hotlistLoadCommand(bad, { config }));
    assert.equal(refused.result, 2);
    assert.deepEqual(refused.stdout, []);
    assert.match(refused.stderr[0], /bad\.csv row 3, plate: must be A-Z/);
    assert.match(refused.stderr[1], /bad\.csv row 4, enteredAt: "2024-13-01" is not a real date/);
    assert.match(refused.stderr[2], /2 bad rows of 3; nothing was loaded .*--skip-bad-rows/);
    assert.deepEqual((await HotlistStore.open(hotlistDir())).entries('CA-SVS').map((e) => e.plate), ['7ABC001'], 'the previous list is kept');

    const skipped = await captureOutput(() => hotlistLoadCommand(bad, { config, skipBadRows: true, json: true }));
    assert.equal(skipped.result, 0);
    assert.equal(skipped.stderr.length, 2);
    assert.deepEqual(JSON.parse(skipped.stdout[0]), { file: bad, rows: 3, skipped: 2, lists: [{ list: 'CA-SVS', entries: 1 }] });
    assert.deepEqual((await HotlistStore.open(hotlistDir())).entries('CA-SVS').map((e) => e.plate), ['7ABC002']);
  });

  it('--list names the list for rows without one; usage mistakes are CliErrors', async () => {
    const json = file('bolo.json', [JSON.stringify([{ plate: '5XY*9', reason: 'wanted', caseNumber: 'C-9', enteredBy: 'lee', synopsis: '', enteredAt: 1714521600000 }])]);
    const load = await captureOutput(() => hotlistLoadCommand(json, { config, list: 'county-bolo' }));
    assert.equal(load.result, 0, load.stderr.join('\n'));
    assert.deepEqual((await HotlistStore.open(hotlistDir())).entries('county-bolo').map((e) => [e.plate, e.state, e.expiresAt]), [['5XY*9', null, null]]);
    await assert.rejects(hotlistLoadCommand(path.join(tmp(), 'missing.csv'), { config }), (err: Error) => err instanceof CliError && /no such file/.test(err.message));
    await assert.rejects(hotlistLoadCommand(json, { config, format: 'xml' }), CliError);
    await assert.rejects(hotlistLoadCommand(json, { config, list: '../x' }), CliError);
  });

  it('list reports a corrupt list file on stderr and shows the others', async () => {
    await captureOutput(() => hotlistLoadCommand(file('a.csv', [HEADER, row('7ABC001')]), { config }));
    writeFileSync(path.join(hotlistDir(), 'broken.json'), '{"list": "broken", "entr');
    const listed = await captureOutput(() => hotlistListCommand({ config }));
    assert.equal(listed.result, 0);
    assert.equal(listed.stdout.length, 2);
    assert.match(listed.stderr.join('\n'), /broken\.json: skipped: not JSON/);
  });
});
