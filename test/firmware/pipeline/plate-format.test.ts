import assert from 'node:assert/strict';
import type { PlateCandidate } from '../../../recognizer/candidate';
import { formatCandidate, rankCandidates } from '../../../firmware/pipeline/format-candidates';
import { PlateFormatRules } from '../../../firmware/pipeline/plate-format';
import { shapeToRegex, US_PLATE_FORMATS } from '../../../firmware/pipeline/us-plate-formats';

function candidate(text: string, confidence: number, alternatives: { text: string; confidence: number }[] = []): PlateCandidate {
  const quad = [{ x: 0, y: 0 }, { x: 100, y: 0 }, { x: 100, y: 30 }, { x: 0, y: 30 }] as PlateCandidate['quad'];
  return { text, confidence, charConfidences: [...text].map(() => confidence), alternatives, quad, crop: Buffer.from('jpeg') };
}

describe('plate-format rules', () => {
  const us = new PlateFormatRules({ region: 'us', mode: 'downrank', custom: [] });

  it('names the US format a text matches, and none for text no state issues', () => {
    assert.equal(us.formatOf('7ABC123'), 'CA 1ABC234');
    assert.equal(us.formatOf('ABC1234'), 'TX/NY/PA/OH/NC/VA/GA/AZ/WA ABC1234');
    assert.equal(us.formatOf('AB1C2D'), 'MO AB1C2D');
    assert.equal(us.formatOf('WASHINGTON'), null);
    assert.equal(us.formatOf('7ABC12345'), null);
  });

  it('keeps a text that matches a format at full rank', () => {
    assert.deepEqual(us.apply('7ABC123', 0.9), { text: '7ABC123', confidence: 0.9, format: 'CA 1ABC234', rank: 0.9 });
  });

  it('ranks text that fits no format below text that does, vanity text lower, clutter lowest', () => {
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

  it('applies custom formats first, under their own names, anchored', () => {
    const rules = new PlateFormatRules({ region: 'none', mode: 'filter', custom: [{ name: 'fleet', pattern: 'SL[0-9]{4}' }] });
    assert.equal(rules.apply('SL1234', 0.9)?.format, 'fleet');
    assert.equal(rules.apply('7ABC123', 0.9), null);
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

describe('formatCandidate', () => {
  const us = new PlateFormatRules({ region: 'us', mode: 'downrank', custom: [] });

  it('prefers a close alternative that fits a format to a reading that fits none', () => {
    // An O read where a Missouri plate has a zero, the zero a close second.
    const c = formatCandidate(candidate('MLOC2S', 0.9, [{ text: 'ML0C2S', confidence: 0.8 }]), us);
    assert.equal(c?.text, 'ML0C2S');
    assert.equal(c?.format, 'MO AB1C2D');
    assert.deepEqual(c?.alternatives.map((a) => a.text), ['MLOC2S']);
  });

  it('keeps a sure reading over a format the recognizer found unlikely', () => {
    // 1268205 fits no format; I268205 would, but the recognizer gave the I little chance.
    const c = formatCandidate(candidate('1268205', 0.99, [{ text: 'I268205', confidence: 0.3 }]), us);
    assert.equal(c?.text, '1268205');
    assert.equal(c?.format, null);
  });

  it('drops a candidate whose readings all fail filter mode', () => {
    const filter = new PlateFormatRules({ region: 'us', mode: 'filter', custom: [] });
    assert.equal(formatCandidate(candidate('TEXAS', 0.99, [{ text: 'TEXA5', confidence: 0.2 }]), filter), null);
  });

  it('ranks a still image\'s candidates: the plate above the state name and dealer text', () => {
    const ranked = rankCandidates([candidate('CALIFORNIA', 0.99), candidate('7ABC123', 0.9), candidate('TOYOTA', 0.97)], us);
    assert.deepEqual(ranked.map((c) => c.text), ['7ABC123', 'TOYOTA', 'CALIFORNIA']);
  });
});
