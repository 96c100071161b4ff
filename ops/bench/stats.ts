import { percentile } from '../../firmware/health/percentile';

/** The q-quantile (0..1) of the values by nearest rank (the health report's percentile); NaN for no values. */
export function quantile(values: number[], q: number): number {
  return percentile([...values].sort((a, b) => a - b), q) ?? Number.NaN;
}

export function round(value: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
