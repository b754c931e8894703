/**
 * Seeded percentile bootstrap (Efron & Tibshirani 1993, ch. 13). A resample is a vector of counts (how often each
 * item was drawn), so every metric is written once as a weighted statistic and runs both on the data (all weights 1)
 * and on each resample without copying the data.
 */
import { seededRandom } from '../random.ts';

/** A metric value with its bootstrap confidence interval, the shape of every scalar in metrics.json (docs/ARCHITECTURE.md §3). */
export interface Estimate {
  value: number;
  /**
   * [lower, upper] percentile bounds over the resamples where the metric is defined; NaN (written as null in JSON,
   * shown as n/a) when the value itself is undefined or the metric is undefined in too many resamples (`bootstrap`).
   */
  ci: [number, number];
}

export interface BootstrapOptions {
  /** Number of resamples. Default 1000. */
  resamples?: number;
  /** Seed of the resampling; the same seed gives the same intervals. Default 0. */
  seed?: number;
  /** Confidence level of the interval. Default 0.95. */
  level?: number;
}

/** Linear-interpolated quantile of sorted values (numpy's default 'linear' method). */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const position = q * (sorted.length - 1);
  const low = Math.floor(position);
  const high = Math.min(low + 1, sorted.length - 1);
  return sorted[low]! + (sorted[high]! - sorted[low]!) * (position - low);
}

/**
 * Whether the defined resamples still bound an interval at `level`: the undefined ones could have fallen anywhere,
 * so as long as they are fewer than either tail's share ((1 - level) / 2 of all resamples, 2.5% at 95%) each bound
 * lies among the defined values wherever they would have gone; with more, a whole tail may be missing.
 */
function enoughDefined(defined: number, resamples: number, level: number): boolean {
  return resamples - defined < ((1 - level) / 2) * resamples;
}

/** Statistics on the data and on each resample, as `bootstrap` draws them. */
export interface BootstrapDraws<K extends string> {
  /** The statistics on the data (every weight 1). */
  point: Record<K, number>;
  /** Each statistic's finite values over the resamples, sorted ascending. */
  draws: Record<K, number[]>;
  resamples: number;
}

/**
 * Draws `resamples` seeded resamples of `n` items and computes the statistics on each (and on the data): what
 * `bootstrap` turns into intervals, for callers that need more of the distribution (a p-value).
 *
 * @example
 * const { point, draws } = bootstrapDraws(values.length, (w) => ({ mean: weightedMean(values, w) }), { seed: 1 });
 */
export function bootstrapDraws<K extends string>(
  n: number,
  statistics: (weights: Float64Array) => Record<K, number>,
  options: BootstrapOptions = {},
): BootstrapDraws<K> {
  const resamples = options.resamples ?? 1000;
  const random = seededRandom(options.seed ?? 0);
  const point = statistics(new Float64Array(n).fill(1));
  const keys = Object.keys(point) as K[];
  const draws = Object.fromEntries(keys.map((key) => [key, [] as number[]])) as Record<K, number[]>;
  const weights = new Float64Array(n);
  for (let r = 0; r < resamples && n > 0; r++) {
    weights.fill(0);
    for (let i = 0; i < n; i++) weights[Math.floor(random() * n)]! += 1;
    const values = statistics(weights);
    for (const key of keys) {
      const value = values[key];
      if (Number.isFinite(value)) draws[key].push(value);
    }
  }
  for (const key of keys) draws[key].sort((a, b) => a - b);
  return { point, draws, resamples };
}

/**
 * Computes named statistics on the data and their percentile bootstrap intervals over `n` items. A metric undefined
 * (NaN) in some resamples, such as a correlation where a resample drew one value only, gets its interval from the
 * resamples where it is defined, or none (NaN) when those are too few (`enoughDefined`).
 * `statistics(weights)` gets one weight per item (1 for the data, draw counts for a resample) and returns every
 * statistic at once, so related metrics share one pass (e.g. one confusion matrix per resample).
 *
 * @example
 * const { mean } = bootstrap(values.length, (w) => ({ mean: weightedMean(values, w) }), { seed: 1 });
 * // mean = { value: 0.5, ci: [0.41, 0.59] }
 */
export function bootstrap<K extends string>(
  n: number,
  statistics: (weights: Float64Array) => Record<K, number>,
  options: BootstrapOptions = {},
): Record<K, Estimate> {
  const drawn = bootstrapDraws(n, statistics, options);
  const result = {} as Record<K, Estimate>;
  for (const key of Object.keys(drawn.point) as K[]) result[key] = percentileEstimate(drawn, key, options.level);
  return result;
}

/**
 * One statistic's value with its percentile interval at `level` (default 0.95) from its draws; NaN bounds when the
 * value is undefined or too few resamples define it (`enoughDefined`).
 *
 * @example
 * percentileEstimate(bootstrapDraws(n, statistics), 'mean'); // { value: 0.5, ci: [0.41, 0.59] }
 */
export function percentileEstimate<K extends string>(drawn: BootstrapDraws<K>, key: K, level = 0.95): Estimate {
  const sorted = drawn.draws[key];
  const value = drawn.point[key];
  const bounded = Number.isFinite(value) && sorted.length > 0 && enoughDefined(sorted.length, drawn.resamples, level);
  return {
    value,
    ci: bounded
      ? [quantileSorted(sorted, (1 - level) / 2), quantileSorted(sorted, (1 + level) / 2)]
      : [Number.NaN, Number.NaN],
  };
}
