/** Comparison of architectures: one metric per model on validation and test, bars with their 95% intervals. */
import type { TopLevelSpec } from 'vega-lite';
import type { Estimate } from '../metrics/bootstrap.ts';
import { metricSpec } from '../metrics/registry.ts';
import type { Run } from '../runs/run_files.ts';
import { FULL_WIDTH, PLOT_CONFIG, round, runLabel, SPLIT_NAMES } from './common.ts';

/** A bar with its interval; `model` names the run. */
export interface IntervalRow {
  model: string;
  split: string;
  value: number;
  lo: number;
  hi: number;
}

function row(model: string, split: string, estimate: Estimate): IntervalRow {
  return {
    model,
    split: SPLIT_NAMES[split] ?? split,
    value: round(estimate.value),
    lo: round(estimate.ci[0]),
    hi: round(estimate.ci[1]),
  };
}

/**
 * Horizontal bars (one per model and split) with 95% interval whiskers, for rows gathered by the caller.
 *
 * @example
 * const spec = intervalBars([{ model: 'a', split: 'test', value: 0.8, lo: 0.7, hi: 0.9 }], 'accuracy');
 */
export function intervalBars(values: IntervalRow[], title: string): TopLevelSpec {
  const models = [...new Set(values.map((v) => v.model))];
  const splits = [...new Set(values.map((v) => v.split))];
  return {
    config: PLOT_CONFIG,
    data: { values },
    width: FULL_WIDTH - 120,
    height: { step: splits.length > 1 ? 11 : 16 },
    encoding: {
      y: { field: 'model', type: 'nominal', sort: models, title: null },
      yOffset: { field: 'split', type: 'nominal', sort: splits },
    },
    layer: [
      {
        mark: { type: 'bar', opacity: 0.85 },
        encoding: {
          x: { field: 'value', type: 'quantitative', title: `${title} (bars: value, whiskers: 95% CI)` },
          color: { field: 'split', type: 'nominal', title: null, sort: splits },
        },
      },
      {
        mark: { type: 'rule', color: 'black' },
        encoding: { x: { field: 'lo', type: 'quantitative' }, x2: { field: 'hi' } },
      },
    ],
  };
}

/** The classification metrics a comparison chart can show: the registry's, except top-k (its k differs by class count). */
export type ComparedMetric =
  | 'accuracy'
  | 'precision_macro'
  | 'recall_macro'
  | 'f1_macro'
  | 'f1_weighted'
  | 'kappa'
  | 'krippendorff_alpha'
  | 'auc_roc_macro'
  | 'auc_pr_macro';

/**
 * Classification metric (default accuracy) of every run on validation and test, labelled as the metric registry
 * labels it.
 *
 * @example
 * const spec = comparisonChart(runs, 'f1_macro');
 */
export function comparisonChart(runs: readonly Run[], metric: ComparedMetric = 'accuracy'): TopLevelSpec {
  const values = runs.flatMap((run) =>
    ['val', 'test'].flatMap((split) => {
      const estimate = run.metrics?.[split]?.classification?.[metric];
      return estimate !== undefined && Number.isFinite(estimate.value) ? [row(runLabel(run), split, estimate)] : [];
    }),
  );
  return intervalBars(values, metricSpec('classification', metric)!.label);
}

/**
 * Test-split series MSE of every series run, with the naive last-value benchmark of the first as its own bar.
 *
 * @example
 * const spec = seriesErrors(runs);
 */
export function seriesErrors(runs: readonly Run[]): TopLevelSpec {
  const withSeries = runs.filter((run) => run.metrics?.['test']?.series !== undefined);
  const values = withSeries.map((run) => row(runLabel(run), 'test', run.metrics!['test']!.series!.mse));
  const naive = withSeries[0]?.metrics?.['test']?.series?.naive_mse;
  if (naive !== undefined) values.push(row('naive (last value)', 'test', naive));
  return intervalBars(values, 'test MSE');
}
