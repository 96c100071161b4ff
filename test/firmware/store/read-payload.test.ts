import assert from 'node:assert/strict';
import { decodeReadPayload, encodeReadPayload } from '../../../firmware/store/read-payload';
import { fixtureRead } from './read-fixtures';

describe('read payload', () => {
  const read = fixtureRead(7);
  const payload = { plate: read.plate, alternatives: read.alternatives, quad: read.quad, crop: read.crop };

  it('round-trips plate, alternatives, quad and crop', () => {
    assert.deepEqual(decodeReadPayload(encodeReadPayload(read)), payload);
  });

  it('stores the crop as raw bytes after the JSON part, not inside it', () => {
    const bytes = encodeReadPayload(read);
    const jsonLength = bytes.readUInt32BE(1);
    assert.deepEqual(bytes.subarray(5 + jsonLength), read.crop);
    assert.equal(bytes.length, 5 + jsonLength + read.crop.length);
  });

  it('says what is wrong with damaged bytes', () => {
    const bytes = encodeReadPayload(read);
    assert.throws(() => decodeReadPayload(bytes.subarray(0, 3)), /shorter than its header/);
    const badLayout = Buffer.from(bytes);
    badLayout[0] = 9;
    assert.throws(() => decodeReadPayload(badLayout), /layout 9 is unknown/);
    const badLength = Buffer.from(bytes);
    badLength.writeUInt32BE(bytes.length, 1);
    assert.throws(() => decodeReadPayload(badLength), /JSON part is \d+ bytes but only/);
    const badJson = Buffer.from(bytes);
    badJson[5] = 0x7d; // the opening '{' becomes '}'
    assert.throws(() => decodeReadPayload(badJson), /does not parse/);
  });

  it('refuses JSON of the wrong shape', () => {
    const json = Buffer.from(JSON.stringify({ plate: 'ABC123', alternatives: [], quad: [{ x: 1, y: 2 }] }));
    const header = Buffer.alloc(5);
    header[0] = 1;
    header.writeUInt32BE(json.length, 1);
    assert.throws(() => decodeReadPayload(Buffer.concat([header, json])), /quad is not four/);
  });
});
