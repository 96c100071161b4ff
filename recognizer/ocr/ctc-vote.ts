import { ctcGreedyDecode } from './ctc-decode';
import { MAX_ALTERNATIVES, toPlateReading, type PlateReading } from './plate-reading';

/**
 * One view's CTC output: `steps x classes` softmax probabilities starting at `offset`, and its
 * best-path reading (greedy decoding, with one-character alternatives), decoded once.
 */
export interface CtcView {
  probs: Float32Array;
  offset: number;
  steps: number;
  classes: number;
  reading: PlateReading;
}

const LOG_FLOOR = -1e9;
/** Forward sums under this are scaled back to 1 (and the scale kept in log space). */
const RESCALE_BELOW = 1e-100;

/** A view of `probs` from `offset`, with its best-path reading. */
export function ctcView(probs: Float32Array, offset: number, steps: number, classes: number, labels: readonly string[]): CtcView {
  return { probs, offset, steps, classes, reading: toPlateReading(ctcGreedyDecode(probs, offset, steps, classes, labels)) };
}

/**
 * Whether the views all read the same non-empty text with every character at least
 * `minCharConfidence` sure: then more views of the plate would only agree.
 */
export function viewsAgreeSurely(views: CtcView[], minCharConfidence: number): boolean {
  const first = views[0]?.reading.text;
  return !!first && views.every(({ reading }) => reading.text === first && reading.charConfidences.every((p) => p >= minCharConfidence));
}

/**
 * log P(text | view) under CTC: the probability of every alignment of `label` (class indices,
 * no blanks) summed by the forward algorithm, rescaled whenever the sum grows small enough to
 * risk underflow.
 * -Infinity when the text cannot be aligned in the view's steps.
 */
export function ctcLogLikelihood(view: CtcView, label: number[]): number {
  const { probs, offset, steps, classes } = view;
  const states = 2 * label.length + 1;
  const { stateClass, canSkip, alpha: a0, next: n0 } = scratch(states);
  // State s is blank when even, label[(s - 1) / 2] when odd; an odd state may skip the blank
  // before it unless the character before is the same class.
  for (let s = 0; s < states; s++) {
    const odd = s % 2 === 1;
    stateClass[s] = odd ? label[(s - 1) >> 1] : 0;
    canSkip[s] = odd && s > 1 && label[(s - 1) >> 1] !== label[(s - 3) >> 1] ? 1 : 0;
  }
  let alpha = a0;
  let next = n0;
  alpha.fill(0, 0, states);
  alpha[0] = probs[offset];
  if (states > 1) alpha[1] = probs[offset + stateClass[1]];
  let logScale = 0;
  for (let t = 1; t < steps; t++) {
    const base = offset + t * classes;
    let total = 0;
    for (let s = 0; s < states; s++) {
      let a = alpha[s];
      if (s > 0) a += alpha[s - 1];
      if (canSkip[s]) a += alpha[s - 2];
      const v = a * probs[base + stateClass[s]];
      next[s] = v;
      total += v;
    }
    if (total <= 0) return -Infinity;
    if (total < RESCALE_BELOW) {
      const inv = 1 / total;
      for (let s = 0; s < states; s++) next[s] *= inv;
      logScale += Math.log(total);
    }
    [alpha, next] = [next, alpha];
  }
  const end = alpha[states - 1] + (states > 1 ? alpha[states - 2] : 0);
  return end > 0 ? logScale + Math.log(end) : -Infinity;
}

// Buffers of the forward pass, reused: a plate's vote runs it a few hundred times.
let buffers = { stateClass: new Int32Array(0), canSkip: new Uint8Array(0), alpha: new Float64Array(0), next: new Float64Array(0) };
function scratch(states: number): typeof buffers {
  if (buffers.alpha.length < states) {
    const n = Math.max(states, 2 * buffers.alpha.length);
    buffers = { stateClass: new Int32Array(n), canSkip: new Uint8Array(n), alpha: new Float64Array(n), next: new Float64Array(n) };
  }
  return buffers;
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
  const greedy = views.map((v) => v.reading);
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
