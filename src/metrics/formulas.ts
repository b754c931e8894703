/**
 * The formulas of the metrics on their sufficient statistics under one weighting of the items (a bootstrap resample,
 * or all weights 1), and the shape of those statistics per task: what each metric's line in registry.ts computes
 * from. classification.ts, regression.ts and series.ts build the samples; nothing here imports them.
 */

/** Per-class precision, recall, F1 and support (weighted counts) from a confusion matrix. */
export interface ClassScores {
  precision: number[];
  recall: number[];
  f1: number[];
  support: number[];
}

/** What every classification metric is computed from, under one weighting of the items. */
export interface ClassificationSample {
  /** Rows true classes, columns predicted ones: weighted counts. */
  matrix: number[][];
  total: number;
  scores: ClassScores;
  /** The classes macro averages run over: those seen in the labels or the predictions (sklearn's label set). */
  macroClasses: number[];
  /** Weighted top-k accuracy, where class probabilities are given. */
  topK?: number;
  /** One-vs-rest AUC-ROC and average precision of each class that has positives and negatives, with probabilities. */
  ranking?: { auc: number; ap: number }[];
}

/** Weighted means, population variances and covariance of truth and prediction, as Lin's CCC defines them. */
export interface Moments {
  meanTrue: number;
  meanPred: number;
  /** Population (biased) variances and covariance, as Lin's CCC defines them. */
  varTrue: number;
  varPred: number;
  cov: number;
}

/** What every regression metric is computed from, under one weighting of the finite pairs. */
export interface RegressionSample {
  total: number;
  /** Weighted sums of squared and absolute errors, and of pairs whose signs agree. */
  squared: number;
  absolute: number;
  agree: number;
  moments: Moments;
}

/** What every series metric is computed from: weighted sums of the model's and the naive forecast's errors. */
export interface SeriesSample {
  total: number;
  squared: number;
  absolute: number;
  naiveSquared: number;
  naiveAbsolute: number;
}

export function mean(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

/** Cohen's kappa from a confusion matrix (sklearn cohen_kappa_score, unweighted). */
export function cohenKappa(matrix: number[][]): number {
  const total = matrix.flat().reduce((a, b) => a + b, 0);
  let observed = 0;
  let expected = 0;
  matrix.forEach((row, k) => {
    observed += row[k]!;
    expected += row.reduce((a, b) => a + b, 0) * matrix.reduce((sum, r) => sum + r[k]!, 0);
  });
  observed /= total;
  expected /= total * total;
  return (observed - expected) / (1 - expected);
}

/**
 * Krippendorff's alpha for nominal data with two coders (true and predicted labels): the coincidence matrix is
 * C + Cᵀ, and alpha = 1 - (n - 1) · Σ_{c≠k} o_ck / Σ_{c≠k} n_c n_k (Krippendorff 2011, "Computing Krippendorff's
 * Alpha-Reliability", section C).
 */
export function krippendorffAlphaNominal(matrix: number[][]): number {
  const classes = matrix.length;
  const pairable = 2 * matrix.flat().reduce((a, b) => a + b, 0);
  let disagreements = 0;
  let sumSquares = 0;
  for (let c = 0; c < classes; c++) {
    let marginal = 0;
    for (let k = 0; k < classes; k++) {
      marginal += matrix[c]![k]! + matrix[k]![c]!;
      if (k !== c) disagreements += matrix[c]![k]! + matrix[k]![c]!;
    }
    sumSquares += marginal * marginal;
  }
  return 1 - ((pairable - 1) * disagreements) / (pairable * pairable - sumSquares);
}

/**
 * Pearson's r; NaN (undefined, shown as n/a) when either side has no variance, as SciPy's pearsonr returns. Clipped
 * to [-1, 1] against rounding, as SciPy does.
 */
export function pearson(m: Moments): number {
  if (m.varTrue === 0 || m.varPred === 0) return Number.NaN;
  return Math.max(-1, Math.min(1, m.cov / Math.sqrt(m.varTrue * m.varPred)));
}

/**
 * Lin's CCC. Unlike r it is defined when one side is constant: 0 (no concordance) unless both sides are the same
 * constant, where it is 0/0 and undefined.
 */
export function concordance(m: Moments): number {
  const denominator = m.varTrue + m.varPred + (m.meanTrue - m.meanPred) ** 2;
  return denominator === 0 ? Number.NaN : (2 * m.cov) / denominator;
}
