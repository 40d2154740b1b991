// What every benchmark measures with: a clock in milliseconds, quantiles, and figures for the table.
import { monitorEventLoopDelay } from 'node:perf_hooks';

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

/**
 * The largest delay of this process's event loop (ms) while `work` runs, its wall time, and the
 * largest resident set size sampled meanwhile (MB). The monitor's timer ticks before the work starts:
 * its first tick only sets the reference (as `reset()` does), so a block right after `enable()` would
 * otherwise go unseen; one more turn after the work samples a block at its very end.
 */
export async function maxLoopDelay<T>(
  work: () => Promise<T>,
  options: { readonly resolution?: number } = {},
): Promise<{ ms: number; result: T; wallMs: number; peakRssMb: number }> {
  const histogram = monitorEventLoopDelay({ resolution: options.resolution ?? 5 });
  histogram.enable();
  await new Promise((resolve) => setTimeout(resolve, 30));
  let peak = process.memoryUsage().rss;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  const t0 = now();
  const result = await work();
  const wallMs = now() - t0;
  await new Promise((resolve) => setTimeout(resolve, 20));
  clearInterval(sampler);
  histogram.disable();
  return { ms: histogram.max / 1e6, result, wallMs, peakRssMb: Math.max(peak, process.memoryUsage().rss) / 2 ** 20 };
}
