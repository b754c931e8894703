/**
 * Forecast metrics against the naive last-value benchmark (Hyndman & Athanasopoulos, "Forecasting: Principles and
 * Practice", §5.2: the naive method predicts the last observed value).
 */
import { bootstrap, type BootstrapOptions, type Estimate } from './bootstrap.ts';

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
  const statistics = (weights: Float64Array) => {
    let total = 0;
    const sums = { mse: 0, mae: 0, naive_mse: 0, naive_mae: 0 };
    for (let i = 0; i < n; i++) {
      const w = weights[i]!;
      const error = data.pred[i]! - data.target[i]!;
      const naive = data.last[i]! - data.target[i]!;
      total += w;
      sums.mse += w * error * error;
      sums.mae += w * Math.abs(error);
      sums.naive_mse += w * naive * naive;
      sums.naive_mae += w * Math.abs(naive);
    }
    return {
      mse: sums.mse / total,
      mae: sums.mae / total,
      naive_mse: sums.naive_mse / total,
      naive_mae: sums.naive_mae / total,
    };
  };
  return { n, ...bootstrap(n, statistics, options) };
}
