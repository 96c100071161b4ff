import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { CONFIRM_ADVISORY, type Alert } from '../../firmware/hotlist/alert';
import { SqliteReadStore } from '../../firmware/store/sqlite-read-store';
import type { AlertJson } from '../../ops/cli/alerts-command';
import { fixtureAlert } from '../firmware/store/alert-fixture';
import { fixtureRead } from '../firmware/store/read-fixtures';
import { lastJson, runCli } from '../support/run-cli';
import { useTempDir } from '../support/temp-dir';

const WHO = ['--user', 'det.ruiz', '--agency', 'Sacramento County SO', '--purpose', 'locate vehicle in armed robbery SO-26-4410', '--case', 'SO-26-4410'];

describe('sightline alerts (real processes, real store files)', function () {
  this.timeout(120_000);
  const tmp = useTempDir();
  let dataDir = '';
  let config = '';
  const now = Date.now();
  // Newest first: the stale alert (an hour ago), the bare hit, the fresh alert (two hours ago), frameless (three).
  let stale: Alert;
  let fresh: Alert;
  let frameless: Alert;
  const bare = fixtureRead(40, { firstSeen: now - 90 * 60_000 });

  beforeEach(async () => {
    dataDir = path.join(tmp(), 'data');
    config = path.join(tmp(), 'sightline.yaml');
    writeFileSync(config, `store:\n  dataDir: ${dataDir}\nlog:\n  level: warn\n`);
    stale = fixtureAlert({ id: '11111111-0000-4000-8000-000000000001', plate: '7ABC123', firstSeen: now - 3_600_000, staleLists: ['CA-SVS'] });
    fresh = fixtureAlert({ id: '11111111-0000-4000-8000-000000000002', plate: '5XYZ789', firstSeen: now - 2 * 3_600_000 });
    frameless = fixtureAlert({ id: '11111111-0000-4000-8000-000000000003', plate: '8LMN456', firstSeen: now - 3 * 3_600_000, noFrame: true });
    const store = await SqliteReadStore.open(dataDir);
    for (let i = 0; i < 5; i++) await store.put(fixtureRead(i, { firstSeen: now - 3_600_000 + i }));
    for (const alert of [stale, fresh, frameless]) await store.putAlert(alert);
    await store.putMany([bare], 'hit');
    await store.markAcknowledged([fresh.read.id]);
    await store.hold(stale.read.id, { caseNumber: 'SO-26-4410', reason: 'evidence', by: 'det.ruiz' });
    await store.close();
  });

  const accessLog = () => path.join(dataDir, 'access-log.jsonl');
  const alerts = (...args: string[]) => runCli(['alerts', ...args, '--config', config]);

  it('refuses without user, agency, purpose or case, or with "investigation" as the purpose, and records nothing', async () => {
    const cases: [string[], RegExp][] = [
      [[], /alerts: user is required/],
      [['--user', 'det.ruiz', '--purpose', 'p', '--case', 'c'], /agency is required/],
      [['--user', 'det.ruiz', '--agency', 'a', '--case', 'c'], /purpose is required/],
      [['--user', 'det.ruiz', '--agency', 'a', '--purpose', 'p'], /caseNumber is required/],
      [['--user', 'det.ruiz', '--agency', 'a', '--purpose', 'investigation', '--case', 'c'], /"investigation" alone is not a purpose/],
      [['--user', 'det.ruiz', '--agency', 'a', '--purpose', '  An Investigation. ', '--case', 'c'], /"investigation" alone is not a purpose/],
      [[...WHO, '--since', 'yesterday'], /--since must be an ISO time/],
    ];
    for (const [args, problem] of cases) {
      const result = await alerts(...args);
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, problem);
      assert.equal(result.stdout, '', 'nothing shown');
    }
    const badLimit = await alerts(...WHO, '--limit', '0');
    assert.equal(badLimit.code, 2);
    assert.throws(() => statSync(accessLog()), /ENOENT/, 'refused requests record nothing');
  });

  it('records the access (who, agency, purpose, case, the plates shown) before showing anything, and shows nothing when it cannot', async () => {
    // The log cannot be written (a directory where the file goes): nothing may be shown.
    mkdirSync(accessLog());
    const blocked = await alerts(...WHO);
    assert.notEqual(blocked.code, 0);
    assert.equal(blocked.stdout, '');
    assert.match(blocked.stderr, /access-log\.jsonl/);
    // Nor written: --save-images comes after the record too.
    const images = path.join(tmp(), 'blocked-images');
    assert.notEqual((await alerts(...WHO, '--save-images', images)).code, 0);
    assert.throws(() => statSync(images), /ENOENT/);

    const { rmdirSync } = await import('node:fs');
    rmdirSync(accessLog());
    const shown = await alerts(...WHO, '--limit', '3');
    assert.equal(shown.code, 0, shown.stderr);
    const log = readFileSync(accessLog(), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(log.length, 1);
    const entry = log[0];
    assert.deepEqual(
      [entry.user, entry.agency, entry.purpose, entry.caseNumber, entry.via, entry.action],
      ['det.ruiz', 'Sacramento County SO', 'locate vehicle in armed robbery SO-26-4410', 'SO-26-4410', 'cli', 'list alerts'],
    );
    assert.ok(Math.abs(Date.parse(entry.at as string) - Date.now()) < 60_000);
    assert.deepEqual(entry.terms, [
      'alerts since any time, newest 3',
      `7ABC123 (read ${stale.read.id})`,
      `${bare.plate} (read ${bare.id})`,
      `5XYZ789 (read ${fresh.read.id})`,
    ]);
    assert.equal(statSync(accessLog()).mode & 0o777, 0o600);
  });

  it('lists the alerts newest first with plate, confidence, alternatives, each match, the stale line, the advisory, upload and hold state', async () => {
    const result = await alerts(...WHO);
    assert.equal(result.code, 0, result.stderr);
    const text = result.stdout;
    const blocks = text.trim().split('\n\n');
    assert.equal(blocks.length, 4, text);
    const [first, second, third, fourth] = blocks;
    assert.ok(first.startsWith(`${new Date(stale.read.firstSeen).toISOString()}  read ${stale.read.id}  plate 7ABC123  confidence 0.87`), first);
    assert.match(first, /alternatives +7A8C123 \(0\.31\), 7ABC12 \(0\.12\)/);
    // Both lists matched, best rule first, with what the officer needs.
    assert.match(first, /match 1 +list CA-SVS, listed 7ABC123 \(CA\), rule exact: exact\n +reason stolen vehicle; case SVS-2026-0117; entered by dispatch\.lee at 2026-11-01T00:00:00\.000Z\n +synopsis: grey 2019 Civic taken from a driveway on Elm St/);
    assert.match(first, /match 2 +list SAC-BOLO, listed 7AB\?12\* \(CA\), rule wildcard: wildcard 7AB\?12\*\n +reason armed robbery suspect vehicle; case SO-26-4410; entered by det\.ruiz/);
    assert.ok(!first.includes('SVS-2026-0001'), 'the entry that did not match is not shown');
    const staleSince = stale.details.matches[0].listStaleSince!;
    assert.ok(first.includes(`advisory     ${CONFIRM_ADVISORY}\n               hotlist CA-SVS stale since ${new Date(staleSince).toISOString()}`), first);
    assert.match(first, /frame +640x360 JPEG, \d+ bytes/);
    assert.match(first, /uploaded +no \(not yet acknowledged by central\)\n +held +yes \(evidence hold\)/);

    assert.match(second, new RegExp(`read ${bare.id}  plate ${bare.plate}  confidence ${bare.confidence.toFixed(2)}  \\(no alert details\\)`));
    assert.ok(!second.includes('advisory') && !second.includes('match 1'));

    assert.match(third, /plate 5XYZ789/);
    assert.ok(!third.includes('stale since'), 'a fresh list gives no stale line');
    assert.ok(third.includes(CONFIRM_ADVISORY));
    assert.match(third, /uploaded +yes \(acknowledged by central\)\n +held +no/);

    assert.match(fourth, /plate 8LMN456/);
    assert.match(fourth, /frame +none \(frame dropped: recognizer busy\)/);

    for (let i = 0; i < 5; i++) assert.ok(!text.includes(fixtureRead(i).plate), 'reads that hit nothing are not alerts');

    const since = await alerts(...WHO, '--since', new Date(now - 100 * 60_000).toISOString());
    assert.equal(since.code, 0, since.stderr);
    assert.deepEqual([...since.stdout.matchAll(/read (\S+)  plate/g)].map((m) => m[1]), [stale.read.id, bare.id]);
    const none = await alerts(...WHO, '--since', new Date(now + 60_000).toISOString());
    assert.match(none.stdout, /^no alerts on this device since /);
  });

  it('--json: one array, the read fields and the alert record', async () => {
    const result = await alerts(...WHO, '--json', '--limit', '2');
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.lines.length, 1);
    const [a, b] = lastJson<AlertJson[]>(result);
    assert.deepEqual(Object.keys(a).sort(), ['alert', 'alternatives', 'confidence', 'cropBytes', 'firstSeen', 'held', 'id', 'lastSeen', 'originalPlate', 'plate', 'sourceId', 'uploaded']);
    assert.deepEqual(
      [a.id, a.plate, a.confidence, a.firstSeen, a.uploaded, a.held, a.cropBytes, a.originalPlate],
      [stale.read.id, '7ABC123', 0.87, new Date(stale.read.firstSeen).toISOString(), false, true, stale.read.crop.length, null],
    );
    assert.deepEqual(a.alternatives, stale.read.alternatives);
    assert.ok(a.alert !== null);
    assert.equal(a.alert.advisory, stale.details.advisory);
    assert.deepEqual(a.alert.frame, { width: 640, height: 360 });
    assert.equal(a.alert.frameBytes, stale.details.frame!.jpeg.length);
    assert.deepEqual(
      a.alert.matches.map((m) => [m.entry.list, m.entry.plate, m.rule, m.why, m.entry.caseNumber, m.entry.enteredBy, m.entry.synopsis, m.listStaleSince !== null]),
      [
        ['CA-SVS', '7ABC123', 'exact', 'exact', 'SVS-2026-0117', 'dispatch.lee', 'grey 2019 Civic taken from a driveway on Elm St', true],
        ['SAC-BOLO', '7AB?12*', 'wildcard', 'wildcard 7AB?12*', 'SO-26-4410', 'det.ruiz', 'partial plate from a witness', false],
      ],
    );
    assert.deepEqual([b.id, b.alert], [bare.id, null]);
  });

  it('--save-images writes each alert\'s crop and frame (0600) with the stored bytes', async () => {
    const dir = path.join(tmp(), 'evidence');
    const result = await alerts(...WHO, '--save-images', dir);
    assert.equal(result.code, 0, result.stderr);
    const expected: [string, Buffer][] = [
      [`${stale.read.id}-crop.jpg`, stale.read.crop],
      [`${stale.read.id}-frame.jpg`, stale.details.frame!.jpeg],
      [`${fresh.read.id}-crop.jpg`, fresh.read.crop],
      [`${fresh.read.id}-frame.jpg`, fresh.details.frame!.jpeg],
      [`${frameless.read.id}-crop.jpg`, frameless.read.crop],
      [`${bare.id}-crop.jpg`, bare.crop],
    ];
    assert.deepEqual(readdirSync(dir).sort(), expected.map(([name]) => name).sort());
    for (const [name, bytes] of expected) {
      const file = path.join(dir, name);
      assert.ok(readFileSync(file).equals(bytes), name);
      assert.equal(statSync(file).mode & 0o777, 0o600, name);
    }
    assert.equal(stale.read.crop.subarray(0, 2).toString('hex'), 'ffd8', 'a real JPEG');
    assert.ok(result.stdout.includes(`images       ${path.join(dir, `${stale.read.id}-crop.jpg`)}, ${path.join(dir, `${stale.read.id}-frame.jpg`)}`));

    // Saved again over files others could read: made private again.
    const { chmodSync } = await import('node:fs');
    chmodSync(path.join(dir, `${fresh.read.id}-frame.jpg`), 0o644);
    assert.equal((await alerts(...WHO, '--save-images', dir, '--json')).code, 0);
    assert.equal(statSync(path.join(dir, `${fresh.read.id}-frame.jpg`)).mode & 0o777, 0o600);
  });
});
