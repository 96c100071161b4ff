/** One character read by CTC decoding, with the time step it came from. */
export interface DecodedChar {
  char: string;
  prob: number;
  /** Best other class at the same step and its probability (for alternative readings). */
  second: { char: string | null; prob: number };
}

/**
 * Greedy CTC decoding of one sequence: best class per step, repeats merged, blanks dropped.
 * `probs` holds `steps * classes` softmax outputs; `labels[i]` is class i's text ('' = blank).
 */
export function ctcGreedyDecode(probs: Float32Array, offset: number, steps: number, classes: number, labels: readonly string[]): DecodedChar[] {
  const out: DecodedChar[] = [];
  let previous = -1;
  for (let t = 0; t < steps; t++) {
    const base = offset + t * classes;
    let best = 0;
    let bestP = -1;
    let second = 0;
    let secondP = -1;
    for (let c = 0; c < classes; c++) {
      const p = probs[base + c];
      if (p > bestP) {
        second = best;
        secondP = bestP;
        best = c;
        bestP = p;
      } else if (p > secondP) {
        second = c;
        secondP = p;
      }
    }
    if (best !== 0 && best !== previous) {
      out.push({ char: labels[best], prob: bestP, second: { char: second === 0 ? null : labels[second], prob: secondP } });
    } else if (best !== 0 && best === previous) {
      // The same character held over several steps: keep its most confident step.
      const last = out[out.length - 1];
      if (bestP > last.prob) out[out.length - 1] = { char: labels[best], prob: bestP, second: { char: second === 0 ? null : labels[second], prob: secondP } };
    }
    previous = best;
  }
  return out;
}
