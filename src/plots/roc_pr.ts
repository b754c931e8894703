/** One-vs-rest ROC and precision-recall curves per class, side by side, with each class's AUC / AP in the legend. */
import type { TopLevelSpec } from 'vega-lite';
import type { Run } from '../runs/run_files.ts';
import { HALF_WIDTH, PLOT_CONFIG, round } from './common.ts';

/**
 * ROC (left) and PR (right) curves of one split (default test) from metrics.json `curves`.
 *
 * @example
 * const spec = rocPrCurves(readRun('runs/mobilenetv2'));
 */
export function rocPrCurves(run: Run, split = 'test'): TopLevelSpec {
  const curves = run.metrics?.[split]?.classification?.curves ?? {};
  const roc = Object.entries(curves).flatMap(([name, c]) => {
    const label = `${name} (${c.roc.auc.toFixed(2)})`;
    return c.roc.fpr.map((x, i) => ({ class: label, x: round(x), y: round(c.roc.tpr[i]!), order: i }));
  });
  const pr = Object.entries(curves).flatMap(([name, c]) => {
    const label = `${name} (${c.pr.ap.toFixed(2)})`;
    return c.pr.recall.map((x, i) => ({ class: label, x: round(x), y: round(c.pr.precision[i]!), order: i }));
  });
  const panel = (values: object[], title: string, x: string, y: string, diagonal: boolean) => ({
    width: HALF_WIDTH,
    height: HALF_WIDTH,
    title,
    layer: [
      ...(diagonal
        ? [
            {
              data: {
                values: [
                  { x: 0, y: 0 },
                  { x: 1, y: 1 },
                ],
              },
              mark: { type: 'line' as const, color: '#aaa', strokeDash: [4, 3] },
              encoding: {
                x: { field: 'x', type: 'quantitative' as const },
                y: { field: 'y', type: 'quantitative' as const },
              },
            },
          ]
        : []),
      {
        data: { values },
        mark: { type: 'line' as const, strokeWidth: 1.5 },
        encoding: {
          x: { field: 'x', type: 'quantitative' as const, title: x, scale: { domain: [0, 1] } },
          y: { field: 'y', type: 'quantitative' as const, title: y, scale: { domain: [0, 1] } },
          order: { field: 'order', type: 'quantitative' as const },
          color: {
            field: 'class',
            type: 'nominal' as const,
            title: null,
            legend: { columns: 2, orient: 'bottom' as const, direction: 'vertical' as const },
          },
        },
      },
    ],
  });
  return {
    config: PLOT_CONFIG,
    hconcat: [
      panel(roc, 'ROC (AUC)', 'false positive rate', 'true positive rate', true),
      panel(pr, 'Precision-recall (AP)', 'recall', 'precision', false),
    ],
    resolve: { scale: { color: 'independent' } },
  };
}
