import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../errors.ts';
import { projectRoot } from '../paths.ts';
import { tempDir } from './test_fixtures.ts';
import { chronologicalSplit, createScaler, loadSeries, prepareSeries, windowSeries } from './timeseries.ts';

const VEGA = join(projectRoot(), 'node_modules', 'vega-datasets', 'data');

test('vega-datasets series load with their date and value columns detected', () => {
  const co2 = loadSeries(join(VEGA, 'co2-concentration.csv'));
  assert.equal(co2.dateColumn, 'Date');
  assert.equal(co2.valueColumn, 'CO2');
  assert.equal(co2.values[0], 315.7);
  assert.equal(new Date(co2.dates[0]!).toISOString().slice(0, 10), '1958-03-01');
  const sp500 = loadSeries(join(VEGA, 'sp500.csv'));
  assert.equal(new Date(sp500.dates[0]!).toISOString().slice(0, 10), '2000-01-01');
  assert.equal(sp500.values[0], 1394.46);
  const temp = loadSeries(join(VEGA, 'global-temp.csv'));
  assert.equal(temp.dateColumn, 'year');
  assert.equal(new Date(temp.dates[0]!).getUTCFullYear(), 1880);
  assert.equal(loadSeries(join(VEGA, 'seattle-weather.csv'), { valueColumn: 'temp_max' }).values.length, 1461);
  assert.throws(
    () => loadSeries(join(VEGA, 'stocks.csv')),
    (error) => error instanceof UserError && /several series/.test(error.message) && /symbol/.test(error.message),
  );
  const aapl = loadSeries(join(VEGA, 'stocks.csv'), { where: { symbol: 'AAPL' } });
  assert.equal(aapl.valueColumn, 'price');
  assert.ok(aapl.dates.every((date, i) => i === 0 || date > aapl.dates[i - 1]!));
});

test('JSON records, unsorted rows and bad rows', () => {
  const dir = tempDir();
  const file = join(dir, 'series.json');
  writeFileSync(
    file,
    JSON.stringify([
      { date: '2020-01-03', v: 3 },
      { date: '2020-01-01', v: 1 },
      { date: 'soon', v: 9 },
      { date: '2020-01-02', v: 'x' },
    ]),
  );
  const series = loadSeries(file);
  assert.deepEqual(Array.from(series.values), [1, 3]);
  assert.deepEqual(
    series.problems.map((problem) => problem.reason),
    ["date 'soon' is not a date", "v 'x' is not a number"],
  );
  assert.throws(() => loadSeries(file, { valueColumn: 'nope' }), /no value column 'nope'/);
  // A JSON file that is not an array of records names the file, the record and the layout to write.
  writeFileSync(file, JSON.stringify([{ date: '2020-01-01', v: 1 }, 7]));
  assert.throws(
    () => loadSeries(file),
    (error) =>
      error instanceof UserError &&
      /series\.json: 1: .*record/.test(error.message) &&
      /Fix: write an array of records/.test(error.message),
  );
  writeFileSync(file, '[{"date": ');
  assert.throws(
    () => loadSeries(file),
    (error) => error instanceof UserError && /series\.json: not valid JSON/.test(error.message),
  );
});

test('windows, chronological split and a scaler fitted on train only', () => {
  const windows = windowSeries([1, 2, 3, 4, 5, 6], { lookback: 2, horizon: 2 });
  assert.equal(windows.count, 3);
  assert.deepEqual(Array.from(windows.x), [1, 2, 2, 3, 3, 4]);
  assert.deepEqual(Array.from(windows.y), [3, 4, 4, 5, 5, 6]);
  assert.deepEqual(chronologicalSplit(100, { train: 0.7, val: 0.15, test: 0.15 }), {
    train: [0, 70],
    val: [70, 85],
    test: [85, 100],
  });
  const values = Float64Array.from({ length: 100 }, (_, i) => i);
  const prepared = prepareSeries({ values }, { lookback: 5, horizon: 1 });
  // mean and population std of 0..69
  assert.equal(prepared.scaler.offset, 34.5);
  assert.ok(Math.abs(prepared.scaler.scale - Math.sqrt((70 * 70 - 1) / 12)) < 1e-9);
  assert.deepEqual([prepared.train.count, prepared.val.count, prepared.test.count], [65, 15, 15]);
  assert.equal(prepared.val.targetIndex[0], 70);
  // A val window's lookback reaches into train; its target is the first val step.
  assert.deepEqual(
    Array.from(prepared.scaler.inverse(prepared.val.x.subarray(0, 5))).map(Math.round),
    [65, 66, 67, 68, 69],
  );
  assert.equal(Math.round(prepared.scaler.inverse([prepared.val.y[0]!])[0]!), 70);
  const minmax = createScaler('minmax').fit([2, 4, 6]);
  assert.deepEqual(Array.from(minmax.transform([2, 4, 6])), [0, 0.5, 1]);
  assert.throws(() => windowSeries([1, 2], { lookback: 0, horizon: 1 }), /integers > 0/);
});
