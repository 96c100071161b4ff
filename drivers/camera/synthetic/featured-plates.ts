/**
 * Featured plates: chosen plate numbers the synthetic scene puts on a share of its vehicles, so a
 * hotlist that lists them raises alerts now and then (the `make run` demo).
 */
import { displayText, matchingFormats, PLATE_FORMATS, type PlateFormat, type PlateText } from './plate-text';
import type { Random } from './random';

/**
 * The plates `make run`'s scene features and its demo hotlist lists (ops/hub/demo-hotlist.ts).
 * California serials in series ("DEM", "WNT", "SLN") picked to be demo data, not anyone's car.
 */
export const DEMO_FEATURED_PLATES: readonly string[] = ['8DEM123', '4WNT391', '7SLN285'];

/** The formats in words, for errors: "DLLLDDD (california), LLLDDDD (three-letters-four-digits), ...". */
export function plateFormatsAllowed(formats: readonly PlateFormat[] = PLATE_FORMATS): string {
  return `${formats.map((f) => `${f.pattern} (${f.name})`).join(', ')}; L is a letter other than I, O or Q, D a digit`;
}

/** What is wrong with a featured plate (it must fit a format, so it can be drawn), or null. */
export function featuredPlateProblem(plate: unknown, formats: readonly PlateFormat[] = PLATE_FORMATS): string | null {
  if (typeof plate === 'string' && matchingFormats(plate, formats).length > 0) return null;
  return `must fit one of the synthetic scene's plate formats: ${plateFormatsAllowed(formats)}`;
}

/** The plate a featured vehicle carries: the text as given, shown in one of the formats it fits. */
export function featuredPlateText(text: string, rng: Random, formats: readonly PlateFormat[] = PLATE_FORMATS): PlateText {
  const fits = matchingFormats(text, formats);
  if (fits.length === 0) throw new RangeError(`featured plate ${JSON.stringify(text)} ${featuredPlateProblem(text, formats)}`);
  const format = rng.weighted(fits, (f) => f.weight);
  return { text, display: displayText(format, text, rng.pick(format.separators)), format, region: rng.pick(format.regions) };
}
