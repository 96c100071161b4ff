import { percentile } from '../../firmware/health/percentile';

/** The q-quantile (0..1) of the values by nearest rank (the health report's percentile); NaN for no values. */
export function quantile(values: number[], q: number): number {
  return percentile([...values].sort((a, b) => a - b), q) ?? Number.NaN;
}

export function round(value: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** Median, p95, p99 and max of latencies, ms, to 0.1 ms. */
export interface LatencySummary {
  median: number;
  p95: number;
  p99: number;
  max: number;
}

export function latencySummary(values: number[]): LatencySummary {
  const sorted = [...values].sort((a, b) => a - b);
  return { median: round(quantile(sorted, 0.5), 1), p95: round(quantile(sorted, 0.95), 1), p99: round(quantile(sorted, 0.99), 1), max: round(sorted[sorted.length - 1], 1) };
}
