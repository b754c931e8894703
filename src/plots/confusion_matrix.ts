/** Confusion matrix heatmap: rows true, columns predicted, shaded by the row share (per-class recall), counts written in. */
import type { TopLevelSpec } from 'vega-lite';
import type { Run } from '../runs/run_files.ts';
import { PLOT_CONFIG, round } from './common.ts';

/**
 * The confusion matrix of one split (default test) from metrics.json.
 *
 * @example
 * const spec = confusionMatrix(readRun('runs/mobilenetv2'), 'test');
 */
export function confusionMatrix(run: Run, split = 'test'): TopLevelSpec {
  const matrix = run.metrics?.[split]?.classification?.confusion_matrix ?? { labels: [], matrix: [] };
  const values = matrix.matrix.flatMap((row, i) => {
    const total = row.reduce((a, b) => a + b, 0);
    return row.map((count, j) => ({
      true: matrix.labels[i]!,
      predicted: matrix.labels[j]!,
      count,
      share: round(total > 0 ? count / total : 0),
    }));
  });
  const cell = Math.max(22, Math.min(40, Math.floor(300 / Math.max(1, matrix.labels.length))));
  return {
    config: PLOT_CONFIG,
    data: { values },
    width: cell * matrix.labels.length,
    height: cell * matrix.labels.length,
    encoding: {
      x: {
        field: 'predicted',
        type: 'nominal',
        sort: matrix.labels,
        title: 'predicted',
        axis: { labelAngle: -40, grid: false },
      },
      y: { field: 'true', type: 'nominal', sort: matrix.labels, title: 'true', axis: { grid: false } },
    },
    layer: [
      {
        mark: 'rect',
        encoding: {
          color: {
            field: 'share',
            type: 'quantitative',
            title: 'row share',
            scale: { domain: [0, 1], range: ['#ffffff', '#08519c'] },
            legend: { orient: 'right', direction: 'vertical' },
          },
        },
      },
      {
        mark: { type: 'text', fontSize: 9 },
        encoding: {
          text: { field: 'count', type: 'quantitative' },
          color: { condition: { test: 'datum.share > 0.5', value: 'white' }, value: 'black' },
        },
      },
    ],
  };
}
