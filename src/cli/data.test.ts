import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../paths.ts';
import { tempDir, writeTruncatedJpeg } from '../data/test_fixtures.ts';
import type { InspectReport } from '../data/inspect.ts';

function percept(...args: string[]) {
  return spawnSync(process.execPath, [join(projectRoot(), 'src', 'cli', 'bin.mjs'), ...args], {
    encoding: 'utf8',
    env: { ...process.env, PERCEPT_QUIET_BACKEND: '1' },
  });
}

test('percept data synth then data inspect --json, in the docs/ARCHITECTURE.md §3 shape', async () => {
  const dir = tempDir('percept-cli-data-');
  const out = join(dir, 'faces');
  const synth = percept('data', 'synth', out, '--n', '30', '--size', '40', '--seed', '2', '--json');
  assert.equal(synth.status, 0, synth.stderr);
  const made = JSON.parse(synth.stdout) as { count: number; out: string };
  assert.deepEqual({ count: made.count, out: made.out }, { count: 30, out });
  await writeTruncatedJpeg(join(out, 'images', '3.jpg'));
  const inspect = percept('data', 'inspect', out, '--json');
  assert.equal(inspect.status, 0, inspect.stderr);
  const report = JSON.parse(inspect.stdout) as InspectReport;
  assert.equal(report.format, 'affectnet');
  assert.equal(report.count, 30);
  assert.equal(report.usable, 29);
  assert.equal(
    Object.values(report.classes).reduce((a, b) => a + b, 0),
    29,
  );
  assert.deepEqual(Object.keys(report.classes), [
    'Neutral',
    'Happy',
    'Sad',
    'Surprise',
    'Fear',
    'Disgust',
    'Anger',
    'Contempt',
  ]);
  assert.equal(report.problems.length, 1);
  assert.equal(report.problems[0]!.file, join(out, 'images', '3.jpg'));
  assert.match(report.problems[0]!.reason, /^unreadable image/);
  assert.deepEqual(report.imageSize!.width, { min: 40, max: 40, mean: 40 });
  assert.ok(report.valence!.min >= -1 && report.valence!.max <= 1 && report.valence!.uncertain === 0);
  const text = percept('data', 'inspect', out);
  assert.equal(text.status, 0);
  assert.match(text.stdout, /affectnet, 29 usable of 30/);
  assert.match(text.stdout, /3\.jpg: unreadable image/);
});

test('percept data inspect exits 1 naming the path when no item is usable, and on a bad --format', () => {
  const dir = tempDir('percept-cli-data-');
  mkdirSync(join(dir, 'images'));
  mkdirSync(join(dir, 'annotations'));
  writeFileSync(join(dir, 'images', '1.jpg'), '');
  const empty = percept('data', 'inspect', dir, '--json');
  assert.equal(empty.status, 1);
  assert.equal(empty.stdout, '');
  assert.match(
    empty.stderr,
    new RegExp(
      `^percept data: ${dir}: no usable item as affectnet \\(DIR/images/<id>.jpg with DIR/annotations/<id>_exp.npy`,
    ),
  );
  const format = percept('data', 'inspect', dir, '--format', 'tiff');
  assert.equal(format.status, 1);
  assert.match(format.stderr, /unknown data format 'tiff'. Valid: affectnet, imagefolder, csv, idx, timeseries/);
  const usage = percept('data', 'frobnicate');
  assert.equal(usage.status, 1);
  assert.match(usage.stderr, /Usage: percept data inspect PATH/);
});

test('percept data inspect reads a time series', () => {
  const result = percept(
    'data',
    'inspect',
    join(projectRoot(), 'node_modules', 'vega-datasets', 'data', 'co2-concentration.csv'),
    '--json',
  );
  assert.equal(result.status, 0, result.stderr);
  const report = JSON.parse(result.stdout) as InspectReport;
  assert.equal(report.format, 'timeseries');
  assert.equal(report.usable, 741);
  assert.deepEqual(report.series!.from, '1958-03-01');
});
