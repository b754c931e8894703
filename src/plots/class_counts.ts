/** Dataset splits: items per class in each split, as grouped bars. */
import type { TopLevelSpec } from 'vega-lite';
import type { Run } from '../runs/run_files.ts';
import { FULL_WIDTH, PLOT_CONFIG, SPLIT_NAMES, SPLIT_ORDER } from './common.ts';

/**
 * Class counts per split of the run's split.json; a series run (no classes) shows items per split. Only `split` is
 * read, so a dataset split that has not been trained on yet (notebook 00-data) is drawn the same way.
 *
 * @example
 * const spec = classCounts(readRun('runs/mobilenetv2'));
 */
export function classCounts(run: Pick<Run, 'split'>): TopLevelSpec {
  const splits = Object.entries(run.split?.splits ?? {}).sort(
    ([a], [b]) => SPLIT_ORDER.indexOf(a) - SPLIT_ORDER.indexOf(b),
  );
  const values = splits.flatMap(([split, s]) =>
    Object.entries(s.classes ?? { items: s.count }).map(([name, count]) => ({
      class: name,
      split: SPLIT_NAMES[split] ?? split,
      count,
    })),
  );
  const order = splits.map(([split]) => SPLIT_NAMES[split] ?? split);
  return {
    config: PLOT_CONFIG,
    data: { values },
    width: FULL_WIDTH,
    height: 180,
    mark: { type: 'bar' },
    encoding: {
      x: { field: 'class', type: 'nominal', title: null, sort: null, axis: { labelAngle: 0 } },
      xOffset: { field: 'split', type: 'nominal', sort: order },
      y: { field: 'count', type: 'quantitative', title: 'items' },
      color: { field: 'split', type: 'nominal', title: null, sort: order },
    },
  };
}
