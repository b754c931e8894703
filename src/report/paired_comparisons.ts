/**
 * The report's paired comparisons (src/metrics/paired.ts): within each dataset, for each compared metric, the best run
 * against every other run scored on the same test items, with McNemar's exact test for accuracy and a paired bootstrap
 * for the others; Holm's correction runs over every comparison of the report at once. Runs scored on other test items
 * cannot be paired and are listed as such, for the text to fall back to their unpaired intervals.
 */
import type { Estimate } from '../metrics/bootstrap.ts';
import { regressionTarget } from '../metrics/evaluate.ts';
import { pairedClassification, pairedRegression, holm, type PairedDifference } from '../metrics/paired.ts';
import type { Prediction, Run } from '../runs/run_files.ts';
import type { ReportContext } from './context.ts';
import { byDataset } from './datasets.ts';

/** A metric the report compares in pairs: where its value sits in metrics.json and which way is better. */
export interface ComparedMetric {
  key: 'accuracy' | 'f1_macro' | 'kappa' | 'valence_rmse' | 'valence_ccc' | 'arousal_rmse' | 'arousal_ccc';
  label: string;
  higherIsBetter: boolean;
  value: (run: Run) => Estimate | undefined;
}

const test = (run: Run) => run.metrics?.['test'];

export const COMPARED_METRICS: readonly ComparedMetric[] = [
  {
    key: 'accuracy',
    label: 'test accuracy',
    higherIsBetter: true,
    value: (run) => test(run)?.classification?.accuracy,
  },
  {
    key: 'f1_macro',
    label: 'test macro F1',
    higherIsBetter: true,
    value: (run) => test(run)?.classification?.f1_macro,
  },
  { key: 'kappa', label: 'test Cohen κ', higherIsBetter: true, value: (run) => test(run)?.classification?.kappa },
  ...(['valence', 'arousal'] as const).flatMap((target) => [
    {
      key: `${target}_rmse` as const,
      label: `${target} RMSE`,
      higherIsBetter: false,
      value: (run: Run) => test(run)?.[target]?.rmse,
    },
    {
      key: `${target}_ccc` as const,
      label: `${target} CCC`,
      higherIsBetter: true,
      value: (run: Run) => test(run)?.[target]?.ccc,
    },
  ]),
];

/** The best run of a metric against one other run on the same test items. */
export interface Comparison {
  metric: ComparedMetric;
  best: Run;
  other: Run;
  /** Best − other (its `a` is the best run's value). */
  result: PairedDifference;
  /** The p-value after Holm's correction over the whole report. */
  holmP: number;
  /** Test items both were scored on. */
  items: number;
}

/** One metric on one dataset: its best run, the comparisons with the others, and the runs that could not be paired. */
export interface MetricComparisons {
  metric: ComparedMetric;
  best: Run;
  /** The other runs with the metric, from the runner-up down. */
  ranked: Run[];
  comparisons: Comparison[];
  /** Runs with the metric but other test items than the best run's. */
  unpaired: Run[];
}

function testRecords(run: Run): Map<string, Prediction> | undefined {
  const records = (run.predictions ?? []).filter((record) => record.split === 'test' && record.id !== undefined);
  return records.length === 0 ? undefined : new Map(records.map((record) => [record.id!, record]));
}

/** The two runs' test records aligned by id, when both were scored on exactly the same test items. */
function aligned(a: Run, b: Run): [Prediction[], Prediction[]] | undefined {
  const left = testRecords(a);
  const right = testRecords(b);
  if (left === undefined || right === undefined || left.size !== right.size) return undefined;
  const ids = [...left.keys()].sort();
  if (!ids.every((id) => right.has(id))) return undefined;
  return [ids.map((id) => left.get(id)!), ids.map((id) => right.get(id)!)];
}

/** Every paired difference of one task between two runs, with the items it was computed on. */
interface PairResults {
  results: Partial<Record<string, PairedDifference>>;
  items: number;
}

/**
 * The paired differences of `best` against `other` for one task (classification, valence or arousal), all of that
 * task's metrics in one bootstrap; undefined when the two were not scored on the same test items.
 */
function pairResults(best: Run, other: Run, task: 'classification' | 'valence' | 'arousal'): PairResults | undefined {
  const pair = aligned(best, other);
  if (pair === undefined) return undefined;
  const [a, b] = pair;
  // Seeded by the best run's own seed, as its metrics.json intervals are.
  const options = { seed: best.summary.seed };
  if (task === 'classification') {
    const classes = Math.max(
      best.summary.classNames?.length ?? 0,
      ...[...a, ...b].flatMap(classIndices).map((c) => c + 1),
    );
    const labels = a.map((record) => Number(record.true));
    const results = pairedClassification(
      labels,
      a.map((record) => Number(record.pred)),
      b.map((record) => Number(record.pred)),
      classes,
      options,
    );
    return { results, items: labels.length };
  }
  const predicted = task === 'valence' ? 'predValence' : 'predArousal';
  const truth = a.map((record) => regressionTarget(record[task]));
  const results = pairedRegression(
    truth,
    a.map((record) => record[predicted] ?? Number.NaN),
    b.map((record) => record[predicted] ?? Number.NaN),
    options,
  );
  return { results, items: truth.filter(Number.isFinite).length };
}

/** Where a compared metric sits in its task's paired results: the task, and the metric's key there. */
function taskOf(metric: ComparedMetric): { task: 'classification' | 'valence' | 'arousal'; key: string } {
  if (metric.key === 'accuracy' || metric.key === 'f1_macro' || metric.key === 'kappa')
    return { task: 'classification', key: metric.key };
  const [task, key] = metric.key.split('_') as ['valence' | 'arousal', 'rmse' | 'ccc'];
  return { task, key };
}

function classIndices(record: Prediction): number[] {
  return [record.true, record.pred].filter((value): value is number => typeof value === 'number');
}

function computeComparisons(runs: readonly Run[]): MetricComparisons[] {
  const groups: (Omit<MetricComparisons, 'comparisons'> & { comparisons: Omit<Comparison, 'holmP'>[] })[] = [];
  const cache = new Map<string, PairResults | undefined>();
  for (const group of byDataset(runs)) {
    for (const metric of COMPARED_METRICS) {
      const scored = group
        .filter((run) => Number.isFinite(metric.value(run)?.value))
        .sort((x, y) => (metric.higherIsBetter ? 1 : -1) * (metric.value(y)!.value - metric.value(x)!.value));
      const [best, ...others] = scored;
      if (best === undefined || others.length === 0) continue;
      const comparisons: Omit<Comparison, 'holmP'>[] = [];
      const unpaired: Run[] = [];
      const { task, key } = taskOf(metric);
      for (const other of others) {
        // Metrics of one task share a pair's bootstrap: accuracy, macro F1 and κ usually have the same best run.
        const cacheKey = `${best.dir}\u0000${other.dir}\u0000${task}`;
        if (!cache.has(cacheKey)) cache.set(cacheKey, pairResults(best, other, task));
        const computed = cache.get(cacheKey);
        if (computed === undefined) unpaired.push(other);
        else comparisons.push({ metric, best, other, result: computed.results[key]!, items: computed.items });
      }
      groups.push({ metric, best, ranked: others, comparisons, unpaired });
    }
  }
  const adjusted = holm(groups.flatMap((group) => group.comparisons.map((c) => c.result.p)));
  let next = 0;
  return groups.map((group) => ({
    ...group,
    comparisons: group.comparisons.map((comparison) => ({ ...comparison, holmP: adjusted[next++]! })),
  }));
}

const memo = new WeakMap<ReportContext, MetricComparisons[]>();

/**
 * Every paired comparison of the report's image runs, computed once per report.
 *
 * @example
 * pairedComparisons(context).find((m) => m.metric.key === 'accuracy')?.comparisons[0]?.holmP;
 */
export function pairedComparisons(context: ReportContext): MetricComparisons[] {
  let found = memo.get(context);
  if (found === undefined) {
    found = computeComparisons(context.imageRuns);
    memo.set(context, found);
  }
  return found;
}

/** Significance at the report's level (5%, after Holm's correction). */
export const SIGNIFICANT = 0.05;
