import assert from 'node:assert/strict';
import cv = require('../../drivers/opencv');
import { decodeEncoded, wrapRaw } from '../../recognizer/image-decode';
import { RecognizerError } from '../../recognizer/recognizer-error';

function sample(ext: '.jpg' | '.png'): Buffer {
  const mat = new cv.Mat(60, 80, cv.CV_8UC3, [10, 200, 30]);
  return cv.imencode(ext, mat);
}

function decodeError(name: string, bytes: Buffer): RecognizerError {
  try {
    decodeEncoded(name, bytes);
  } catch (err) {
    assert.ok(err instanceof RecognizerError);
    return err;
  }
  assert.fail(`${name} decoded`);
}

describe('image decoding', () => {
  it('decodes JPEG and PNG to BGR of the right size and colour', () => {
    for (const ext of ['.jpg', '.png'] as const) {
      const mat = decodeEncoded(`sample${ext}`, sample(ext));
      assert.equal(mat.rows, 60);
      assert.equal(mat.cols, 80);
      assert.equal(mat.channels, 3);
      const [b, g, r] = mat.atRaw(30, 40) as unknown as number[];
      assert.ok(Math.abs(b - 10) < 8 && Math.abs(g - 200) < 8 && Math.abs(r - 30) < 8, `pixel ${b},${g},${r}`);
    }
  });

  it('refuses a truncated JPEG or PNG, naming the image', () => {
    for (const ext of ['.jpg', '.png'] as const) {
      const bytes = sample(ext);
      const err = decodeError(`cut${ext}`, bytes.subarray(0, bytes.length >> 1));
      assert.equal(err.code, 'IMAGE_CORRUPT');
      assert.match(err.message, new RegExp(`image cut\\${ext}: .*truncated`));
    }
  });

  it('refuses a JPEG whose data is garbage after the header', () => {
    const bytes = sample('.jpg');
    const garbage = Buffer.concat([bytes.subarray(0, 4), Buffer.alloc(200, 0x55), Buffer.from([0xff, 0xd9])]);
    assert.equal(decodeError('garbage.jpg', garbage).code, 'IMAGE_CORRUPT');
  });

  it('refuses files that are not images, and empty files', () => {
    const text = decodeError('notes.jpg', Buffer.from('plate list\n7ABC123\n'));
    assert.equal(text.code, 'IMAGE_UNSUPPORTED');
    assert.match(text.message, /notes\.jpg: not a JPEG, PNG/);
    assert.equal(decodeError('empty.png', Buffer.alloc(0)).code, 'IMAGE_CORRUPT');
  });

  it('checks raw frames hold as many bytes as their size says', () => {
    assert.equal(wrapRaw(4, 2, Buffer.alloc(24)).cols, 4);
    assert.throws(() => wrapRaw(4, 2, Buffer.alloc(23), 'frame 7'), (e: RecognizerError) => e.code === 'IMAGE_INVALID' && e.message.startsWith('frame 7'));
    assert.throws(() => wrapRaw(0, 2, Buffer.alloc(0)), (e: RecognizerError) => e.code === 'IMAGE_INVALID');
  });
});
