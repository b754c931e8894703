/** Valence and arousal: predicted against true values with the identity line, one panel each. */
import type { TopLevelSpec } from 'vega-lite';
import type { Run } from '../runs/run_files.ts';
import { HALF_WIDTH, PLOT_CONFIG, round } from './common.ts';

/**
 * Scatter of one split's (default test) predictions.jsonl; AffectNet's uncertain value -2 is left out.
 *
 * @example
 * const spec = valenceArousalScatter(readRun('runs/mobilenetv2'));
 */
export function valenceArousalScatter(run: Run, split = 'test'): TopLevelSpec {
  const records = (run.predictions ?? []).filter((p) => p.split === split);
  const points = (key: 'valence' | 'arousal', predKey: 'predValence' | 'predArousal') =>
    records.flatMap((p) => {
      const truth = p[key];
      const pred = p[predKey];
      return typeof truth === 'number' &&
        typeof pred === 'number' &&
        Number.isFinite(truth) &&
        Number.isFinite(pred) &&
        truth !== -2
        ? [{ true: round(truth), predicted: round(pred) }]
        : [];
    });
  const panel = (title: string, values: object[]) => ({
    width: HALF_WIDTH,
    height: HALF_WIDTH,
    title,
    layer: [
      {
        data: {
          values: [
            { true: -1, predicted: -1 },
            { true: 1, predicted: 1 },
          ],
        },
        mark: { type: 'line' as const, color: '#aaa', strokeDash: [4, 3] },
        encoding: {
          x: { field: 'true', type: 'quantitative' as const },
          y: { field: 'predicted', type: 'quantitative' as const },
        },
      },
      {
        data: { values },
        mark: { type: 'point' as const, filled: true, size: 14, opacity: 0.5 },
        encoding: {
          x: {
            field: 'true',
            type: 'quantitative' as const,
            title: `true ${title.toLowerCase()}`,
            scale: { domain: [-1, 1] },
          },
          y: {
            field: 'predicted',
            type: 'quantitative' as const,
            title: `predicted ${title.toLowerCase()}`,
            scale: { domain: [-1, 1] },
          },
        },
      },
    ],
  });
  return {
    config: PLOT_CONFIG,
    hconcat: [panel('Valence', points('valence', 'predValence')), panel('Arousal', points('arousal', 'predArousal'))],
  };
}
