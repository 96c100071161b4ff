import assert from 'node:assert/strict';
import {
  displayText,
  formatRegExp,
  matchingFormats,
  PLATE_FORMATS,
  randomPlateText,
} from '../../../../drivers/camera/synthetic/plate-text';
import { Random } from '../../../../drivers/camera/synthetic/random';

describe('plate text', () => {
  it('declares formats whose display groups add up to the pattern', () => {
    const names = new Set<string>();
    for (const format of PLATE_FORMATS) {
      assert.match(format.pattern, /^[LD]{5,7}$/, format.name);
      assert.equal(format.groups.reduce((a, b) => a + b, 0), format.pattern.length, format.name);
      assert.ok(format.separators.length > 0 && format.regions.length > 0 && format.weight > 0, format.name);
      assert.ok(!names.has(format.name), `duplicate format name ${format.name}`);
      names.add(format.name);
    }
    // The brief's examples are all covered.
    for (const example of ['1ABC234', 'ABC1234', 'ABCD12', '123ABC', 'ABC123', 'AB123']) {
      assert.ok(matchingFormats(example).length > 0, `${example} fits no format`);
    }
  });

  it('generates A-Z/0-9 texts that match the format they came from, in many formats', () => {
    const rng = new Random(11);
    const texts = new Set<string>();
    const formats = new Set<string>();
    const lengths = new Set<number>();
    for (let i = 0; i < 2000; i += 1) {
      const plate = randomPlateText(rng);
      assert.match(plate.text, /^[A-Z0-9]+$/);
      assert.match(plate.text, formatRegExp(plate.format), `${plate.text} vs ${plate.format.name}`);
      assert.ok(matchingFormats(plate.text).includes(plate.format));
      assert.equal(plate.display.replace(/[ -]/g, ''), plate.text, 'display is the text plus separators only');
      assert.ok(plate.format.regions.includes(plate.region));
      texts.add(plate.text);
      formats.add(plate.format.name);
      lengths.add(plate.text.length);
    }
    assert.ok(texts.size > 1990, `only ${texts.size} distinct texts of 2000`);
    assert.equal(formats.size, PLATE_FORMATS.length, 'every format is used');
    assert.deepEqual([...lengths].sort(), [5, 6, 7]);
  });

  it('never starts a serial with the digit 0, as issuing states do not', () => {
    const rng = new Random(99);
    const digitFirst = Array.from({ length: 2000 }, () => randomPlateText(rng).text).filter((t) => /^[0-9]/.test(t));
    assert.ok(digitFirst.length > 200, 'digit-first formats are generated');
    assert.ok(digitFirst.every((t) => t[0] !== '0'));
  });

  it('is reproducible from the seed', () => {
    const a = Array.from({ length: 20 }, ((rng) => () => randomPlateText(rng).display)(new Random(4)));
    const b = Array.from({ length: 20 }, ((rng) => () => randomPlateText(rng).display)(new Random(4)));
    assert.deepEqual(a, b);
  });

  it('inserts the separator between groups and rejects texts of other shapes', () => {
    const ny = PLATE_FORMATS.find((f) => f.name === 'three-letters-four-digits');
    assert.ok(ny);
    assert.equal(displayText(ny, 'ABC1234', '-'), 'ABC-1234');
    assert.equal(displayText(ny, 'ABC1234', ''), 'ABC1234');
    const re = formatRegExp(ny);
    assert.ok(re.test('ABC1234'));
    for (const bad of ['ABC123', 'ABC12345', 'AB01234', 'abc1234', 'ABC-1234', 'AOC1234']) assert.ok(!re.test(bad), bad);
  });
});
