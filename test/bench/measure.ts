// What every benchmark measures with: a clock in milliseconds, quantiles, and figures for the table.

export const now = (): number => Number(process.hrtime.bigint()) / 1e6;

/** The q-quantile of the samples (the sample at that rank; q = 0.5: the median). */
export function quantile(xs: readonly number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}

export const median = (xs: readonly number[]): number => quantile(xs, 0.5);

/** A number as the table shows it: thousands separated, `digits` decimals. */
export const fmt = (n: number, digits = 0): string =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** One row of the benchmark's table: a figure beside its baseline from the same run. */
export interface BenchRow {
  readonly metric: string;
  readonly ours: string;
  readonly baseline: string;
  readonly ratio: string;
  readonly goal: string;
  readonly pass?: boolean;
}
