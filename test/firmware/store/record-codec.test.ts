import assert from 'node:assert/strict';
import { PlainCodec, RecordCodecError, SealedFormat } from '../../../firmware/store/record-codec';
import { fixtureBytes } from './read-fixtures';

describe('PlainCodec', () => {
  const codec = new PlainCodec();
  const id = '00000000-0000-4000-8000-000000000001';
  const payload = fixtureBytes('payload', 3000);

  it('opens what it sealed, marking the format in the first byte', () => {
    const sealed = codec.seal(id, payload);
    assert.equal(sealed[0], SealedFormat.PLAIN_CRC32);
    assert.equal(sealed.length, payload.length + 5);
    assert.deepEqual(codec.open(id, sealed), payload);
    assert.deepEqual(codec.open(id, codec.seal(id, Buffer.alloc(0))), Buffer.alloc(0));
  });

  it('catches any single flipped bit', () => {
    const sealed = codec.seal(id, payload);
    for (const offset of [1, 4, 5, 100, sealed.length - 1]) {
      const damaged = Buffer.from(sealed);
      damaged[offset] ^= 0x10;
      assert.throws(() => codec.open(id, damaged), RecordCodecError, `offset ${offset}`);
    }
  });

  it('refuses a payload sealed for another record', () => {
    const sealed = codec.seal(id, payload);
    assert.throws(() => codec.open(`${id.slice(0, -1)}2`, sealed), /checksum mismatch/);
  });

  it('refuses unknown formats and truncated input, saying which', () => {
    const sealed = codec.seal(id, payload);
    const otherFormat = Buffer.from(sealed);
    otherFormat[0] = 0x02;
    assert.throws(() => codec.open(id, otherFormat), /format byte 0x02/);
    assert.throws(() => codec.open(id, sealed.subarray(0, 3)), /shorter than its 5-byte header/);
  });
});
