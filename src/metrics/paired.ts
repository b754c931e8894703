/**
 * Comparing two models scored on the same test items. Two intervals that overlap do not show that two models are
 * alike, nor do two that do not overlap show the opposite for paired data: the right tests look at the items where the
 * models differ. Accuracy: McNemar's exact test on the discordant items (McNemar 1947; Edwards 1948 for the exact
 * binomial form, statsmodels' `mcnemar(exact=True)`). Any other metric: a paired bootstrap of the difference, the same
 * resample of items for both models (Efron & Tibshirani 1993, ch. 16), with its 95% percentile interval and a two-sided
 * p-value from the share of resampled differences on either side of 0. Many pairs in one report: Holm's step-down
 * correction (Holm 1979) of all their p-values together.
 */
import { bootstrapDraws, percentileEstimate, type BootstrapOptions, type Estimate } from './bootstrap.ts';
import { confusionMatrix, perClassScores } from './classification.ts';
import { computeMetrics } from './registry.ts';
import { regressionStatistics } from './regression.ts';

/** log(n!) for n up to the largest count asked, built once per call. */
function logFactorials(n: number): Float64Array {
  const table = new Float64Array(n + 1);
  for (let i = 1; i <= n; i++) table[i] = table[i - 1]! + Math.log(i);
  return table;
}

/**
 * Two-sided p-value of McNemar's exact test: `onlyA` items only model A got right, `onlyB` only model B. Under the
 * null hypothesis each discordant item is a fair coin, so p = min(1, 2 P(X ≤ min(onlyA, onlyB))), X ~ Bin(onlyA +
 * onlyB, 1/2); 1 when no item is discordant.
 *
 * @example
 * mcnemarExact(12, 3); // 0.0352
 */
export function mcnemarExact(onlyA: number, onlyB: number): number {
  const n = onlyA + onlyB;
  if (n === 0) return 1;
  const k = Math.min(onlyA, onlyB);
  const log = logFactorials(n);
  let tail = 0;
  for (let i = 0; i <= k; i++) tail += Math.exp(log[n]! - log[i]! - log[n - i]! - n * Math.LN2);
  return Math.min(1, 2 * tail);
}

/**
 * Holm's step-down adjusted p-values, in the order given: the i-th smallest p is multiplied by (m - i), made
 * monotone, and capped at 1 (statsmodels' `multipletests(method='holm')`).
 *
 * @example
 * holm([0.01, 0.04, 0.03]); // [0.03, 0.06, 0.06]
 */
export function holm(pValues: readonly number[]): number[] {
  const m = pValues.length;
  const order = pValues.map((p, i) => ({ p, i })).sort((a, b) => a.p - b.p || a.i - b.i);
  const adjusted = new Array<number>(m);
  let running = 0;
  order.forEach(({ p, i }, rank) => {
    running = Math.max(running, Math.min(1, (m - rank) * p));
    adjusted[i] = running;
  });
  return adjusted;
}

/** A difference of one metric between model A and model B on the same items. */
export interface PairedDifference {
  /** The metric of each model on all items. */
  a: number;
  b: number;
  /** A − B, with the 95% paired bootstrap interval of the difference. */
  difference: Estimate;
  /** Two-sided p-value of 'no difference': McNemar's exact test for accuracy, the paired bootstrap otherwise. */
  p: number;
  test: 'mcnemar' | 'paired bootstrap';
}

/**
 * The two-sided bootstrap p-value of a zero difference: twice the smaller share of resampled differences at or beyond 0
 * on either side, with the +1 of Davison & Hinkley (1997, eq. 4.11) so that no p is 0.
 */
function bootstrapP(differences: readonly number[]): number {
  const below = differences.filter((d) => d <= 0).length;
  const above = differences.filter((d) => d >= 0).length;
  const resamples = differences.length;
  return Math.min(1, (2 * Math.min(below + 1, above + 1)) / (resamples + 1));
}

/**
 * Percentile bootstrap of named differences with their p-values: the same item weights for both models in every
 * resample, so the pairing is kept.
 */
function pairedBootstrap<K extends string>(
  n: number,
  statistics: (weights: Float64Array) => Record<K, { a: number; b: number }>,
  options: BootstrapOptions,
): Record<K, Omit<PairedDifference, 'test'>> {
  const point = statistics(new Float64Array(n).fill(1));
  const keys = Object.keys(point) as K[];
  const drawn = bootstrapDraws(
    n,
    (weights) => {
      const values = statistics(weights);
      return Object.fromEntries(keys.map((key) => [key, values[key].a - values[key].b])) as Record<K, number>;
    },
    options,
  );
  const result = {} as Record<K, Omit<PairedDifference, 'test'>>;
  for (const key of keys)
    result[key] = {
      a: point[key].a,
      b: point[key].b,
      difference: percentileEstimate(drawn, key, options.level),
      p: bootstrapP(drawn.draws[key]),
    };
  return result;
}

/** The classes sklearn's macro averages run over for one model: those in the labels or its predictions. */
function macroClassesOf(labels: readonly number[], predicted: readonly number[]): number[] {
  return [...new Set([...labels, ...predicted])].sort((a, b) => a - b);
}

function classificationValues(
  labels: readonly number[],
  predicted: readonly number[],
  classes: number,
  macroClasses: number[],
  weights: Float64Array,
): Record<string, number> {
  const matrix = confusionMatrix(labels, predicted, classes, weights);
  const total = weights.reduce((sum, w) => sum + w, 0);
  return computeMetrics('classification', { matrix, total, scores: perClassScores(matrix), macroClasses });
}

/** The classification metrics compared in pairs. */
export const PAIRED_CLASSIFICATION = ['accuracy', 'f1_macro', 'kappa'] as const;
/** The regression metrics compared in pairs (each of valence and arousal). */
export const PAIRED_REGRESSION = ['rmse', 'ccc'] as const;

/**
 * Accuracy (McNemar), macro F1 and Cohen's κ (paired bootstrap) of model A against model B on the same items.
 *
 * @example
 * const { accuracy } = pairedClassification(labels, predictedA, predictedB, 8, { seed: 1 });
 * accuracy.difference.value; // 0.042, accuracy.p: 0.003
 */
export function pairedClassification(
  labels: readonly number[],
  predictedA: readonly number[],
  predictedB: readonly number[],
  classes: number,
  options: BootstrapOptions = {},
): Record<(typeof PAIRED_CLASSIFICATION)[number], PairedDifference> {
  if (predictedA.length !== labels.length || predictedB.length !== labels.length)
    throw new Error(
      `pairedClassification: ${labels.length} labels, ${predictedA.length} and ${predictedB.length} predictions`,
    );
  const macroA = macroClassesOf(labels, predictedA);
  const macroB = macroClassesOf(labels, predictedB);
  const differences = pairedBootstrap(
    labels.length,
    (weights) => {
      const a = classificationValues(labels, predictedA, classes, macroA, weights);
      const b = classificationValues(labels, predictedB, classes, macroB, weights);
      return Object.fromEntries(PAIRED_CLASSIFICATION.map((key) => [key, { a: a[key]!, b: b[key]! }])) as Record<
        (typeof PAIRED_CLASSIFICATION)[number],
        { a: number; b: number }
      >;
    },
    options,
  );
  let onlyA = 0;
  let onlyB = 0;
  labels.forEach((label, i) => {
    const rightA = predictedA[i] === label;
    const rightB = predictedB[i] === label;
    if (rightA && !rightB) onlyA++;
    if (rightB && !rightA) onlyB++;
  });
  return {
    accuracy: { ...differences.accuracy, p: mcnemarExact(onlyA, onlyB), test: 'mcnemar' },
    f1_macro: { ...differences.f1_macro, test: 'paired bootstrap' },
    kappa: { ...differences.kappa, test: 'paired bootstrap' },
  };
}

/**
 * RMSE and CCC of model A against model B on the same items (paired bootstrap); items where the truth or either
 * prediction is not finite are left out of both.
 *
 * @example
 * pairedRegression(valence, predA, predB, { seed: 1 }).ccc.difference; // { value: 0.05, ci: [0.01, 0.09] }
 */
export function pairedRegression(
  truth: readonly number[],
  predictedA: readonly number[],
  predictedB: readonly number[],
  options: BootstrapOptions = {},
): Record<(typeof PAIRED_REGRESSION)[number], PairedDifference> {
  const keep = truth.flatMap((t, i) =>
    Number.isFinite(t) && Number.isFinite(predictedA[i]) && Number.isFinite(predictedB[i]) ? [i] : [],
  );
  const t = Float64Array.from(keep, (i) => truth[i]!);
  const a = Float64Array.from(keep, (i) => predictedA[i]!);
  const b = Float64Array.from(keep, (i) => predictedB[i]!);
  const differences = pairedBootstrap(
    keep.length,
    (weights) => {
      const left = regressionStatistics(t, a, weights);
      const right = regressionStatistics(t, b, weights);
      return {
        rmse: { a: left['rmse']!, b: right['rmse']! },
        ccc: { a: left['ccc']!, b: right['ccc']! },
      };
    },
    options,
  );
  return {
    rmse: { ...differences.rmse, test: 'paired bootstrap' },
    ccc: { ...differences.ccc, test: 'paired bootstrap' },
  };
}
