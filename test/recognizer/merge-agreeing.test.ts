import assert from 'node:assert/strict';
import { mergeAgreeing, oneReadingPerRegion } from '../../recognizer/plate-reader';
import type { PlateReading } from '../../recognizer/ocr/plate-reading';

function reading(text: string, confidence: number, alternatives: PlateReading['alternatives'] = []): PlateReading {
  return { text, confidence, charConfidences: [...text].map(() => confidence), alternatives };
}

describe('mergeAgreeing', () => {
  it('merges two readers that agree into one more confident reading', () => {
    const [merged, ...rest] = mergeAgreeing([reading('7ABC123', 0.8, [{ text: '7ABC128', confidence: 0.3 }]), reading('7ABC123', 0.6, [{ text: '1ABC123', confidence: 0.2 }])]);
    assert.deepEqual(rest, []);
    assert.equal(merged.text, '7ABC123');
    assert.ok(Math.abs(merged.confidence - 0.92) < 1e-9, `1 - 0.2 * 0.4 = 0.92, got ${merged.confidence}`);
    assert.deepEqual(merged.alternatives.map((a) => a.text), ['7ABC128', '1ABC123']);
  });

  it('keeps disagreeing readings apart, in order', () => {
    assert.deepEqual(mergeAgreeing([reading('7ABC123', 0.8), reading('7A8C123', 0.7)]).map((r) => r.text), ['7ABC123', '7A8C123']);
  });
});

describe('oneReadingPerRegion', () => {
  it('keeps the most confident reading and offers the others and their alternatives, best first, once each', () => {
    const one = oneReadingPerRegion([
      reading('7ABC123', 0.7, [{ text: '7ABC128', confidence: 0.4 }]),
      reading('7A8C123', 0.9, [{ text: '7ABC123', confidence: 0.5 }, { text: '7ABC128', confidence: 0.3 }]),
    ]);
    assert.ok(one);
    assert.equal(one.text, '7A8C123');
    assert.equal(one.confidence, 0.9);
    assert.deepEqual(one.alternatives, [
      { text: '7ABC123', confidence: 0.7 },
      { text: '7ABC128', confidence: 0.4 },
    ]);
  });

  it('gives nothing for a region with no reading', () => {
    assert.equal(oneReadingPerRegion([]), null);
  });
});
