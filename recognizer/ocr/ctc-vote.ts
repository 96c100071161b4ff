import { ctcGreedyDecode } from './ctc-decode';
import { toPlateReading, type PlateReading } from './plate-reading';

/** One view's CTC output: `steps x classes` softmax probabilities starting at `offset`. */
export interface CtcView {
  probs: Float32Array;
  offset: number;
  steps: number;
  classes: number;
}

const MAX_ALTERNATIVES = 5;

/** The view's best-path reading (greedy CTC decoding), with one-character alternatives. */
export function greedyReading(view: CtcView, labels: readonly string[]): PlateReading {
  return toPlateReading(ctcGreedyDecode(view.probs, view.offset, view.steps, view.classes, labels));
}

/**
 * Whether the views all read the same non-empty text with every character at least
 * `minCharConfidence` sure: then more views of the plate would only agree.
 */
export function viewsAgreeSurely(views: CtcView[], labels: readonly string[], minCharConfidence: number): boolean {
  const readings = views.map((v) => greedyReading(v, labels));
  return (
    readings.length > 0 &&
    readings[0].text.length > 0 &&
    readings.every((r) => r.text === readings[0].text && r.charConfidences.every((p) => p >= minCharConfidence))
  );
}
const LOG_FLOOR = -1e9;

/**
 * log P(text | view) under CTC: the probability of every alignment of `label` (class indices,
 * no blanks) summed by the forward algorithm, scaled per step so long outputs do not underflow.
 * -Infinity when the text cannot be aligned in the view's steps.
 */
export function ctcLogLikelihood(view: CtcView, label: number[]): number {
  const { probs, offset, steps, classes } = view;
  const states = 2 * label.length + 1;
  // State s is blank when even, label[(s - 1) / 2] when odd.
  const cls = (s: number) => (s % 2 === 0 ? 0 : label[(s - 1) >> 1]);
  let alpha = new Float64Array(states);
  let next = new Float64Array(states);
  alpha[0] = probs[offset];
  if (states > 1) alpha[1] = probs[offset + cls(1)];
  let logScale = 0;
  for (let t = 1; t < steps; t++) {
    const base = offset + t * classes;
    let total = 0;
    for (let s = 0; s < states; s++) {
      let a = alpha[s];
      if (s > 0) a += alpha[s - 1];
      // A skip over the blank between two characters, allowed unless they are the same class.
      if (s > 1 && s % 2 === 1 && label[(s - 1) >> 1] !== label[(s - 3) >> 1]) a += alpha[s - 2];
      const v = a * probs[base + cls(s)];
      next[s] = v;
      total += v;
    }
    if (total <= 0) return -Infinity;
    for (let s = 0; s < states; s++) next[s] /= total;
    logScale += Math.log(total);
    [alpha, next] = [next, alpha];
  }
  const end = alpha[states - 1] + (states > 1 ? alpha[states - 2] : 0);
  return end > 0 ? logScale + Math.log(end) : -Infinity;
}

/**
 * Several readings of one plate (views of it, models) as one reading. Every text any view read,
 * with each view's one-character alternatives, is scored by its CTC probability under every
 * view; a text's score is the mean of those probabilities, so one clear view outweighs views
 * that cut a character off. The best scoring text is the reading; its confidence is that score
 * per character (a geometric mean, comparable across lengths). Each alternative's confidence is
 * the reading's times the likelihood ratio of the two texts: a text the views found ten times
 * less likely is offered at a tenth of the confidence, so format rules downstream weigh the
 * model's real doubt instead of a per-character average that hides it.
 */
export function voteCtcViews(views: CtcView[], labels: readonly string[]): PlateReading | null {
  const greedy = views.map((v) => greedyReading(v, labels));
  const texts = new Set<string>();
  for (const r of greedy) {
    if (r.text) texts.add(r.text);
    for (const a of r.alternatives) texts.add(a.text);
  }
  const index = new Map(labels.map((l, i) => [l, i]));
  const scored = [...texts].map((text) => {
    const label = [...text].map((c) => index.get(c) ?? -1);
    if (label.some((i) => i < 0)) return { text, score: -Infinity };
    const logs = views.map((v) => ctcLogLikelihood(v, label));
    const max = Math.max(...logs);
    const score = max === -Infinity ? -Infinity : max + Math.log(logs.reduce((sum, l) => sum + Math.exp(l - max), 0) / views.length);
    return { text, score };
  });
  scored.sort((a, b) => b.score - a.score);
  const best = scored[0];
  if (!best || best.score === -Infinity) return null;
  const confidence = Math.exp(Math.max(best.score, LOG_FLOOR) / best.text.length);
  // Per-character confidences from the views that read the winning text, the surest of each.
  const agreeing = greedy.filter((r) => r.text === best.text);
  const charConfidences = agreeing.length
    ? [...best.text].map((_, k) => Math.max(...agreeing.map((r) => r.charConfidences[k])))
    : [...best.text].map(() => confidence);
  const alternatives = scored
    .slice(1, 1 + MAX_ALTERNATIVES)
    .filter((s) => s.score > -Infinity)
    .map((s) => ({ text: s.text, confidence: confidence * Math.exp(s.score - best.score) }));
  return { text: best.text, confidence, charConfidences, alternatives };
}
