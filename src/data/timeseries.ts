/**
 * Time series from CSV or JSON files with a date column and a value column (e.g. vega-datasets' `co2-concentration.csv`,
 * `sp500.csv`, `stocks.csv`), turned into lookback/horizon windows with a chronological split and a scaler
 * fitted on the training part only, so that nothing of the future leaks into training.
 */
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { z } from 'zod';
import { UserError } from '../errors.ts';
import { parseJson, parseJsonText } from '../json_file.ts';
import { parseCsv } from './csv_text.ts';
import type { Problem, SplitName } from './types.ts';

/** One series in time order. */
export interface Series {
  file: string;
  dateColumn: string;
  valueColumn: string;
  /** Milliseconds since the epoch, increasing. */
  dates: number[];
  values: Float64Array;
  /** Rows skipped (unparseable date or value), with why. */
  problems: Problem[];
}

export interface LoadSeriesOptions {
  /** Default: the first column named like a date (date, time, month, year…) or whose first value parses as one. */
  dateColumn?: string;
  /** Default: the first other column whose values are numbers. */
  valueColumn?: string;
  /** Keep only rows whose columns equal these values, for files holding several series (stocks.csv: `{ symbol: 'AAPL' }`). */
  where?: Record<string, string>;
}

type Row = Record<string, unknown>;

function readRecords(file: string): Row[] {
  const text = readFileSync(file, 'utf8');
  if (extname(file).toLowerCase() === '.json') {
    const fix = 'write an array of records, [{"date": ..., "value": ...}, ...]';
    return parseJson(z.array(z.record(z.string(), z.unknown())), parseJsonText(text, file, fix), file, fix);
  }
  const table = parseCsv(text);
  return table.rows.map(({ cells }) => Object.fromEntries(table.header.map((name, i) => [name, cells[i]])));
}

/** A CSV cell or JSON field as trimmed text; '' for what is neither text nor a number (null, objects), which parses as NaN. */
function cellText(value: unknown): string {
  return typeof value === 'string' ? value.trim() : '';
}

const DATE_NAMES = /^(date|time|timestamp|datetime|day|month|year|period)$/i;

/** A date value as ms since the epoch; bare years (1880) are 1 January of that year. */
function parseDate(value: unknown): number {
  if (typeof value === 'number') return value >= 1000 && value <= 9999 ? Date.UTC(value, 0, 1) : value;
  const text = cellText(value);
  if (/^\d{4}$/.test(text)) return Date.UTC(Number(text), 0, 1);
  // Date-only ISO strings parse as UTC, 'Jan 1 2000' as local time: normalise to UTC midnight of that day.
  const parsed = new Date(text);
  if (Number.isNaN(parsed.getTime()) || text === '') return NaN;
  return /^\d{4}-\d{2}-\d{2}$/.test(text)
    ? parsed.getTime()
    : Date.UTC(
        parsed.getFullYear(),
        parsed.getMonth(),
        parsed.getDate(),
        parsed.getHours(),
        parsed.getMinutes(),
        parsed.getSeconds(),
      );
}

function parseValue(value: unknown): number {
  if (typeof value === 'number') return value;
  const text = cellText(value);
  return text === '' ? NaN : Number(text);
}

/**
 * Loads one series, sorted by date. Rows with an unparseable date or value are skipped and listed; repeated
 * dates mean several series share the file, which `where` must pick from.
 *
 * @example
 * const co2 = loadSeries('node_modules/vega-datasets/data/co2-concentration.csv', { valueColumn: 'CO2' });
 */
export function loadSeries(file: string, options: LoadSeriesOptions = {}): Series {
  const all = readRecords(file);
  const records = all.filter((record) =>
    Object.entries(options.where ?? {}).every(([column, value]) => String(record[column]) === value),
  );
  const columns = Object.keys(all[0] ?? {});
  if (records.length === 0)
    throw new UserError(
      `${file}: no rows${options.where === undefined ? '' : ` match ${JSON.stringify(options.where)}`}. Fix: check the file and the filter`,
    );
  const pick = (name: string | undefined, what: string, fallback: () => string | undefined): string => {
    if (name !== undefined && !columns.includes(name))
      throw new UserError(`${file}: no ${what} column '${name}'. Columns: ${columns.join(', ')}`);
    const found = name ?? fallback();
    if (found === undefined)
      throw new UserError(`${file}: no ${what} column found among ${columns.join(', ')}. Fix: pass ${what}Column`);
    return found;
  };
  const dateColumn = pick(
    options.dateColumn,
    'date',
    () =>
      columns.find((c) => DATE_NAMES.test(c)) ??
      columns.find(
        (c) =>
          !Number.isNaN(parseDate(records[0]![c])) &&
          typeof records[0]![c] === 'string' &&
          Number.isNaN(Number(records[0]![c])),
      ),
  );
  const valueColumn = pick(options.valueColumn, 'value', () =>
    columns.find((c) => c !== dateColumn && !(c in (options.where ?? {})) && !Number.isNaN(parseValue(records[0]![c]))),
  );
  const problems: Problem[] = [];
  const rows: { date: number; value: number }[] = [];
  records.forEach((record, i) => {
    const date = parseDate(record[dateColumn]);
    const value = parseValue(record[valueColumn]);
    if (Number.isNaN(date))
      problems.push({ file: `${file}#${i + 1}`, reason: `date '${String(record[dateColumn])}' is not a date` });
    else if (!Number.isFinite(value))
      problems.push({
        file: `${file}#${i + 1}`,
        reason: `${valueColumn} '${String(record[valueColumn])}' is not a number`,
      });
    else rows.push({ date, value });
  });
  rows.sort((a, b) => a.date - b.date);
  const repeated = rows.findIndex((row, i) => i > 0 && row.date === rows[i - 1]!.date);
  if (repeated > 0) {
    const hint = columns.filter(
      (c) => c !== dateColumn && c !== valueColumn && Number.isNaN(parseValue(records[0]![c])),
    );
    throw new UserError(
      `${file}: date ${new Date(rows[repeated]!.date).toISOString().slice(0, 10)} appears more than once: the file holds several series. Fix: pick one with where: { ${hint[0] ?? 'column'}: '...' }`,
    );
  }
  if (rows.length === 0)
    throw new UserError(
      `${file}: no usable row (${problems[0]?.reason ?? 'empty'}). Fix: check the date and value columns`,
    );
  return {
    file,
    dateColumn,
    valueColumn,
    dates: rows.map((row) => row.date),
    values: Float64Array.from(rows, (row) => row.value),
    problems,
  };
}

/** Supervised windows: `x` row i holds values [t - lookback, t), `y` row i holds [t, t + horizon). */
export interface Windows {
  lookback: number;
  horizon: number;
  count: number;
  /** Row-major [count, lookback]. */
  x: Float32Array;
  /** Row-major [count, horizon]. */
  y: Float32Array;
  /** Index in the series of each window's first target. */
  targetIndex: Int32Array;
}

/**
 * Cuts a series into every lookback/horizon window, optionally only those whose first target lies in [from, to).
 *
 * @example
 * windowSeries([1, 2, 3, 4, 5], { lookback: 2, horizon: 1 }).y; // [3, 4, 5]
 */
export function windowSeries(
  values: ArrayLike<number>,
  options: { lookback: number; horizon: number; from?: number; to?: number },
): Windows {
  const { lookback, horizon } = options;
  if (!(Number.isInteger(lookback) && lookback > 0 && Number.isInteger(horizon) && horizon > 0)) {
    throw new UserError(`lookback ${lookback} / horizon ${horizon}: both must be integers > 0`);
  }
  const first = Math.max(lookback, options.from ?? 0);
  const last = Math.min(values.length - horizon, (options.to ?? values.length) - 1);
  const count = Math.max(0, last - first + 1);
  const x = new Float32Array(count * lookback);
  const y = new Float32Array(count * horizon);
  const targetIndex = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const t = first + i;
    targetIndex[i] = t;
    for (let k = 0; k < lookback; k++) x[i * lookback + k] = values[t - lookback + k]!;
    for (let k = 0; k < horizon; k++) y[i * horizon + k] = values[t + k]!;
  }
  return { lookback, horizon, count, x, y, targetIndex };
}

/**
 * Chronological split of `length` time steps: train first, then val, then test (no shuffling: the future never
 * trains the past). Returns [start, end) of each.
 *
 * @example
 * chronologicalSplit(100, { train: 0.7, val: 0.15, test: 0.15 }); // { train: [0, 70], val: [70, 85], test: [85, 100] }
 */
export function chronologicalSplit(
  length: number,
  fractions: { train: number; val: number; test: number },
): Record<SplitName, [number, number]> {
  const total = fractions.train + fractions.val + fractions.test;
  const trainEnd = Math.round((length * fractions.train) / total);
  const valEnd = trainEnd + Math.round((length * fractions.val) / total);
  return { train: [0, trainEnd], val: [trainEnd, valEnd], test: [valEnd, length] };
}

/** A scaler fitted on the training part, applied to every part, and inverted on predictions. */
export interface Scaler {
  kind: 'standard' | 'minmax';
  /** Fitted parameters: value' = (value - offset) / scale. */
  offset: number;
  scale: number;
  fit(values: ArrayLike<number>): Scaler;
  transform(values: ArrayLike<number>): Float64Array;
  inverse(values: ArrayLike<number>): Float64Array;
}

/**
 * A standard (mean/std) or min-max scaler; `fit` returns it fitted.
 *
 * @example
 * const scaler = createScaler('standard').fit(trainValues);
 * scaler.inverse(scaler.transform([3]))[0]; // 3
 */
export function createScaler(kind: 'standard' | 'minmax' = 'standard'): Scaler {
  const scaler: Scaler = {
    kind,
    offset: 0,
    scale: 1,
    fit(values) {
      const list = Array.from(values);
      if (list.length === 0)
        throw new UserError('cannot fit a scaler on no values. Fix: give the training split more time steps');
      if (kind === 'minmax') {
        const min = Math.min(...list);
        scaler.offset = min;
        scaler.scale = Math.max(...list) - min || 1;
      } else {
        const mean = list.reduce((sum, v) => sum + v, 0) / list.length;
        scaler.offset = mean;
        scaler.scale = Math.sqrt(list.reduce((sum, v) => sum + (v - mean) ** 2, 0) / list.length) || 1;
      }
      return scaler;
    },
    transform: (values) => Float64Array.from(values, (v) => (v - scaler.offset) / scaler.scale),
    inverse: (values) => Float64Array.from(values, (v) => v * scaler.scale + scaler.offset),
  };
  return scaler;
}

/** What `prepareSeries` returns: windows per split (scaled) and the scaler to invert predictions. */
export interface PreparedSeries {
  train: Windows;
  val: Windows;
  test: Windows;
  scaler: Scaler;
  /** Time-step ranges of each split. */
  ranges: Record<SplitName, [number, number]>;
}

/**
 * Splits chronologically, fits the scaler on the train steps only, and windows each split by the time of its first
 * target (a val window's lookback may reach into train: those values are known when predicting).
 *
 * @example
 * const data = prepareSeries(loadSeries(file), { lookback: 12, horizon: 1 });
 */
export function prepareSeries(
  series: Pick<Series, 'values'>,
  options: {
    lookback: number;
    horizon: number;
    split?: { train: number; val: number; test: number };
    scaler?: 'standard' | 'minmax';
  },
): PreparedSeries {
  const ranges = chronologicalSplit(series.values.length, options.split ?? { train: 0.7, val: 0.15, test: 0.15 });
  const scaler = createScaler(options.scaler ?? 'standard').fit(
    series.values.subarray(ranges.train[0], ranges.train[1]),
  );
  const scaled = scaler.transform(series.values);
  const windows = (name: SplitName): Windows =>
    windowSeries(scaled, {
      lookback: options.lookback,
      horizon: options.horizon,
      from: ranges[name][0],
      to: ranges[name][1],
    });
  return { train: windows('train'), val: windows('val'), test: windows('test'), scaler, ranges };
}
