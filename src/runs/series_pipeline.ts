/**
 * The time-series side of an experiment: load the series, split it chronologically, scale it on the training part,
 * cut lookback windows (`data.imageSize` steps, default 24) that forecast the next value relative to the last one,
 * and score forecasts against the naive last-value benchmark.
 */
import type { Tensor } from '@tensorflow/tfjs';
import { tf } from '../tf.ts';
import { UserError } from '../errors.ts';
import { loadSeries, prepareSeries, type PreparedSeries, type Series, type Windows } from '../data/timeseries.ts';
import { tensorSource } from '../train/tensor_source.ts';
import type { BatchSource } from '../train/types.ts';
import { hashJson } from './cache_key.ts';
import type { ExperimentConfig } from './config.ts';
import type { ExperimentModel } from './experiment_model.ts';
import type { ProblemLog } from '../data/problem_log.ts';
import type { Prediction, RunSplit } from './run_files.ts';

/** Window length when the config gives no `data.imageSize`. */
export const DEFAULT_LOOKBACK = 24;

export interface SeriesData {
  series: Series;
  prepared: PreparedSeries;
  lookback: number;
  dataHash: string;
  splitFile: RunSplit;
}

/**
 * Loads and windows the config's series; rows that do not parse are skipped into `problems`.
 *
 * @example
 * const data = loadSeriesData(config, problems); // data.prepared.train.count windows
 */
export function loadSeriesData(config: ExperimentConfig, problems: ProblemLog): SeriesData {
  const tasks = config.model.head.tasks;
  if (tasks.length !== 1 || tasks[0] !== 'forecast')
    throw new UserError(
      `model.head.tasks: a time series trains ['forecast'], not ${JSON.stringify(tasks)}. Fix: set "tasks": ["forecast"]`,
    );
  const loaded = loadSeries(config.data.path);
  problems.add(loaded.problems);
  const series =
    config.data.limit === undefined
      ? loaded
      : {
          ...loaded,
          dates: loaded.dates.slice(0, config.data.limit),
          values: loaded.values.slice(0, config.data.limit),
        };
  const lookback = config.data.imageSize ?? DEFAULT_LOOKBACK;
  const { train, val, test } = config.data.split;
  const prepared = prepareSeries(series, { lookback, horizon: 1, split: { train, val, test } });
  for (const name of ['train', 'val'] as const) {
    if (prepared[name].count === 0) {
      throw new UserError(
        `${config.data.path}: no ${name} window of ${lookback} steps fits in ${series.values.length} values. Fix: lower data.imageSize (the window) or raise data.split.${name}`,
      );
    }
  }
  if (test > 0 && prepared.test.count === 0) {
    throw new UserError(
      `${config.data.path}: data.split.test = ${test} leaves no test window of ${lookback} steps in ${series.values.length} values (train ${prepared.train.count}, val ${prepared.val.count}, test 0 windows). ` +
        'Fix: use a longer series, lower data.imageSize (the window) or raise data.split.test, or set data.split.test to 0 to train without a test set',
    );
  }
  return {
    series,
    prepared,
    lookback,
    dataHash: hashJson({
      format: 'timeseries',
      date: series.dateColumn,
      value: series.valueColumn,
      dates: series.dates,
      values: Array.from(series.values),
    }),
    splitFile: {
      seed: config.seed,
      stratify: false,
      splits: {
        train: { count: prepared.train.count },
        val: { count: prepared.val.count },
        test: { count: prepared.test.count },
      },
    },
  };
}

/** The last observed value of each window (scaled): the naive forecast, and the origin the model works from. */
function lastValues(windows: Windows): Float32Array {
  return Float32Array.from({ length: windows.count }, (_, i) => windows.x[(i + 1) * windows.lookback - 1]!);
}

/**
 * Windows relative to their last value: inputs x - last, target y - last. A trending series (CO2, stock prices) leaves
 * the training range in val and test; relative windows keep the model in the range it learnt, and a forecast of 0
 * is exactly the naive benchmark, so the model learns what it adds to it.
 */
function windowTensors(windows: Windows): { x: Tensor; y: Tensor } {
  const last = lastValues(windows);
  const x = Float32Array.from(windows.x, (value, i) => value - last[Math.floor(i / windows.lookback)]!);
  const y = Float32Array.from(windows.y, (value, i) => value - last[Math.floor(i / windows.horizon)]!);
  return {
    x: tf.tensor3d(x, [windows.count, windows.lookback, 1]),
    y: tf.tensor2d(y, [windows.count, windows.horizon]),
  };
}

export interface SeriesTraining {
  train: BatchSource;
  validation: BatchSource;
  predict(): Promise<Prediction[]>;
  dispose(): void;
}

/**
 * Training sources over the windows, and val/test forecasts in the series' own units.
 *
 * @example
 * const run = seriesTraining(config, data, model);
 */
export function seriesTraining(config: ExperimentConfig, data: SeriesData, model: ExperimentModel): SeriesTraining {
  const { prepared, series } = data;
  const tensors = {
    train: windowTensors(prepared.train),
    val: windowTensors(prepared.val),
    test: windowTensors(prepared.test),
  };
  const batchSize = config.train.batchSize;
  return {
    train: tensorSource(tensors.train.x, [tensors.train.y], { batchSize, shuffle: true, seed: config.seed }),
    validation: tensorSource(tensors.val.x, [tensors.val.y], { batchSize }),
    async predict() {
      const records: Prediction[] = [];
      for (const split of ['val', 'test'] as const) {
        const windows = prepared[split];
        if (windows.count === 0) continue;
        const output = model.model.predict(tensors[split].x, { batchSize }) as Tensor;
        const scaledLast = lastValues(windows);
        const forecast = prepared.scaler.inverse(Array.from(output.dataSync(), (delta, i) => scaledLast[i]! + delta));
        output.dispose();
        const target = prepared.scaler.inverse(windows.y);
        const last = prepared.scaler.inverse(scaledLast);
        for (let i = 0; i < windows.count; i++) {
          const t = windows.targetIndex[i]!;
          records.push({
            id: `t${t}`,
            split,
            target: target[i]!,
            forecast: forecast[i]!,
            last: last[i]!,
            time: new Date(series.dates[t]!).toISOString(),
          });
        }
      }
      return records;
    },
    dispose() {
      tf.dispose(Object.values(tensors).flatMap(({ x, y }) => [x, y]));
    },
  };
}
