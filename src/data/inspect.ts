/**
 * What `percept data inspect` reports: counts, class distribution, valence/arousal ranges, image sizes and every
 * problem, in the docs/ARCHITECTURE.md §3 JSON shape `{format, count, usable, classes:{name:n}, problems:[{file, reason}]}`.
 * Every image is decoded once, so truncated or corrupt files show up here rather than mid-training.
 */
import { detectFormat } from './detect.ts';
import { openDataset } from './open.ts';
import { loadSeries } from './timeseries.ts';
import {
  SPLIT_NAMES,
  UNCERTAIN_AFFECT,
  type DataFormat,
  type DataItem,
  type Problem,
  type SplitName,
} from './types.ts';
import { verifyDataset } from './verify.ts';

/** min / max / mean of some values. */
export interface Range {
  min: number;
  max: number;
  mean: number;
}

export interface InspectReport {
  format: DataFormat;
  /** Entries examined: usable items plus problems. */
  count: number;
  usable: number;
  /** Usable items per class name. */
  classes: Record<string, number>;
  problems: Problem[];
  /** Usable items per split, when the source is pre-split. */
  splits?: Partial<Record<SplitName, number>>;
  /** Over usable items with a value; `uncertain` counts AffectNet's -2 (excluded from regression only). */
  valence?: Range & { uncertain: number };
  arousal?: Range & { uncertain: number };
  /** Stored image sizes in pixels, before resizing. */
  imageSize?: { width: Range; height: Range };
  /** Time series only. */
  series?: { dateColumn: string; valueColumn: string; from: string; to: string; values: Range };
}

function rangeOf(values: readonly number[]): Range {
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  for (const value of values) {
    min = Math.min(min, value);
    max = Math.max(max, value);
    sum += value;
  }
  return { min, max, mean: values.length === 0 ? NaN : sum / values.length };
}

function affectRange(
  items: readonly DataItem[],
  key: 'valence' | 'arousal',
): (Range & { uncertain: number }) | undefined {
  const values = items.map((item) => item[key]).filter((value): value is number => value !== undefined);
  if (values.length === 0) return undefined;
  return {
    ...rangeOf(values.filter((value) => value !== UNCERTAIN_AFFECT)),
    uncertain: values.filter((value) => value === UNCERTAIN_AFFECT).length,
  };
}

function inspectSeries(path: string): InspectReport {
  const series = loadSeries(path);
  const day = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
  return {
    format: 'timeseries',
    count: series.values.length + series.problems.length,
    usable: series.values.length,
    classes: {},
    problems: series.problems,
    series: {
      dateColumn: series.dateColumn,
      valueColumn: series.valueColumn,
      from: day(series.dates[0]!),
      to: day(series.dates.at(-1)!),
      values: rangeOf(Array.from(series.values)),
    },
  };
}

/**
 * Inspects a dataset in any format. Throws a `UserError` naming the path when no item is usable.
 *
 * @example
 * const report = await inspectDataset('data/synth'); // report.classes.Happy === 1862
 */
export async function inspectDataset(path: string, options: { format?: DataFormat } = {}): Promise<InspectReport> {
  const format = options.format ?? detectFormat(path);
  if (format === 'timeseries') return inspectSeries(path);
  const { dataset, sizes } = await verifyDataset(await openDataset(path, { format }));
  const good = dataset.items;
  const classes: Record<string, number> = Object.fromEntries(dataset.classes.map((name) => [name, 0]));
  for (const item of good) if (item.label !== undefined) classes[dataset.classes[item.label]!]! += 1;
  const splits: Partial<Record<SplitName, number>> = {};
  for (const name of SPLIT_NAMES) {
    const n = good.filter((item) => item.split === name).length;
    if (n > 0) splits[name] = n;
  }
  const valence = affectRange(good, 'valence');
  const arousal = affectRange(good, 'arousal');
  return {
    format,
    count: good.length + dataset.problems.length,
    usable: good.length,
    classes,
    problems: dataset.problems,
    ...(dataset.presplit ? { splits } : {}),
    ...(valence === undefined ? {} : { valence }),
    ...(arousal === undefined ? {} : { arousal }),
    imageSize: { width: rangeOf(sizes.map((size) => size.width)), height: rangeOf(sizes.map((size) => size.height)) },
  };
}
