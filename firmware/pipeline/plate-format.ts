import { shapeToRegex, US_PLATE_FORMATS } from './us-plate-formats';

export type FormatRegion = 'us' | 'none';
export type FormatMode = 'downrank' | 'filter';

export interface PlateFormatConfig {
  region: FormatRegion;
  /** downrank: text matching no format is kept with a lower rank; filter: it is dropped. */
  mode: FormatMode;
  /** Extra formats, e.g. an agency's own fleet plates; the regex must match the whole plate. */
  custom: { name: string; pattern: string }[];
}

interface NamedFormat {
  name: string;
  regex: RegExp;
}

/** A reading after the format rules: possibly corrected text, its format, and how to rank it. */
export interface FormattedReading {
  text: string;
  /** Recognizer confidence, lowered for each confusable character the rules swapped. */
  confidence: number;
  /** Name of the format the text matches, or null. */
  format: string | null;
  /** What to sort readings by: confidence times how plate-like the text is. */
  rank: number;
}

// Characters plate fonts make look alike, letter to digit and back, with what a swap costs.
// O/0 and I/1 are the same glyph on many states' plates, so only the format can tell them
// apart and a swap is cheap; for the others the recognizer's certainty decides.
interface Swap {
  to: string;
  /** Confidence factor for a swap of a character read with certainty 1; less sure reads cost less. */
  cost: number;
}
const NEAR_IDENTICAL = 0.85;
const LOOK_ALIKE = 0.4;
const RESEMBLING = 0.2;
const LETTER_TO_DIGIT: Record<string, Swap> = {
  O: { to: '0', cost: NEAR_IDENTICAL },
  I: { to: '1', cost: NEAR_IDENTICAL },
  Q: { to: '0', cost: LOOK_ALIKE },
  D: { to: '0', cost: LOOK_ALIKE },
  Z: { to: '2', cost: LOOK_ALIKE },
  B: { to: '8', cost: LOOK_ALIKE },
  S: { to: '5', cost: LOOK_ALIKE },
  G: { to: '6', cost: LOOK_ALIKE },
  L: { to: '1', cost: RESEMBLING },
  T: { to: '1', cost: RESEMBLING },
  A: { to: '4', cost: RESEMBLING },
};
const DIGIT_TO_LETTER: Record<string, Swap> = {
  '0': { to: 'O', cost: NEAR_IDENTICAL },
  '1': { to: 'I', cost: NEAR_IDENTICAL },
  '2': { to: 'Z', cost: LOOK_ALIKE },
  '8': { to: 'B', cost: LOOK_ALIKE },
  '5': { to: 'S', cost: LOOK_ALIKE },
  '6': { to: 'G', cost: LOOK_ALIKE },
  '4': { to: 'A', cost: RESEMBLING },
};

function swapFactor(swap: Swap, certainty: number): number {
  return swap.cost + (1 - swap.cost) * (1 - certainty);
}
/** How plate-like a text is when it matches no known format. */
const PRIOR_FORMAT = 1;
const PRIOR_PLAUSIBLE = 0.6;
const PRIOR_VANITY = 0.35;
const PRIOR_IMPLAUSIBLE = 0.1;
const PLAUSIBLE = /^[A-Z0-9]{2,8}$/;

export class PlateFormatRules {
  private readonly formats: NamedFormat[];
  /** Formats that can be written as letter/digit shapes, for confusion-aware correction. */
  private readonly shapes: { name: string; shape: string }[];

  constructor(private readonly config: PlateFormatConfig) {
    this.shapes = config.region === 'us' ? US_PLATE_FORMATS : [];
    this.formats = [
      ...config.custom.map((c) => ({ name: c.name, regex: new RegExp(`^(?:${c.pattern})$`) })),
      ...this.shapes.map((s) => ({ name: s.name, regex: shapeToRegex(s.shape) })),
    ];
  }

  /** The first format the text matches, or null. */
  formatOf(text: string): string | null {
    return this.formats.find((f) => f.regex.test(text))?.name ?? null;
  }

  /**
   * Scores a reading; when it matches no format but swapping look-alike characters (O/0, I/1,
   * B/8, ...) makes it match one, the swapped text is returned with its confidence lowered per
   * swap. Returns null in filter mode for text that cannot be a plate.
   */
  apply(text: string, confidence: number, charConfidences: number[] = []): FormattedReading | null {
    const direct = this.formatOf(text);
    if (direct) return { text, confidence, format: direct, rank: confidence * PRIOR_FORMAT };
    const corrected = this.correctToShape(text, confidence, charConfidences);
    const plausible = PLAUSIBLE.test(text);
    // With no formats configured, filtering can only mean dropping what cannot be a plate at all.
    const keepUnformatted = this.config.mode === 'downrank' || (this.formats.length === 0 && plausible);
    const prior = !plausible ? PRIOR_IMPLAUSIBLE : /[0-9]/.test(text) ? PRIOR_PLAUSIBLE : PRIOR_VANITY;
    const unformatted = keepUnformatted ? { text, confidence, format: null, rank: confidence * prior } : null;
    // A swap is only worth it when the swapped text ranks above the text as read.
    if (corrected && (!unformatted || corrected.rank > unformatted.rank)) return corrected;
    return unformatted;
  }

  private correctToShape(text: string, confidence: number, charConfidences: number[]): FormattedReading | null {
    let best: FormattedReading | null = null;
    for (const { name, shape } of this.shapes) {
      if (shape.length !== text.length) continue;
      let out = '';
      let conf = confidence;
      let ok = true;
      for (let i = 0; i < text.length && ok; i++) {
        const c = text[i];
        const wantDigit = shape[i] === '#';
        const isDigit = c >= '0' && c <= '9';
        if (wantDigit === isDigit) {
          out += c;
          continue;
        }
        const swap = wantDigit ? LETTER_TO_DIGIT[c] : DIGIT_TO_LETTER[c];
        if (!swap) ok = false;
        else {
          out += swap.to;
          conf *= swapFactor(swap, charConfidences[i] ?? 1);
        }
      }
      if (ok && (!best || conf > best.confidence)) best = { text: out, confidence: conf, format: name, rank: conf * PRIOR_FORMAT };
    }
    return best;
  }
}
