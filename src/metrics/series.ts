/**
 * Forecast metrics against the naive last-value benchmark (Hyndman & Athanasopoulos, "Forecasting: Principles and
 * Practice", §5.2: the naive method predicts the last observed value).
 */
import { bootstrap, type BootstrapOptions, type Estimate } from './bootstrap.ts';
import type { SeriesSample } from './formulas.ts';
import { computeMetrics } from './registry.ts';

export interface SeriesMetrics {
  n: number;
  mse: Estimate;
  mae: Estimate;
  naive_mse: Estimate;
  naive_mae: Estimate;
}

export interface SeriesData {
  /** Value to forecast per window. */
  target: readonly number[];
  /** Model forecast per window. */
  pred: readonly number[];
  /** Last observed value of each window (the naive forecast). */
  last: readonly number[];
}

/**
 * MSE and MAE of the model and of the naive forecast, with 95% bootstrap intervals.
 *
 * @example
 * seriesMetrics({ target: [3, 4], pred: [2.9, 4.2], last: [2, 3] }).naive_mae.value; // 1
 */
export function seriesMetrics(data: SeriesData, options: BootstrapOptions = {}): SeriesMetrics {
  const n = data.target.length;
  if (data.pred.length !== n || data.last.length !== n)
    throw new Error(`series: ${n} targets, ${data.pred.length} forecasts, ${data.last.length} last values`);
  const statistics = (weights: Float64Array): Record<string, number> => {
    const sample: SeriesSample = { total: 0, squared: 0, absolute: 0, naiveSquared: 0, naiveAbsolute: 0 };
    for (let i = 0; i < n; i++) {
      const w = weights[i]!;
      const error = data.pred[i]! - data.target[i]!;
      const naive = data.last[i]! - data.target[i]!;
      sample.total += w;
      sample.squared += w * error * error;
      sample.absolute += w * Math.abs(error);
      sample.naiveSquared += w * naive * naive;
      sample.naiveAbsolute += w * Math.abs(naive);
    }
    return computeMetrics('series', sample);
  };
  return { n, ...(bootstrap(n, statistics, options) as Record<keyof Omit<SeriesMetrics, 'n'>, Estimate>) };
}
