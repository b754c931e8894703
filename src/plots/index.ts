/**
 * The plot registry (docs/ARCHITECTURE.md §6): every plot a report template can name in a figure directive, with what it needs
 * from a run. A plot is a pure function of run data to a Vega-Lite spec; compiling to SVG is the report's job.
 */
import type { TopLevelSpec } from 'vega-lite';
import { Registry } from '../registry.ts';
import { isSeriesRun, type Run } from '../runs/run_files.ts';
import { classCounts } from './class_counts.ts';
import { comparisonChart, seriesErrors } from './comparison.ts';
import { confusionMatrix } from './confusion_matrix.ts';
import { rocPrCurves } from './roc_pr.ts';
import { seriesForecast } from './series_forecast.ts';
import { trainingCurves } from './training_curves.ts';
import { valenceArousalScatter } from './va_scatter.ts';

export interface PlotDefinition {
  name: string;
  /** 'run': one figure per run; 'dataset': one per distinct dataset (data hash); 'runs': one over all runs that qualify. */
  scope: 'run' | 'dataset' | 'runs';
  /** Default caption; `{run}` is replaced by the run's name. */
  caption: string;
  /** Whether the plot is meant for this run at all (a confusion matrix is not, for a forecaster): not a gap. */
  appliesTo(run: Run): boolean;
  /** What the run lacks for this plot, in words ('history.json'), or undefined when it can take part. */
  lacks(run: Run): string | undefined;
  spec(runs: readonly Run[]): TopLevelSpec;
}

const images = (run: Run): boolean => !isSeriesRun(run);
const all = (): boolean => true;
const hasClassification = (run: Run): string | undefined =>
  run.metrics?.['test']?.classification === undefined ? 'test classification metrics' : undefined;
const hasSeries = (run: Run): string | undefined =>
  run.metrics?.['test']?.series === undefined ? 'test series metrics' : undefined;

/** Every plot, in the order a template would usually place them. */
export const PLOTS = new Registry<PlotDefinition>('plot', [
  {
    name: 'class_counts',
    appliesTo: all,
    scope: 'dataset',
    caption: 'Items per class in each split ({run}).',
    lacks: (run) => (run.split === undefined ? 'split.json' : undefined),
    spec: ([run]) => classCounts(run!),
  },
  {
    name: 'training_curves',
    appliesTo: all,
    scope: 'run',
    caption:
      'Training and validation curves of {run}; dashed rules mark the kept (best) epoch and step changes of the learning rate.',
    lacks: (run) => (run.history === undefined || run.history.epochs.length === 0 ? 'history.json' : undefined),
    spec: ([run]) => trainingCurves(run!),
  },
  {
    name: 'confusion_matrix',
    appliesTo: images,
    scope: 'run',
    caption: 'Confusion matrix of {run} on the test split (shading: share of the true class).',
    lacks: hasClassification,
    spec: ([run]) => confusionMatrix(run!),
  },
  {
    name: 'roc_pr',
    appliesTo: images,
    scope: 'run',
    caption: 'One-vs-rest ROC and precision-recall curves of {run} on the test split.',
    lacks: (run) =>
      run.metrics?.['test']?.classification?.curves === undefined ? 'class probabilities (ROC/PR curves)' : undefined,
    spec: ([run]) => rocPrCurves(run!),
  },
  {
    name: 'va_scatter',
    appliesTo: (run) => images(run) && run.config.model.head.tasks.includes('valence_arousal'),
    scope: 'run',
    caption:
      'Predicted against true valence and arousal of {run} on the test split; the dashed line is a perfect prediction.',
    lacks: (run) => (run.metrics?.['test']?.valence === undefined ? 'valence/arousal predictions' : undefined),
    spec: ([run]) => valenceArousalScatter(run!),
  },
  {
    name: 'comparison',
    appliesTo: images,
    scope: 'runs',
    caption: 'Accuracy of each model on the validation and test splits with 95% bootstrap intervals.',
    lacks: hasClassification,
    spec: (runs) => comparisonChart(runs),
  },
  {
    name: 'series_forecast',
    appliesTo: isSeriesRun,
    scope: 'runs',
    caption:
      'Test-split forecasts of the recurrent models against the actual values and the naive last-value forecast.',
    lacks: hasSeries,
    spec: (runs) => seriesForecast(runs),
  },
  {
    name: 'series_errors',
    appliesTo: isSeriesRun,
    scope: 'runs',
    caption: 'Test MSE of each recurrent model and of the naive last-value benchmark, with 95% bootstrap intervals.',
    lacks: hasSeries,
    spec: (runs) => seriesErrors(runs),
  },
]);
