import assert from 'node:assert/strict';
import { PlateFormatRules } from '../../../firmware/pipeline/plate-format';
import { shapeToRegex, US_PLATE_FORMATS } from '../../../firmware/pipeline/us-plate-formats';

describe('plate-format rules', () => {
  const us = new PlateFormatRules({ region: 'us', mode: 'downrank', custom: [] });

  it('names the US format a text matches, and none for text no state issues', () => {
    assert.equal(us.formatOf('7ABC123'), 'CA 1ABC234');
    assert.equal(us.formatOf('ABC1234'), 'TX/NY/PA/OH/NC/VA/GA/AZ/WA ABC1234');
    assert.equal(us.formatOf('AB1C2D'), 'MO AB1C2D');
    assert.equal(us.formatOf('WASHINGTON'), null);
    assert.equal(us.formatOf('7ABC12345'), null);
  });

  it('keeps a text that matches a format as it is, at full rank', () => {
    const r = us.apply('7ABC123', 0.9, [0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9]);
    assert.deepEqual(r, { text: '7ABC123', confidence: 0.9, format: 'CA 1ABC234', rank: 0.9 });
  });

  it('swaps look-alike characters when that makes the text fit a format, at a cost', () => {
    // O read where a Missouri plate has a zero.
    const r = us.apply('MLOC2S', 0.9, [0.9, 0.9, 0.6, 0.9, 0.9, 0.9]);
    assert.ok(r);
    assert.equal(r.text, 'ML0C2S');
    assert.equal(r.format, 'MO AB1C2D');
    assert.ok(r.confidence < 0.9 && r.confidence > 0.5, `confidence ${r.confidence}`);
  });

  it('swaps a doubtful look-alike, but keeps one the recognizer was sure of', () => {
    const unsure = us.apply('7A8C123', 0.9, [1, 1, 0.3, 1, 1, 1, 1]);
    const sure = us.apply('7A8C123', 0.9, [1, 1, 1, 1, 1, 1, 1]);
    assert.equal(unsure?.text, '7ABC123');
    assert.equal(unsure?.format, 'CA 1ABC234');
    assert.equal(sure?.text, '7A8C123');
    assert.equal(sure?.format, null);
  });

  it('never swaps into a format when that ranks below the text as read', () => {
    // GOBEARS could be forced into 123ABC4 as 608EAR5, at the cost of five swaps.
    assert.deepEqual(us.apply('GOBEARS', 0.8), { text: 'GOBEARS', confidence: 0.8, format: null, rank: 0.8 * 0.35 });
  });

  it('ranks text that fits no format below text that does, and vanity text lower still', () => {
    const formatted = us.apply('7ABC123', 0.8)!;
    const plausible = us.apply('12AB34C9', 0.8)!;
    const vanity = us.apply('GOBEARS', 0.8)!;
    const clutter = us.apply('SUBJECTTOSEARCH', 0.8)!;
    assert.equal(plausible.format, null);
    assert.ok(formatted.rank > plausible.rank);
    assert.ok(plausible.rank > vanity.rank);
    assert.ok(vanity.rank > clutter.rank);
  });

  it('drops text matching no format in filter mode, keeps it in downrank mode', () => {
    const filter = new PlateFormatRules({ region: 'us', mode: 'filter', custom: [] });
    assert.equal(filter.apply('WASHINGTON', 0.99), null);
    assert.notEqual(filter.apply('7ABC123', 0.99), null);
    assert.notEqual(us.apply('WASHINGTON', 0.99), null);
  });

  it('applies custom formats first, under their own names', () => {
    const rules = new PlateFormatRules({ region: 'none', mode: 'filter', custom: [{ name: 'fleet', pattern: 'SL[0-9]{4}' }] });
    assert.equal(rules.apply('SL1234', 0.9)?.format, 'fleet');
    assert.equal(rules.apply('7ABC123', 0.9), null);
    // Anchored: a custom pattern never matches part of a longer text.
    assert.equal(rules.apply('XSL12345', 0.9), null);
  });

  it('with no formats at all, filter mode drops only what cannot be a plate', () => {
    const none = new PlateFormatRules({ region: 'none', mode: 'filter', custom: [] });
    assert.equal(none.apply('ABC123', 0.9)?.text, 'ABC123');
    assert.equal(none.apply('TOOLONGFORAPLATE', 0.9), null);
  });

  it('turns every built-in shape into an anchored letters/digits pattern', () => {
    for (const { shape } of US_PLATE_FORMATS) {
      const regex = shapeToRegex(shape);
      const sample = [...shape].map((c) => (c === '@' ? 'A' : '1')).join('');
      assert.ok(regex.test(sample), `${shape} matches ${sample}`);
      assert.ok(!regex.test(`${sample}1`), `${shape} is anchored`);
    }
  });
});
