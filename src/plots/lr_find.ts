/**
 * The learning-rate range test's figure: the smoothed loss against the rate on a log axis, each batch's raw loss
 * faint behind it, and fastai's suggested rates marked with rules.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { LrFindResult } from '../runs/lr_find.ts';
import { FULL_WIDTH, PLOT_CONFIG, round } from './common.ts';

/**
 * Vega-Lite spec of an `lr-find` result.
 *
 * @example
 * const spec = lrFindPlot(await findLearningRate('configs/mobilenetv2_finetune.json'));
 */
export function lrFindPlot(result: LrFindResult): TopLevelSpec {
  const values = result.points.flatMap((point) =>
    Number.isFinite(point.loss) ? [{ lr: point.lr, loss: round(point.loss), smoothed: round(point.smoothed) }] : [],
  );
  const s = result.suggestions;
  const suggested: [string, number][] =
    s === undefined
      ? []
      : [
          ['valley', s.valley],
          ['steepest', s.steepest],
        ];
  const marks = suggested.map(([name, lr]) => ({ lr, label: `${name} ${lr.toExponential(1)}` }));
  // The raw losses of the last batches can be far above the curve: the y axis follows the smoothed loss.
  const smoothed = values.map((value) => value.smoothed);
  const domain = [Math.min(...smoothed) * 0.9, Math.max(...smoothed) * 1.1];
  const x = {
    field: 'lr',
    type: 'quantitative',
    scale: { type: 'log' },
    axis: { format: '.0e' },
    title: 'learning rate (log scale)',
  } as const;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: `Learning-rate range test: ${result.name} (${result.arch})`,
    width: FULL_WIDTH,
    height: 260,
    config: PLOT_CONFIG,
    layer: [
      {
        data: { values },
        mark: { type: 'point', size: 8, opacity: 0.3, color: '#999', clip: true },
        encoding: { x, y: { field: 'loss', type: 'quantitative', title: 'training loss', scale: { domain } } },
      },
      {
        data: { values },
        mark: { type: 'line', color: '#1f77b4' },
        encoding: { x, y: { field: 'smoothed', type: 'quantitative' } },
      },
      {
        data: { values: marks },
        mark: { type: 'rule', strokeDash: [4, 3], color: '#d62728' },
        encoding: { x },
      },
      {
        data: { values: marks },
        mark: { type: 'text', align: 'left', dx: 3, dy: -4, baseline: 'bottom', color: '#d62728' },
        encoding: { x, y: { value: 0 }, text: { field: 'label' } },
      },
    ],
  };
}
