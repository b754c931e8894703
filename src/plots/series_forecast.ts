/** Time series: the actual test values, each model's forecast and the naive last-value forecast over time. */
import type { TopLevelSpec } from 'vega-lite';
import type { Run } from '../runs/run_files.ts';
import { FULL_WIDTH, PLOT_CONFIG, round, runLabel } from './common.ts';

/**
 * Lines over the test split of every series run (time from predictions.jsonl `time`, else the item order).
 *
 * @example
 * const spec = seriesForecast([readRun('runs/lstm'), readRun('runs/gru')]);
 */
export function seriesForecast(runs: readonly Run[], split = 'test'): TopLevelSpec {
  const series = runs
    .map((run) => ({
      run,
      records: (run.predictions ?? []).filter((p) => p.split === split && typeof p.target === 'number'),
    }))
    .filter((s) => s.records.length > 0);
  const temporal = series.every((s) => s.records.every((p) => typeof p.time === 'string'));
  const time = (p: { time?: string | number }, i: number): string | number =>
    temporal ? (p.time as string) : typeof p.time === 'number' ? p.time : i;
  const first = series[0]?.records ?? [];
  const values = [
    ...first.map((p, i) => ({ time: time(p, i), line: 'actual', value: round(p.target!) })),
    ...first.map((p, i) => ({ time: time(p, i), line: 'naive (last value)', value: round(p.last!) })),
    ...series.flatMap((s) =>
      s.records.map((p, i) => ({ time: time(p, i), line: runLabel(s.run), value: round(p.forecast!) })),
    ),
  ].filter((v) => Number.isFinite(v.value));
  const lines = ['actual', 'naive (last value)', ...series.map((s) => runLabel(s.run))];
  return {
    config: PLOT_CONFIG,
    data: { values },
    width: FULL_WIDTH,
    height: 220,
    mark: { type: 'line', strokeWidth: 1.3 },
    encoding: {
      x: { field: 'time', type: temporal ? 'temporal' : 'quantitative', title: temporal ? null : 'step' },
      y: { field: 'value', type: 'quantitative', scale: { zero: false }, title: 'value' },
      color: { field: 'line', type: 'nominal', title: null, sort: lines },
      strokeDash: {
        field: 'line',
        type: 'nominal',
        sort: lines,
        scale: { domain: lines, range: lines.map((l) => (l === 'naive (last value)' ? [4, 3] : [1, 0])) },
      },
    },
  };
}
