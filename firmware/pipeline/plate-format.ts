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

/** A reading after the format rules: its format, and how to rank it. */
export interface FormattedReading {
  text: string;
  confidence: number;
  /** Name of the format the text matches, or null. */
  format: string | null;
  /** What to sort readings by: confidence times how plate-like the text is. */
  rank: number;
}

/** How plate-like a text is when it matches no known format. */
const PRIOR_FORMAT = 1;
const PRIOR_PLAUSIBLE = 0.6;
const PRIOR_VANITY = 0.35;
const PRIOR_IMPLAUSIBLE = 0.1;
const PLAUSIBLE = /^[A-Z0-9]{2,8}$/;

export class PlateFormatRules {
  private readonly formats: NamedFormat[];

  constructor(private readonly config: PlateFormatConfig) {
    const shapes = config.region === 'us' ? US_PLATE_FORMATS : [];
    this.formats = [
      ...config.custom.map((c) => ({ name: c.name, regex: new RegExp(`^(?:${c.pattern})$`) })),
      ...shapes.map((s) => ({ name: s.name, regex: shapeToRegex(s.shape) })),
    ];
  }

  /** The first format the text matches, or null. */
  formatOf(text: string): string | null {
    return this.formats.find((f) => f.regex.test(text))?.name ?? null;
  }

  /**
   * Scores a reading: its confidence times how plate-like the text is (a known format, or at least
   * a plausible plate). Returns null in filter mode for text that matches no format.
   */
  apply(text: string, confidence: number): FormattedReading | null {
    const format = this.formatOf(text);
    if (format) return { text, confidence, format, rank: confidence * PRIOR_FORMAT };
    const plausible = PLAUSIBLE.test(text);
    // With no formats configured, filtering can only mean dropping what cannot be a plate at all.
    if (this.config.mode === 'filter' && (this.formats.length > 0 || !plausible)) return null;
    const prior = !plausible ? PRIOR_IMPLAUSIBLE : /[0-9]/.test(text) ? PRIOR_PLAUSIBLE : PRIOR_VANITY;
    return { text, confidence, format: null, rank: confidence * prior };
  }
}
