/**
 * Every metric percept reports, declared once: its key in metrics.json, its label, its task, which way is better,
 * how many decimals it is printed with, its function of the task's sufficient statistics (formulas.ts: a weighted
 * confusion matrix, error sums, moments; the bootstrap calls it once per resample), and the scikit-learn / SciPy /
 * krippendorff expression that computes the same figure. classification.ts, regression.ts and series.ts compute
 * through it (computeMetrics); the trainer's monitor (min or max), the report's tables, the comparison chart, the
 * notebook views, `percept metrics` and the parity test (registry.test.ts, which runs every reference in `.venv`)
 * read it.
 *
 * Adding a metric is one entry here (a new statistic, if it needs one, is a field of its task's sample); the parity
 * test fails until its reference agrees.
 */

export type MetricTask = 'classification' | 'regression' | 'series';

/** Where a metric appears in the report: the scores table, the agreement-and-ranking table, or its task's one table. */
import {
  cohenKappa,
  concordance,
  krippendorffAlphaNominal,
  mean,
  pearson,
  type ClassificationSample,
  type RegressionSample,
  type SeriesSample,
} from './formulas.ts';

export type MetricGroup = 'scores' | 'agreement' | 'task';

interface MetricDeclaration {
  /** Key in metrics.json under its task (top-k is written `top${k}`, e.g. `top5`). */
  key: string;
  label: string;
  better: 'higher' | 'lower';
  group: MetricGroup;
  /** Decimals in the terminal (`percept metrics`); the report prints 3 significant digits throughout. */
  digits: number;
  /**
   * The reference implementation, a Python expression over the parity test's arrays: `y_true`, `y_pred`, `probs`,
   * `labels` (class indices), `k` (classification); `truth`, `pred` (regression); `target`, `forecast`, `last` (series).
   */
  reference: string;
  /** What the trainer logs for it per epoch (`acc`, `val_acc`, `<output>_acc`), when it logs it. */
  logName?: string;
  /** Computed only from class probabilities, so absent where predictions carry none. */
  needsProbabilities?: true;
}

/** A metric: its declaration and its function of its task's sufficient statistics (formulas.ts). */
export type MetricSpec =
  | (MetricDeclaration & { task: 'classification'; compute: (sample: ClassificationSample) => number | undefined })
  | (MetricDeclaration & { task: 'regression'; compute: (sample: RegressionSample) => number })
  | (MetricDeclaration & { task: 'series'; compute: (sample: SeriesSample) => number });

/** The statistics each task's metrics are computed from. */
export interface SampleOf {
  classification: ClassificationSample;
  regression: RegressionSample;
  series: SeriesSample;
}

/** The key pattern of top-k accuracy in metrics.json. */
export const TOP_K_KEY = /^top\d+$/;

export const METRICS: readonly MetricSpec[] = [
  {
    key: 'accuracy',
    label: 'Accuracy',
    task: 'classification',
    better: 'higher',
    group: 'scores',
    digits: 4,
    reference: 'accuracy_score(y_true, y_pred)',
    logName: 'acc',
    compute: (s) => s.matrix.reduce((sum, row, c) => sum + row[c]!, 0) / s.total,
  },
  {
    key: 'topK',
    label: 'Top-k',
    task: 'classification',
    better: 'higher',
    group: 'scores',
    digits: 4,
    reference: 'top_k_accuracy_score(y_true, probs, k=k, labels=labels)',
    needsProbabilities: true,
    compute: (s) => s.topK,
  },
  {
    key: 'precision_macro',
    label: 'Precision (macro)',
    task: 'classification',
    better: 'higher',
    group: 'scores',
    digits: 4,
    reference: "precision_score(y_true, y_pred, average='macro', zero_division=0)",
    compute: (s) => mean(s.macroClasses.map((c) => s.scores.precision[c]!)),
  },
  {
    key: 'recall_macro',
    label: 'Recall (macro)',
    task: 'classification',
    better: 'higher',
    group: 'scores',
    digits: 4,
    reference: "recall_score(y_true, y_pred, average='macro', zero_division=0)",
    compute: (s) => mean(s.macroClasses.map((c) => s.scores.recall[c]!)),
  },
  {
    key: 'f1_macro',
    label: 'F1 (macro)',
    task: 'classification',
    better: 'higher',
    group: 'scores',
    digits: 4,
    reference: "f1_score(y_true, y_pred, average='macro', zero_division=0)",
    compute: (s) => mean(s.macroClasses.map((c) => s.scores.f1[c]!)),
  },
  {
    key: 'f1_weighted',
    label: 'F1 (weighted)',
    task: 'classification',
    better: 'higher',
    group: 'scores',
    digits: 4,
    reference: "f1_score(y_true, y_pred, average='weighted', zero_division=0)",
    compute: (s) => s.scores.f1.reduce((sum, f1, c) => sum + f1 * s.scores.support[c]!, 0) / s.total,
  },
  {
    key: 'kappa',
    label: 'Cohen κ',
    task: 'classification',
    better: 'higher',
    group: 'agreement',
    digits: 4,
    reference: 'cohen_kappa_score(y_true, y_pred)',
    compute: (s) => cohenKappa(s.matrix),
  },
  {
    key: 'krippendorff_alpha',
    label: 'Krippendorff α',
    task: 'classification',
    better: 'higher',
    group: 'agreement',
    digits: 4,
    reference: "krippendorff.alpha(reliability_data=[y_true, y_pred], level_of_measurement='nominal')",
    compute: (s) => krippendorffAlphaNominal(s.matrix),
  },
  {
    key: 'auc_roc_macro',
    label: 'AUC-ROC',
    task: 'classification',
    better: 'higher',
    group: 'agreement',
    digits: 4,
    reference: "roc_auc_score(label_binarize(y_true, classes=labels), probs, average='macro')",
    needsProbabilities: true,
    compute: (s) => (s.ranking === undefined ? undefined : mean(s.ranking.map((r) => r.auc))),
  },
  {
    key: 'auc_pr_macro',
    label: 'AUC-PR',
    task: 'classification',
    better: 'higher',
    group: 'agreement',
    digits: 4,
    reference: "average_precision_score(label_binarize(y_true, classes=labels), probs, average='macro')",
    needsProbabilities: true,
    compute: (s) => (s.ranking === undefined ? undefined : mean(s.ranking.map((r) => r.ap))),
  },
  {
    key: 'rmse',
    label: 'RMSE',
    task: 'regression',
    better: 'lower',
    group: 'task',
    digits: 4,
    reference: 'mean_squared_error(truth, pred) ** 0.5',
    compute: (s) => Math.sqrt(s.squared / s.total),
  },
  {
    key: 'mae',
    label: 'MAE',
    task: 'regression',
    better: 'lower',
    group: 'task',
    digits: 4,
    reference: 'mean_absolute_error(truth, pred)',
    logName: 'mae',
    compute: (s) => s.absolute / s.total,
  },
  {
    key: 'corr',
    label: 'CORR',
    task: 'regression',
    better: 'higher',
    group: 'task',
    digits: 4,
    reference: 'pearsonr(truth, pred)[0]',
    compute: (s) => pearson(s.moments),
  },
  {
    key: 'sagr',
    label: 'SAGR',
    task: 'regression',
    better: 'higher',
    group: 'task',
    digits: 4,
    reference: 'np.mean(np.sign(truth) == np.sign(pred))',
    compute: (s) => s.agree / s.total,
  },
  {
    key: 'ccc',
    label: 'CCC',
    task: 'regression',
    better: 'higher',
    group: 'task',
    digits: 4,
    reference:
      '2 * np.cov(truth, pred, bias=True)[0, 1] / (truth.var() + pred.var() + (truth.mean() - pred.mean()) ** 2)',
    compute: (s) => concordance(s.moments),
  },
  {
    key: 'mse',
    label: 'MSE',
    task: 'series',
    better: 'lower',
    group: 'task',
    digits: 4,
    reference: 'mean_squared_error(target, forecast)',
    compute: (s) => s.squared / s.total,
  },
  {
    key: 'mae',
    label: 'MAE',
    task: 'series',
    better: 'lower',
    group: 'task',
    digits: 4,
    reference: 'mean_absolute_error(target, forecast)',
    compute: (s) => s.absolute / s.total,
  },
  {
    key: 'naive_mse',
    label: 'Naive MSE',
    task: 'series',
    better: 'lower',
    group: 'task',
    digits: 4,
    reference: 'mean_squared_error(target, last)',
    compute: (s) => s.naiveSquared / s.total,
  },
  {
    key: 'naive_mae',
    label: 'Naive MAE',
    task: 'series',
    better: 'lower',
    group: 'task',
    digits: 4,
    reference: 'mean_absolute_error(target, last)',
    compute: (s) => s.naiveAbsolute / s.total,
  },
];

/**
 * The metrics of one task, in report order; with `group`, only those of that report group.
 *
 * @example
 * metricsOf('classification', 'agreement').map((m) => m.key); // ['kappa', 'krippendorff_alpha', 'auc_roc_macro', 'auc_pr_macro']
 */
export function metricsOf(task: MetricTask, group?: MetricGroup): MetricSpec[] {
  return METRICS.filter((metric) => metric.task === task && (group === undefined || metric.group === group));
}

/** The registry task of each section of a split's metrics (metrics/evaluate.ts SplitMetrics). */
export const SECTION_TASK: Readonly<Record<'classification' | 'valence' | 'arousal' | 'series', MetricTask>> = {
  classification: 'classification',
  valence: 'regression',
  arousal: 'regression',
  series: 'series',
};

/**
 * The key `metric` is stored under among a section's `keys` (top-k under its k, e.g. `top5`); undefined when absent.
 *
 * @example
 * storedKey(metricSpec('classification', 'topK')!, ['accuracy', 'top5']); // 'top5'
 */
export function storedKey(metric: MetricSpec, keys: readonly string[]): string | undefined {
  return metric.key === 'topK' ? keys.find((key) => TOP_K_KEY.test(key)) : metric.key;
}

/**
 * A task's metric by its metrics.json key (`top5` finds top-k); undefined for a key the registry does not declare.
 *
 * @example
 * metricSpec('classification', 'kappa')?.label; // 'Cohen κ'
 */
export function metricSpec(task: MetricTask, key: string): MetricSpec | undefined {
  const declared = TOP_K_KEY.test(key) ? 'topK' : key;
  return METRICS.find((metric) => metric.task === task && metric.key === declared);
}

/**
 * Whether a logged quantity improves by going down ('min') or up ('max'), from the registry: a loss goes down; a
 * metric goes the way the registry says, whether logged by its key (`val_f1_macro`) or by the trainer's name for it
 * (`val_acc`, `val_classification_acc`, `valence_arousal_mae`). Undefined for a name the registry cannot place.
 *
 * @example
 * monitorMode('val_classification_acc'); // 'max'
 * monitorMode('val_loss'); // 'min'
 */
export function monitorMode(logged: string): 'min' | 'max' | undefined {
  const name = logged.replace(/^val_/, '');
  if (name === 'loss' || name.endsWith('_loss')) return 'min';
  const names = METRICS.flatMap((metric) =>
    [metric.key, ...(metric.logName === undefined ? [] : [metric.logName])].map((alias) => ({ alias, metric })),
  );
  // The longest alias that names the whole log or its suffix after an output's name (`<output>_<metric>`).
  const match = names
    .filter(
      ({ alias }) =>
        name === alias || name.endsWith(`_${alias}`) || (alias === 'topK' && TOP_K_KEY.test(name.split('_').at(-1)!)),
    )
    .sort((a, b) => b.alias.length - a.alias.length)[0];
  if (match === undefined) return undefined;
  return match.metric.better === 'higher' ? 'max' : 'min';
}

/**
 * Every metric of `task` computed from one sample of its statistics, by key; a metric that cannot be computed
 * from this sample (AUC without probabilities) is left out.
 *
 * @example
 * computeMetrics('series', { total: 2, squared: 0.5, absolute: 1, naiveSquared: 2, naiveAbsolute: 2 }).mse; // 0.25
 */
export function computeMetrics<T extends MetricTask>(task: T, sample: SampleOf[T]): Record<string, number> {
  const values: Record<string, number> = {};
  for (const metric of METRICS) {
    if (metric.task !== task) continue;
    // The union cannot narrow on a generic task: the filter above is what makes `sample` this metric's.
    const value = (metric.compute as (sample: SampleOf[T]) => number | undefined)(sample);
    if (value !== undefined) values[metric.key] = value;
  }
  return values;
}
