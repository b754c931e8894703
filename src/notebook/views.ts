/**
 * What the notebooks show about runs and data, one function per view, so that a notebook cell is one call and the
 * same code serves every notebook (docs/ARCHITECTURE.md §6: no logic lives only in a notebook).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DataItem } from '../data/types.ts';
import type { SplitMetrics } from '../metrics/evaluate.ts';
import { metricSpec, SECTION_TASK } from '../metrics/registry.ts';
import { PLOTS } from '../plots/index.ts';
import type { Run } from '../runs/run_files.ts';
import { showImageGrid, showTable, showVegaLite, type TableCell } from './display.ts';

/** One of src/plots' figures over one or more runs, rendered natively by JupyterLab. */
export async function showPlot(name: string, runs: readonly Run[]): Promise<void> {
  await showVegaLite(PLOTS.get(name).spec(runs));
}

/** Parameters, input and training facts of each run. */
export function showRunSummaries(runs: readonly Run[]): void {
  showTable(
    runs.map((run) => ({
      run: run.summary.name,
      arch: run.summary.arch,
      input: run.summary.input.join('x'),
      params: run.summary.params.total,
      trainable: run.summary.params.trainable,
      frozen: run.summary.params.frozen,
      epochs: `${run.summary.epochs.run}/${run.summary.epochs.planned}`,
      seconds: Math.round(run.summary.timings.totalSeconds),
    })),
    { caption: 'Runs: parameters (total / trainable / frozen), input, epochs run of planned, time' },
  );
}

/** The columns of showMetrics: a section of metrics.json, its metric and the column's prefix (the target, if any). */
const SHOWN_METRICS: readonly { section: keyof SplitMetrics; key: string; prefix: string }[] = [
  { section: 'classification', key: 'accuracy', prefix: '' },
  { section: 'classification', key: 'f1_macro', prefix: '' },
  { section: 'classification', key: 'kappa', prefix: '' },
  { section: 'valence', key: 'ccc', prefix: 'valence ' },
  { section: 'valence', key: 'rmse', prefix: 'valence ' },
  { section: 'arousal', key: 'ccc', prefix: 'arousal ' },
  { section: 'series', key: 'mse', prefix: '' },
  { section: 'series', key: 'naive_mse', prefix: '' },
];

/** Test-split metrics of each run with their 95% intervals, labelled as the metric registry labels them (absent tasks are left out). */
export function showMetrics(runs: readonly Run[], split = 'test'): void {
  const rows = runs.map((run) => {
    const metrics = run.metrics?.[split];
    const row: Record<string, TableCell> = { run: run.summary.name };
    for (const { section, key, prefix } of SHOWN_METRICS) {
      const values = metrics?.[section] as Record<string, unknown> | undefined;
      if (values !== undefined)
        row[`${prefix}${metricSpec(SECTION_TASK[section], key)!.label}`] = values[key] as TableCell;
    }
    return row;
  });
  showTable(rows, { caption: `Metrics on the ${split} split with 95% bootstrap intervals` });
}

/** The green/red grids of correctly and incorrectly classified test images of a run. */
export function showExamples(run: Run, perKind = 8): void {
  const items = run.examples?.items ?? [];
  for (const correct of [true, false]) {
    const chosen = items.filter((item) => item.correct === correct).slice(0, perKind);
    showImageGrid(
      chosen.map((item) => ({
        bytes: readFileSync(join(run.dir, 'examples', item.file)),
        caption: `true ${item.true} / pred ${item.pred}`,
        border: correct ? 'green' : 'red',
      })),
      { title: `${correct ? 'Correctly' : 'Incorrectly'} classified test images of ${run.summary.name}` },
    );
  }
}

/** A grid of a dataset's first images with their labels. */
export function showSamples(items: readonly DataItem[], classes: readonly string[], count = 16): void {
  const chosen = items.filter((item) => item.file !== undefined).slice(0, count);
  showImageGrid(
    chosen.map((item) => ({
      bytes: readFileSync(item.file!),
      caption: item.label === undefined ? item.id : (classes[item.label] ?? String(item.label)),
    })),
    { title: 'Sample images with their annotated expression' },
  );
}
