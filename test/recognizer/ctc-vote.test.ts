import assert from 'node:assert/strict';
import { ctcLogLikelihood, ctcView, viewsAgreeSurely, voteCtcViews, type CtcView } from '../../recognizer/ocr/ctc-vote';

const LABELS = ['', 'A', 'B', '8'];

/** A view whose step t puts `sure` on the class of path[t] ('' = blank) and spreads the rest. */
function view(path: string[], sure = 0.9, overrides: Record<number, Record<string, number>> = {}): CtcView {
  const classes = LABELS.length;
  const probs = new Float32Array(path.length * classes);
  path.forEach((char, t) => {
    const row = overrides[t] ?? { [char]: sure };
    const named = Object.values(row).reduce((a, b) => a + b, 0);
    const rest = (1 - named) / (classes - Object.keys(row).length);
    LABELS.forEach((label, c) => (probs[t * classes + c] = row[label] ?? rest));
  });
  return ctcView(probs, 0, path.length, classes, LABELS);
}

/** Every way of spelling `label` in `steps` CTC steps, by enumeration (small cases only). */
function bruteForce(v: CtcView, label: number[]): number {
  let total = 0;
  const walk = (t: number, path: number[]) => {
    if (t === v.steps) {
      const collapsed: number[] = [];
      path.forEach((c, i) => {
        if (c !== 0 && c !== path[i - 1]) collapsed.push(c);
      });
      if (collapsed.join(',') === label.join(',')) total += path.reduce((p, c, i) => p * v.probs[v.offset + i * v.classes + c], 1);
      return;
    }
    for (let c = 0; c < v.classes; c++) walk(t + 1, [...path, c]);
  };
  walk(0, []);
  return total;
}

describe('ctcLogLikelihood', () => {
  it('sums every alignment of the text, repeated characters included', () => {
    // A seeded pseudo-random softmax table: no structure the forward pass could lean on.
    let seed = 7;
    const rand = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    const steps = 6;
    const probs = new Float32Array(steps * LABELS.length);
    for (let t = 0; t < steps; t++) {
      const row = LABELS.map(() => rand() + 0.05);
      const sum = row.reduce((a, b) => a + b, 0);
      row.forEach((p, c) => (probs[t * LABELS.length + c] = p / sum));
    }
    const v = ctcView(probs, 0, steps, LABELS.length, LABELS);
    for (const label of [[], [1], [1, 2], [1, 1], [3, 1, 3], [2, 2, 2]]) {
      const expected = bruteForce(v, label);
      assert.ok(Math.abs(Math.exp(ctcLogLikelihood(v, label)) - expected) < 1e-6 * Math.max(1, expected), `label ${label}`);
    }
  });

  it('keeps a probability far below the smallest double in log space', () => {
    // 32 steps where the blank has 1e-20: the empty text's probability is 1e-640.
    const steps = 32;
    const probs = new Float32Array(steps * LABELS.length);
    for (let t = 0; t < steps; t++) probs.set([1e-20, 0.5, 0.25, 0.25 - 1e-20], t * LABELS.length);
    const log = ctcLogLikelihood(ctcView(probs, 0, steps, LABELS.length, LABELS), []);
    const expected = steps * Math.log(probs[0]);
    assert.ok(Math.abs(log - expected) < 1e-6 * Math.abs(expected), `${log} against ${expected}`);
  });

  it('reads from the view offset, and says impossible when a text needs more steps than there are', () => {
    const a = view(['A', '', 'B']);
    const padded = new Float32Array(a.probs.length + 8);
    padded.set(a.probs, 8);
    assert.equal(ctcLogLikelihood({ ...a, probs: padded, offset: 8 }, [1, 2]), ctcLogLikelihood(a, [1, 2]));
    // "AA" needs a blank between the two As: three steps, and there are two.
    assert.equal(ctcLogLikelihood(view(['A', 'A']), [1, 1]), -Infinity);
  });
});

describe('voteCtcViews', () => {
  it('takes the text one clear view reads over views that each lost a character', () => {
    const clear = view(['A', '', 'B', '', '8']);
    // The bands cut the last character off, but are unsure of it, not sure of its absence.
    const cut = view(['A', '', 'B', '', ''], 0.9, { 4: { '': 0.55, '8': 0.4 } });
    const reading = voteCtcViews([cut, cut, clear], LABELS);
    assert.equal(reading?.text, 'AB8');
    assert.equal(reading?.alternatives[0].text, 'AB');
  });

  it('gives an alternative its likelihood ratio to the reading, not a per-character average', () => {
    // Step 2 is B at 0.7 and 8 at 0.2: AB8 is 3.5 times as likely as A88.
    const v = view(['A', '', 'B', '', '8'], 0.9, { 2: { B: 0.7, '8': 0.2 } });
    const reading = voteCtcViews([v], LABELS)!;
    assert.equal(reading.text, 'AB8');
    const alt = reading.alternatives.find((a) => a.text === 'A88')!;
    const ratio = reading.confidence / alt.confidence;
    assert.ok(ratio > 3 && ratio < 4, `ratio ${ratio}`);
    assert.ok(reading.confidence > 0.5 && reading.confidence <= 1);
    assert.deepEqual(reading.charConfidences.map((p) => Math.round(p * 10) / 10), [0.9, 0.7, 0.9]);
  });

  it('returns nothing when no view reads a character', () => {
    assert.equal(voteCtcViews([view(['', '', ''])], LABELS), null);
    assert.equal(voteCtcViews([], LABELS), null);
  });
});

describe('viewsAgreeSurely', () => {
  const sure = view(['A', '', 'B', '', '8'], 0.97);
  it('holds when every view reads the same text with every character sure', () => {
    assert.equal(viewsAgreeSurely([sure, sure], 0.95), true);
  });
  it('fails on one unsure character, a different text, or no text', () => {
    assert.equal(viewsAgreeSurely([sure, view(['A', '', 'B', '', '8'], 0.97, { 2: { B: 0.9 } })], 0.95), false);
    assert.equal(viewsAgreeSurely([sure, view(['A', '', '8', '', '8'], 0.97)], 0.95), false);
    assert.equal(viewsAgreeSurely([view(['', '', ''])], 0.95), false);
    assert.equal(viewsAgreeSurely([], 0.95), false);
  });
});
