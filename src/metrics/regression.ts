/**
 * Regression metrics of the valence/arousal tasks with bootstrap intervals: RMSE, MAE, Pearson CORR, SAGR (sign
 * agreement, Mollahosseini et al. 2017, AffectNet §5.2) and CCC (Lin's concordance correlation coefficient, Lin 1989).
 */
import { bootstrap, type BootstrapOptions, type Estimate } from './bootstrap.ts';

export interface RegressionMetrics {
  /** Items scored (pairs where both values are finite). */
  n: number;
  rmse: Estimate;
  mae: Estimate;
  corr: Estimate;
  sagr: Estimate;
  ccc: Estimate;
}

interface Moments {
  meanTrue: number;
  meanPred: number;
  /** Population (biased) variances and covariance, as Lin's CCC defines them. */
  varTrue: number;
  varPred: number;
  cov: number;
}

function moments(truth: Float64Array, pred: Float64Array, weights: Float64Array, total: number): Moments {
  let meanTrue = 0;
  let meanPred = 0;
  for (let i = 0; i < truth.length; i++) {
    meanTrue += weights[i]! * truth[i]!;
    meanPred += weights[i]! * pred[i]!;
  }
  meanTrue /= total;
  meanPred /= total;
  let varTrue = 0;
  let varPred = 0;
  let cov = 0;
  for (let i = 0; i < truth.length; i++) {
    const dt = truth[i]! - meanTrue;
    const dp = pred[i]! - meanPred;
    varTrue += weights[i]! * dt * dt;
    varPred += weights[i]! * dp * dp;
    cov += weights[i]! * dt * dp;
  }
  return { meanTrue, meanPred, varTrue: varTrue / total, varPred: varPred / total, cov: cov / total };
}

/** The five statistics under one weighting of the pairs. */
function regressionStatistics(truth: Float64Array, pred: Float64Array, weights: Float64Array): Record<'rmse' | 'mae' | 'corr' | 'sagr' | 'ccc', number> {
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
  const m = moments(truth, pred, weights, total);
  return {
    rmse: Math.sqrt(squared / total),
    mae: absolute / total,
    corr: m.cov / Math.sqrt(m.varTrue * m.varPred),
    sagr: agree / total,
    ccc: (2 * m.cov) / (m.varTrue + m.varPred + (m.meanTrue - m.meanPred) ** 2),
  };
}

/**
 * Keeps the pairs where both values are finite (missing or 'uncertain' labels arrive as NaN or null).
 *
 * @example
 * finitePairs([0.1, NaN], [0.2, 0.3]); // { truth: [0.1], pred: [0.2] }
 */
export function finitePairs(truth: readonly (number | null | undefined)[], pred: readonly (number | null | undefined)[]): { truth: Float64Array; pred: Float64Array } {
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
  return { n: pairs.truth.length, ...bootstrap(pairs.truth.length, (w) => regressionStatistics(pairs.truth, pairs.pred, w), options) };
}
