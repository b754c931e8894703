/**
 * Classification metrics with bootstrap intervals: accuracy, top-k, precision/recall/F1 (per class, macro, weighted),
 * Cohen's kappa, Krippendorff's alpha (nominal), one-vs-rest AUC-ROC and AUC-PR with their curves, and the confusion
 * matrix. Definitions follow scikit-learn (sklearn/metrics/_classification.py, _ranking.py) so that values match it.
 */
import { bootstrap, type BootstrapOptions, type Estimate } from './bootstrap.ts';
import type { ClassificationSample, ClassScores } from './formulas.ts';
import { computeMetrics } from './registry.ts';

export interface ClassificationData {
  /** True class index per item. */
  labels: readonly number[];
  /** Predicted class index per item. */
  predicted: readonly number[];
  /** Class probabilities per item (needed for top-k and the AUCs; left out, those metrics are absent). */
  probs?: readonly (readonly number[])[];
  /** One name per class, in index order. */
  classNames: readonly string[];
}

export interface PerClassMetrics {
  precision: Estimate;
  recall: Estimate;
  f1: Estimate;
  /** Number of items of this class (not resampled). */
  support: number;
}

/** One-vs-rest curves of one class, thinned to at most CURVE_POINTS points for plots. */
export interface ClassCurves {
  roc: { fpr: number[]; tpr: number[]; auc: number };
  pr: { recall: number[]; precision: number[]; ap: number };
}

export interface ClassificationMetrics {
  n: number;
  accuracy: Estimate;
  /** top-k accuracy, k = min(5, classes - 1), present when probs are given and classes > 2, e.g. `top5`. */
  [topK: `top${number}`]: Estimate;
  precision_macro: Estimate;
  recall_macro: Estimate;
  f1_macro: Estimate;
  f1_weighted: Estimate;
  kappa: Estimate;
  auc_roc_macro?: Estimate;
  auc_pr_macro?: Estimate;
  krippendorff_alpha: Estimate;
  per_class: Record<string, PerClassMetrics>;
  /** Rows are true classes, columns predicted ones, counts of items. */
  confusion_matrix: { labels: string[]; matrix: number[][] };
  /** Per class name, absent without probs. */
  curves?: Record<string, ClassCurves>;
}

const CURVE_POINTS = 200;

/**
 * Confusion matrix with item weights: rows true, columns predicted.
 *
 * @example
 * confusionMatrix([0, 1], [0, 0], 2); // [[1, 0], [1, 0]]
 */
export function confusionMatrix(
  labels: readonly number[],
  predicted: readonly number[],
  classes: number,
  weights?: Float64Array,
): number[][] {
  const matrix = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  for (let i = 0; i < labels.length; i++) matrix[labels[i]!]![predicted[i]!]! += weights?.[i] ?? 1;
  return matrix;
}

/** Per-class precision, recall and F1 from a confusion matrix; 0 where undefined (sklearn's zero_division default). */
export function perClassScores(matrix: number[][]): ClassScores {
  const classes = matrix.length;
  const scores: ClassScores = { precision: [], recall: [], f1: [], support: [] };
  for (let k = 0; k < classes; k++) {
    const truePositive = matrix[k]![k]!;
    const support = matrix[k]!.reduce((a, b) => a + b, 0);
    const predictedCount = matrix.reduce((sum, row) => sum + row[k]!, 0);
    const precision = predictedCount > 0 ? truePositive / predictedCount : 0;
    const recall = support > 0 ? truePositive / support : 0;
    scores.precision.push(precision);
    scores.recall.push(recall);
    scores.f1.push(precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0);
    scores.support.push(support);
  }
  return scores;
}

/** Items of one class's scores in descending order, with the boundaries of tied runs. */
interface RankedClass {
  order: Int32Array;
  /** Index into `order` where each run of equal scores ends (exclusive). */
  runEnds: number[];
  scores: Float64Array;
  positive: Uint8Array;
}

function rankClass(probs: readonly (readonly number[])[], labels: readonly number[], k: number): RankedClass {
  const n = labels.length;
  const scores = Float64Array.from(probs, (row) => row[k]!);
  const positive = Uint8Array.from(labels, (label) => (label === k ? 1 : 0));
  const order = Int32Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[b]! - scores[a]!);
  const runEnds: number[] = [];
  for (let i = 1; i <= n; i++) if (i === n || scores[order[i]!] !== scores[order[i - 1]!]) runEnds.push(i);
  return { order, runEnds, scores, positive };
}

interface CurvePoints {
  fpr: number[];
  tpr: number[];
  precision: number[];
  recall: number[];
  auc: number;
  ap: number;
}

/**
 * Weighted one-vs-rest ROC and precision-recall sweep over distinct thresholds: trapezoidal ROC AUC
 * (sklearn roc_auc_score) and average precision Σ (R_n - R_{n-1}) P_n (sklearn average_precision_score).
 * NaN when the class has no positives or no negatives under these weights.
 */
function sweep(ranked: RankedClass, weights: Float64Array, keepPoints: boolean): CurvePoints {
  let positives = 0;
  let negatives = 0;
  for (let i = 0; i < weights.length; i++) {
    if (ranked.positive[i]) positives += weights[i]!;
    else negatives += weights[i]!;
  }
  const points: CurvePoints = { fpr: [0], tpr: [0], precision: [1], recall: [0], auc: Number.NaN, ap: Number.NaN };
  if (positives === 0 || negatives === 0) return points;
  let truePositive = 0;
  let falsePositive = 0;
  let area = 0;
  let ap = 0;
  let start = 0;
  for (const end of ranked.runEnds) {
    const [previousTp, previousFp] = [truePositive, falsePositive];
    for (let j = start; j < end; j++) {
      const item = ranked.order[j]!;
      if (ranked.positive[item]) truePositive += weights[item]!;
      else falsePositive += weights[item]!;
    }
    start = end;
    if (truePositive === previousTp && falsePositive === previousFp) continue;
    area += ((falsePositive - previousFp) * (truePositive + previousTp)) / 2;
    const precision = truePositive / (truePositive + falsePositive);
    ap += ((truePositive - previousTp) / positives) * precision;
    if (keepPoints) {
      points.fpr.push(falsePositive / negatives);
      points.tpr.push(truePositive / positives);
      points.precision.push(precision);
      points.recall.push(truePositive / positives);
    }
  }
  points.auc = area / (positives * negatives);
  points.ap = ap;
  return points;
}

/** Keeps at most `limit` points of parallel arrays, evenly spaced, always with the first and the last. */
function thin(arrays: number[][], limit: number): number[][] {
  const length = arrays[0]!.length;
  if (length <= limit) return arrays;
  const picks = Array.from({ length: limit }, (_, i) => Math.round((i * (length - 1)) / (limit - 1)));
  return arrays.map((values) => picks.map((index) => values[index]!));
}

/** k of the top-k metric: 5, or fewer for few classes; null when it would be plain accuracy or trivial. */
export function topKFor(classes: number): number | null {
  const k = Math.min(5, classes - 1);
  return k >= 2 ? k : null;
}

function topKHits(probs: readonly (readonly number[])[], labels: readonly number[], k: number): Uint8Array {
  return Uint8Array.from(labels, (label, i) => {
    const row = probs[i]!;
    const score = row[label]!;
    // Ranks by strictly higher scores, so ties count in the item's favour (sklearn breaks ties by class order;
    // with continuous probabilities the two agree).
    let higher = 0;
    for (const value of row) if (value > score) higher++;
    return higher < k ? 1 : 0;
  });
}

function checkData(data: ClassificationData): void {
  const classes = data.classNames.length;
  if (
    data.predicted.length !== data.labels.length ||
    (data.probs !== undefined && data.probs.length !== data.labels.length)
  ) {
    throw new Error(
      `classification: ${data.labels.length} labels but ${data.predicted.length} predictions and ${data.probs?.length ?? 0} probability rows`,
    );
  }
  for (const value of [...data.labels, ...data.predicted]) {
    if (!Number.isInteger(value) || value < 0 || value >= classes)
      throw new Error(`classification: class index ${value} outside 0..${classes - 1}`);
  }
}

/**
 * Every classification metric of docs/ARCHITECTURE.md §3 with its 95% bootstrap interval.
 *
 * @example
 * const metrics = classificationMetrics({ labels: [0, 1, 1], predicted: [0, 1, 0], classNames: ['cat', 'dog'] });
 * metrics.accuracy.value; // 0.667
 */
export function classificationMetrics(data: ClassificationData, options: BootstrapOptions = {}): ClassificationMetrics {
  checkData(data);
  const classes = data.classNames.length;
  const { labels, predicted, probs } = data;
  const full = confusionMatrix(labels, predicted, classes);
  // Macro averages run over the classes seen in the labels or the predictions (sklearn's default label set).
  const seen = full.map((row, k) => row.some((v) => v > 0) || full.some((r) => r[k]! > 0));
  const macroClasses = seen.flatMap((isSeen, k) => (isSeen ? [k] : []));
  const k = probs === undefined ? null : topKFor(classes);
  const hits = k === null ? null : topKHits(probs!, labels, k);
  const ranked = probs === undefined ? null : Array.from({ length: classes }, (_, c) => rankClass(probs, labels, c));

  const statistics = (weights: Float64Array): Record<string, number> => {
    const matrix = confusionMatrix(labels, predicted, classes, weights);
    const total = weights.reduce((a, b) => a + b, 0);
    const scores = perClassScores(matrix);
    const sample: ClassificationSample = {
      matrix,
      total,
      scores,
      macroClasses,
      ...(hits === null ? {} : { topK: hits.reduce((sum, hit, i) => sum + hit * weights[i]!, 0) / total }),
      // One-vs-rest macro averages over the classes that have positives and negatives (sklearn raises otherwise).
      ...(ranked === null
        ? {}
        : { ranking: ranked.map((r) => sweep(r, weights, false)).filter((s) => Number.isFinite(s.auc)) }),
    };
    // The registry's one function per metric; top-k is stored under its k.
    const { topK, ...values } = computeMetrics('classification', sample);
    if (topK !== undefined) values[`top${k}`] = topK;
    for (let c = 0; c < classes; c++) {
      values[`precision_${c}`] = scores.precision[c]!;
      values[`recall_${c}`] = scores.recall[c]!;
      values[`f1_${c}`] = scores.f1[c]!;
    }
    return values;
  };

  const estimates = bootstrap(labels.length, statistics, options);
  const support = perClassScores(full).support;
  const perClass: Record<string, PerClassMetrics> = {};
  data.classNames.forEach((name, c) => {
    perClass[name] = {
      precision: estimates[`precision_${c}`]!,
      recall: estimates[`recall_${c}`]!,
      f1: estimates[`f1_${c}`]!,
      support: support[c]!,
    };
  });
  const metrics: ClassificationMetrics = {
    n: labels.length,
    accuracy: estimates['accuracy']!,
    ...(k === null ? {} : { [`top${k}`]: estimates[`top${k}`]! }),
    precision_macro: estimates['precision_macro']!,
    recall_macro: estimates['recall_macro']!,
    f1_macro: estimates['f1_macro']!,
    f1_weighted: estimates['f1_weighted']!,
    kappa: estimates['kappa']!,
    ...(ranked === null
      ? {}
      : { auc_roc_macro: estimates['auc_roc_macro']!, auc_pr_macro: estimates['auc_pr_macro']! }),
    krippendorff_alpha: estimates['krippendorff_alpha']!,
    per_class: perClass,
    confusion_matrix: { labels: [...data.classNames], matrix: full },
  };
  if (ranked !== null) {
    const ones = new Float64Array(labels.length).fill(1);
    metrics.curves = {};
    ranked.forEach((r, c) => {
      const points = sweep(r, ones, true);
      const [fpr, tpr] = thin([points.fpr, points.tpr], CURVE_POINTS);
      const [recall, precision] = thin([points.recall, points.precision], CURVE_POINTS);
      metrics.curves![data.classNames[c]!] = {
        roc: { fpr: fpr!, tpr: tpr!, auc: points.auc },
        pr: { recall: recall!, precision: precision!, ap: points.ap },
      };
    });
  }
  return metrics;
}
