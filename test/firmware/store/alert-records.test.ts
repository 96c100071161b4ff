import assert from 'node:assert/strict';
import { SqliteReadStore } from '../../../firmware/store/sqlite-read-store';
import { StoreError } from '../../../firmware/store/store-error';
import { decodeReadPayload, encodeReadPayload } from '../../../firmware/store/read-payload';
import { correctRead } from '../../../firmware/store/record-actions';
import { useTempDir } from '../../support/temp-dir';
import { fixtureAlert } from './alert-fixture';
import { fixtureRead } from './read-fixtures';

/** The alert fixture for fixture read i. */
function alertOf(i: number, o: { staleLists?: string[]; noFrame?: boolean } = {}) {
  const read = fixtureRead(i);
  return fixtureAlert({ id: read.id, plate: read.plate, firstSeen: read.firstSeen, ...o });
}

describe('alerts in the store', () => {
  const dir = useTempDir('sightline-alert-store-');

  it('keeps an alert sealed as a hit: matches, advisory and the exact frame bytes come back after a reopen', async () => {
    const alert = alertOf(1, { staleLists: ['CA-SVS'] });
    let store = await SqliteReadStore.open(dir());
    await store.putAlert(alert);
    await store.put(fixtureRead(2));
    await store.close();
    store = await SqliteReadStore.open(dir());
    try {
      const got = await store.get(alert.read.id);
      assert.ok(got?.alert);
      assert.equal(got.dataClass, 'hit');
      assert.deepEqual(got.crop, alert.read.crop);
      assert.deepEqual(got.alert.frame?.jpeg, alert.details.frame?.jpeg);
      assert.deepEqual(got.alert.matches, alert.details.matches);
      assert.match(got.alert.advisory, /Confirm the plate characters visually/);
      assert.match(got.alert.advisory, /\nhotlist CA-SVS stale since \d{4}-\d\d-\d\dT/);
      assert.equal((await store.get(fixtureRead(2).id))?.alert, null, 'a plain read has no alert');
      const [first] = await store.nextUploadBatch(10);
      assert.equal(first.id, alert.read.id, 'alerts upload first');
    } finally {
      await store.close();
    }
  });

  it('keeps an alert without a frame, with the reason', async () => {
    const alert = alertOf(3, { noFrame: true });
    const store = await SqliteReadStore.open(dir());
    try {
      await store.putAlert(alert);
      const got = await store.get(alert.read.id);
      assert.equal(got?.alert?.frame, null);
      assert.equal(got?.alert?.frameMissing, 'frame dropped: recognizer busy');
    } finally {
      await store.close();
    }
  });

  it('keeps the alert through a correction of its plate', async () => {
    const alert = alertOf(4);
    const store = await SqliteReadStore.open(dir());
    try {
      await store.putAlert(alert);
      await correctRead(store, alert.read.id, 'ABC9999', { by: 'sgt.lee', reason: 'plate misread, checked against the frame' });
      const got = await store.get(alert.read.id);
      assert.equal(got?.plate, 'ABC9999');
      assert.equal(got?.originalPlate, alert.read.plate);
      assert.deepEqual(got?.alert?.frame?.jpeg, alert.details.frame?.jpeg);
    } finally {
      await store.close();
    }
  });

  it('refuses an alert whose details break their bounds, naming the read, and stores nothing', async () => {
    const alert = alertOf(5);
    const store = await SqliteReadStore.open(dir());
    try {
      const huge = { ...alert, details: { ...alert.details, frame: { jpeg: Buffer.alloc(9 * 1024 * 1024), width: 1, height: 1 } } };
      await assert.rejects(store.putAlert(huge), (err: StoreError) => err.code === 'STORE_INVALID_RECORD' && err.message.includes(alert.read.id) && /frame must be/.test(err.message));
      const noMatches = { ...alert, details: { ...alert.details, matches: [] } };
      await assert.rejects(store.putAlert(noMatches), (err: StoreError) => err.code === 'STORE_INVALID_RECORD' && /matches/.test(err.message));
      assert.equal(await store.count(), 0);
    } finally {
      await store.close();
    }
  });
});

describe('read payload layout 2 (alerts)', () => {
  const alert = alertOf(6);
  const payload = { ...alert.read, alert: alert.details };

  it('round-trips the crop and the frame as raw bytes after the JSON part', () => {
    const bytes = encodeReadPayload(payload);
    assert.equal(bytes[0], 2);
    const decoded = decodeReadPayload(bytes);
    assert.deepEqual(decoded.crop, alert.read.crop);
    assert.deepEqual(decoded.alert, alert.details);
    const jsonLength = bytes.readUInt32BE(1);
    assert.equal(bytes.length, 5 + jsonLength + alert.read.crop.length + alert.details.frame!.jpeg.length);
  });

  it('says what is wrong with a damaged alert payload', () => {
    const bytes = encodeReadPayload(payload);
    const frameBytes = alert.details.frame!.jpeg.length;
    assert.throws(() => decodeReadPayload(bytes.subarray(0, bytes.length - frameBytes)), /alert says it has a frame but no frame bytes follow/);
    const jsonLength = bytes.readUInt32BE(1);
    const json = JSON.parse(bytes.subarray(5, 5 + jsonLength).toString()) as { alert: { matches: unknown[] }; cropBytes: number };
    const rebuild = (j: unknown) => {
      const part = Buffer.from(JSON.stringify(j));
      const header = Buffer.alloc(5);
      header[0] = 2;
      header.writeUInt32BE(part.length, 1);
      return Buffer.concat([header, part, bytes.subarray(5 + jsonLength)]);
    };
    assert.throws(() => decodeReadPayload(rebuild({ ...json, alert: { ...json.alert, matches: [] } })), /payload alert is malformed: matches/);
    assert.throws(() => decodeReadPayload(rebuild({ ...json, cropBytes: 1e9 })), /crop is 1000000000 bytes but only/);
  });
});
