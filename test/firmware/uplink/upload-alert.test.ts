/**
 * Alerts in the uplink protocol: a hit stored as an alert travels with its matches, advisory and
 * full frame; what the protocol cannot carry is refused with a reason that says what is wrong.
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { alertRecordOf } from '../../../firmware/hotlist/alert';
import type { StoredRead } from '../../../firmware/store/read-store';
import { READ_LIMITS } from '../../../firmware/store/record-row';
import { SqliteReadStore } from '../../../firmware/store/sqlite-read-store';
import { encodeMessage, LIMITS, parseDeviceMessage, type UploadRead } from '../../../firmware/uplink/protocol';
import { encodedBoundBytes, toUploadRead } from '../../../firmware/uplink/upload-read';
import { useTempDir } from '../../support/temp-dir';
import { alertFor, sceneShots } from './alert-fixture';

/** The reads message a device would send, parsed the way the hub parses it. */
function parseBatch(reads: unknown[]) {
  return parseDeviceMessage(JSON.stringify({ v: 1, type: 'reads', batch: 'b-1', lane: 'alert', reads }), false);
}

describe('alerts in the uplink protocol', function () {
  this.timeout(60_000);
  const tmp = useTempDir('sightline-upload-alert-');
  let store: SqliteReadStore;
  let stored: StoredRead;
  let frameJpeg: Buffer;

  beforeEach(async () => {
    store = await SqliteReadStore.open(path.join(tmp(), 'data'), { diskReserveBytes: 0, integrityCheck: 'quick' });
    const [shot] = await sceneShots();
    const alert = alertFor(shot);
    frameJpeg = shot.frameJpeg;
    await store.putAlert(alert);
    stored = (await store.get(alert.read.id))!;
  });

  afterEach(() => store.close());

  /** The stored alert in its upload form. */
  function uploadForm(): UploadRead {
    const converted = toUploadRead(stored);
    assert.ok(converted.ok, converted.ok ? '' : converted.reason);
    return converted.read;
  }

  it('carries a stored alert with its record and the exact frame bytes, and the hub side accepts it', () => {
    assert.equal(stored.dataClass, 'hit');
    const read = uploadForm();
    assert.ok(read.alert !== null);
    const { frameJpeg: frame, ...record } = read.alert;
    assert.deepEqual(record, alertRecordOf(stored.alert!));
    assert.ok(Buffer.from(frame!, 'base64').equals(frameJpeg), 'the frame travels byte for byte');
    assert.equal(read.crop, stored.crop.toString('base64'));
    assert.equal(read.alert.matches[0].rule, 'exact');
    assert.match(read.alert.advisory, /Confirm the plate characters visually/);
    assert.match(read.alert.advisory, /hotlist county-bolo stale since /);

    const parsed = parseBatch([read]);
    assert.ok(parsed.ok, parsed.ok ? '' : parsed.reason);
    assert.equal(parsed.message.type, 'reads');
    assert.deepEqual(parsed.message.type === 'reads' && parsed.message.reads[0], read);
  });

  it('bounds a read\'s encoded size from above, alert and frame included, so batches can be cut by bytes', () => {
    const read = uploadForm();
    const synopsis = 'Zeuge sah Fahrer flüchten; «Kennzeichen» teilweise verdeckt — Ø\u0001'.repeat(6).slice(0, 500);
    const odd: UploadRead = { ...read, alert: { ...read.alert!, matches: read.alert!.matches.map((m) => ({ ...m, entry: { ...m.entry, synopsis } })) } };
    for (const r of [read, odd]) {
      const actual = Buffer.byteLength(JSON.stringify(r));
      assert.ok(encodedBoundBytes(r) >= actual, `bound ${encodedBoundBytes(r)} < actual ${actual}`);
      assert.ok(encodedBoundBytes(r) < actual + 64 * 1024, 'and not wildly above it');
    }
  });

  it('takes plain reads and bare hits with alert null, and a read from an older device without the field', () => {
    const { alert: _alert, ...plain } = { ...uploadForm(), dataClass: 'read' as const };
    for (const read of [{ ...plain, alert: null }, { ...plain, dataClass: 'hit', alert: null }, plain]) {
      const parsed = parseBatch([read]);
      assert.ok(parsed.ok, parsed.ok ? '' : parsed.reason);
      assert.equal(parsed.message.type === 'reads' && parsed.message.reads[0].alert, null);
    }
  });

  it('refuses a malformed alert, saying which field and why', () => {
    const read = uploadForm();
    const alert = read.alert!;
    const withAlert = (a: unknown, o: Partial<UploadRead> = {}) => ({ ...read, ...o, alert: a });
    const { caseNumber: _case, ...entryWithoutCase } = alert.matches[0].entry;
    const cases: [string, unknown, RegExp][] = [
      ['frame not base64', withAlert({ ...alert, frameJpeg: `${alert.frameJpeg!.slice(0, 100)}<script>` }), /reads\.0\.alert\.frameJpeg: must be base64/],
      ['frame one byte too big', withAlert({ ...alert, frameJpeg: Buffer.alloc(LIMITS.frameBytes + 1).toString('base64') }), /reads\.0\.alert\.frameJpeg: must be base64 of 1 to 8388608 bytes \(got 8388609\)/],
      ['frame far too big', withAlert({ ...alert, frameJpeg: Buffer.alloc(LIMITS.frameBytes + 3000).toString('base64') }), /reads\.0\.alert\.frameJpeg: must be base64 of 1 to 8388608 bytes \(got about 839\d{4}\)/],
      ['frame empty', withAlert({ ...alert, frameJpeg: '' }), /reads\.0\.alert\.frameJpeg: must be base64 of 1 to 8388608 bytes/],
      ['match missing its case number', withAlert({ ...alert, matches: [{ ...alert.matches[0], entry: entryWithoutCase }] }), /reads\.0\.alert\.matches\.0\.entry\.caseNumber/],
      ['match missing its rule', withAlert({ ...alert, matches: [{ ...alert.matches[0], rule: undefined }] }), /reads\.0\.alert\.matches\.0\.rule/],
      ['no matches', withAlert({ ...alert, matches: [] }), /reads\.0\.alert\.matches/],
      ['frame size without frame bytes', withAlert({ ...alert, frameJpeg: null }), /reads\.0\.alert\.frameJpeg: frame and frameJpeg must both be present or both be null/],
      ['an unknown field', withAlert({ ...alert, extra: 1 }), /reads\.0\.alert: Unrecognized key/],
      ['an alert on a plain read', withAlert(alert, { dataClass: 'read' }), /reads\.0\.alert: only a hit/],
    ];
    for (const [what, bad, expected] of cases) {
      const parsed = parseBatch([bad]);
      assert.equal(parsed.ok, false, `${what}: accepted`);
      if (parsed.ok) continue;
      assert.equal(parsed.code, 'INVALID', what);
      assert.equal(parsed.ref, 'b-1', what);
      assert.match(parsed.reason, expected, `${what}: ${parsed.reason}`);
    }
  });

  it('keeps an alert it cannot carry on the device, with the reason', () => {
    const big: StoredRead = { ...stored, alert: { ...stored.alert!, frame: { ...stored.alert!.frame!, jpeg: Buffer.alloc(LIMITS.frameBytes + 1) } } };
    const refused = toUploadRead(big);
    assert.equal(refused.ok, false);
    assert.match(!refused.ok ? refused.reason : '', /alert\.frameJpeg: 8388609 bytes, not within the protocol's 1 to 8388608/);

    const noMatches: StoredRead = { ...stored, alert: { ...stored.alert!, matches: [] } };
    const refused2 = toUploadRead(noMatches);
    assert.equal(refused2.ok, false);
    assert.match(!refused2.ok ? refused2.reason : '', /alert\.matches/);
  });

  it('carries an alert whose frame could not be kept, with why', async () => {
    const [, shot] = await sceneShots();
    const alert = alertFor(shot, { frame: false });
    await store.putAlert(alert);
    const converted = toUploadRead((await store.get(alert.read.id))!);
    assert.ok(converted.ok, converted.ok ? '' : converted.reason);
    assert.equal(converted.read.alert?.frameJpeg, null);
    assert.equal(converted.read.alert?.frame, null);
    assert.equal(converted.read.alert?.frameMissing, 'frame not available');
    const parsed = parseBatch([converted.read]);
    assert.ok(parsed.ok, parsed.ok ? '' : parsed.reason);
  });

  it('takes every frame the store takes', () => {
    assert.equal(LIMITS.frameBytes, READ_LIMITS.frameBytes);
  });

  it('encodes a message the size the bound allows', () => {
    const read = uploadForm();
    const text = encodeMessage({ type: 'reads', batch: 'b-1', lane: 'alert', reads: [read] });
    assert.ok(Buffer.byteLength(text) <= encodedBoundBytes(read) + 1024);
  });
});
