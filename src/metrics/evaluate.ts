/**
 * Scores prediction records (the lines of predictions.jsonl) into one split's metrics in the metrics.json shape of
 * docs/ARCHITECTURE.md §3: `classification`, `valence`, `arousal`, `series`, each present only when the records carry that task.
 */
import type { BootstrapOptions } from './bootstrap.ts';
import { classificationMetrics, type ClassificationMetrics } from './classification.ts';
import { regressionMetrics, type RegressionMetrics } from './regression.ts';
import { seriesMetrics, type SeriesMetrics } from './series.ts';

/** One scored item; every field is optional so that one record type serves images and series. */
export interface PredictionRecord {
  id?: string;
  split?: string;
  /** True class index (or name). */
  true?: number | string | null;
  /** Predicted class index (or name). */
  pred?: number | string | null;
  probs?: number[] | null;
  /** True valence/arousal; NaN or null when absent or uncertain. */
  valence?: number | null;
  arousal?: number | null;
  predValence?: number | null;
  predArousal?: number | null;
  /** Series: the value to forecast, the forecast, and the last observed value (naive forecast). */
  target?: number | null;
  forecast?: number | null;
  last?: number | null;
}

/** Metrics of one split; absent tasks are absent keys, never zeros. */
export interface SplitMetrics {
  classification?: ClassificationMetrics;
  valence?: RegressionMetrics;
  arousal?: RegressionMetrics;
  series?: SeriesMetrics;
}

/** The whole metrics.json: split name -> its metrics. */
export type MetricsFile = Record<string, SplitMetrics>;

export interface EvaluateOptions extends BootstrapOptions {
  /** Class names in index order; by default the indices (or the sorted names found in the records). */
  classNames?: readonly string[];
}

/** AffectNet marks an uncertain valence/arousal with -2 (docs/ARCHITECTURE.md §3); it is left out of the regression scores. */
const UNCERTAIN = -2;

/**
 * The regression target of a valence/arousal value: NaN when absent or AffectNet's 'uncertain' (-2), so that it is
 * left out of the loss and of the scores.
 *
 * @example
 * regressionTarget(-2); // NaN
 */
export function regressionTarget(value: number | null | undefined): number {
  return value === UNCERTAIN || value === null || value === undefined ? Number.NaN : value;
}

function hasValue<T>(value: T | null | undefined): value is T {
  return value !== undefined && value !== null;
}

function classIndexer(
  records: readonly PredictionRecord[],
  classNames: readonly string[] | undefined,
): { names: string[]; index: (value: number | string) => number } {
  const values = records.flatMap((record) => [record.true, record.pred]).filter(hasValue);
  const byName = values.some((value) => typeof value === 'string');
  const width = Math.max(0, ...records.map((record) => record.probs?.length ?? 0));
  const names =
    classNames !== undefined
      ? [...classNames]
      : byName
        ? [...new Set(values.map(String))].sort()
        : Array.from({ length: Math.max(width, ...values.map((value) => Number(value) + 1)) }, (_, i) => String(i));
  return {
    names,
    index: (value) =>
      typeof value === 'string' && (byName || classNames !== undefined) && names.includes(value)
        ? names.indexOf(value)
        : Number(value),
  };
}

/**
 * Computes every metric the records support, each with its 95% bootstrap interval.
 *
 * @example
 * const metrics = evaluatePredictions(records, { classNames: ['Neutral', 'Happy'], seed: 1 });
 * metrics.classification?.accuracy.value;
 */
export function evaluatePredictions(records: readonly PredictionRecord[], options: EvaluateOptions = {}): SplitMetrics {
  const result: SplitMetrics = {};
  const classified = records.filter((record) => hasValue(record.true) && hasValue(record.pred));
  if (classified.length > 0) {
    const { names, index } = classIndexer(classified, options.classNames);
    const withProbs = classified.every((record) => record.probs?.length === names.length);
    result.classification = classificationMetrics(
      {
        labels: classified.map((record) => index(record.true!)),
        predicted: classified.map((record) => index(record.pred!)),
        ...(withProbs ? { probs: classified.map((record) => record.probs!) } : {}),
        classNames: names,
      },
      options,
    );
  }
  const valence = regressionMetrics(
    records.map((r) => regressionTarget(r.valence)),
    records.map((r) => r.predValence),
    options,
  );
  if (valence !== null) result.valence = valence;
  const arousal = regressionMetrics(
    records.map((r) => regressionTarget(r.arousal)),
    records.map((r) => r.predArousal),
    options,
  );
  if (arousal !== null) result.arousal = arousal;
  const series = records.filter((record) =>
    [record.target, record.forecast, record.last].every((value) => Number.isFinite(value)),
  );
  if (series.length > 0) {
    result.series = seriesMetrics(
      { target: series.map((r) => r.target!), pred: series.map((r) => r.forecast!), last: series.map((r) => r.last!) },
      options,
    );
  }
  return result;
}
