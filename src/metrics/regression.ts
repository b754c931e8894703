/**
 * Regression metrics of the valence/arousal tasks with bootstrap intervals: RMSE, MAE, Pearson CORR, SAGR (sign
 * agreement, Mollahosseini et al. 2017, AffectNet §5.2) and CCC (Lin's concordance correlation coefficient, Lin 1989).
 */
import { bootstrap, type BootstrapOptions, type Estimate } from './bootstrap.ts';
import type { Moments } from './formulas.ts';
import { computeMetrics } from './registry.ts';

export interface RegressionMetrics {
  /** Items scored (pairs where both values are finite). */
  n: number;
  rmse: Estimate;
  mae: Estimate;
  corr: Estimate;
  sagr: Estimate;
  ccc: Estimate;
}

/**
 * The value every weighted item of `values` shares, or undefined when they differ. Decided by equality, not by a
 * variance near 0: a computed mean of equal values can miss them by an ulp (0.1 * 3 / 3), which leaves deviations of
 * ~1e-17 that make the correlation of two constant series ±1 (SciPy's pearsonr tests `(x == x[0]).all()` too).
 */
function constantValue(values: Float64Array, weights: Float64Array): number | undefined {
  let first: number | undefined;
  for (let i = 0; i < values.length; i++) {
    if (weights[i] === 0) continue;
    first ??= values[i]!;
    if (values[i] !== first) return undefined;
  }
  return first;
}

/** Weighted mean and deviations of one side; a constant side is exactly its value, with no deviation. */
function centred(
  values: Float64Array,
  weights: Float64Array,
  total: number,
): { mean: number; deviation: (i: number) => number } {
  const constant = constantValue(values, weights);
  if (constant !== undefined) return { mean: constant, deviation: () => 0 };
  let mean = 0;
  for (let i = 0; i < values.length; i++) mean += weights[i]! * values[i]!;
  mean /= total;
  return { mean, deviation: (i) => values[i]! - mean };
}

function moments(truth: Float64Array, pred: Float64Array, weights: Float64Array, total: number): Moments {
  const t = centred(truth, weights, total);
  const p = centred(pred, weights, total);
  let varTrue = 0;
  let varPred = 0;
  let cov = 0;
  for (let i = 0; i < truth.length; i++) {
    const dt = t.deviation(i);
    const dp = p.deviation(i);
    varTrue += weights[i]! * dt * dt;
    varPred += weights[i]! * dp * dp;
    cov += weights[i]! * dt * dp;
  }
  return { meanTrue: t.mean, meanPred: p.mean, varTrue: varTrue / total, varPred: varPred / total, cov: cov / total };
}

/** The registry's regression metrics under one weighting of the pairs. */
export function regressionStatistics(
  truth: Float64Array,
  pred: Float64Array,
  weights: Float64Array,
): Record<string, number> {
  let total = 0;
  let squared = 0;
  let absolute = 0;
  let agree = 0;
  for (let i = 0; i < truth.length; i++) {
    const w = weights[i]!;
    const error = pred[i]! - truth[i]!;
    total += w;
    squared += w * error * error;
    absolute += w * Math.abs(error);
    if (Math.sign(truth[i]!) === Math.sign(pred[i]!)) agree += w;
  }
  return computeMetrics('regression', {
    total,
    squared,
    absolute,
    agree,
    moments: moments(truth, pred, weights, total),
  });
}

/**
 * Keeps the pairs where both values are finite (missing or 'uncertain' labels arrive as NaN or null).
 *
 * @example
 * finitePairs([0.1, NaN], [0.2, 0.3]); // { truth: [0.1], pred: [0.2] }
 */
export function finitePairs(
  truth: readonly (number | null | undefined)[],
  pred: readonly (number | null | undefined)[],
): { truth: Float64Array; pred: Float64Array } {
  const keep: number[] = [];
  truth.forEach((value, i) => {
    if (Number.isFinite(value) && Number.isFinite(pred[i])) keep.push(i);
  });
  return { truth: Float64Array.from(keep, (i) => truth[i]!), pred: Float64Array.from(keep, (i) => pred[i]!) };
}

/**
 * RMSE, MAE, CORR, SAGR and CCC with 95% bootstrap intervals, or null when no pair is finite.
 *
 * @example
 * regressionMetrics([0.1, -0.4, 0.7], [0.2, -0.1, 0.5]).ccc; // { value: 0.84, ci: [...] }
 */
export function regressionMetrics(
  truth: readonly (number | null | undefined)[],
  pred: readonly (number | null | undefined)[],
  options: BootstrapOptions = {},
): RegressionMetrics | null {
  const pairs = finitePairs(truth, pred);
  if (pairs.truth.length === 0) return null;
  return {
    n: pairs.truth.length,
    // The registry computes every key of RegressionMetrics (registry.test.ts checks the two agree).
    ...(bootstrap(pairs.truth.length, (w) => regressionStatistics(pairs.truth, pairs.pred, w), options) as Record<
      keyof Omit<RegressionMetrics, 'n'>,
      Estimate
    >),
  };
}
