import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { seededRandom } from '../random.ts';
import { evaluatePredictions } from '../metrics/evaluate.ts';
import { UserError } from '../errors.ts';
import { parseExperimentConfig } from './config.ts';
import { readRun, writePredictions, writeRunFile, type Prediction, type RunSummary } from './run_files.ts';

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'percept-run-files-'));
}

const SUMMARY: RunSummary = {
  name: 'tiny',
  arch: 'simple_cnn',
  input: [32, 32, 3],
  params: { total: 1000, trainable: 800, frozen: 200 },
  layers: { total: 10, trainable: 6, frozen: 4 },
  losses: { classification: 'categorical_crossentropy' },
  classNames: ['a', 'b', 'c'],
  weights: 'none',
  backend: 'cpu',
  timings: { trainSeconds: 1.5, totalSeconds: 2 },
  epochs: { planned: 2, run: 2, best: 2 },
  seed: 1,
  dataHash: 'abc',
  codeVersion: 'test',
};

function writeTinyRun(dir: string): Prediction[] {
  const random = seededRandom(3);
  const records: Prediction[] = Array.from({ length: 30 }, (_, i) => {
    const label = i % 3;
    const probs = [random(), random(), random()];
    probs[label]! += 0.8;
    const sum = probs.reduce((a, b) => a + b, 0);
    const normalized = probs.map((p) => p / sum);
    return {
      id: `i${i}`,
      split: 'test',
      true: label,
      pred: normalized.indexOf(Math.max(...normalized)),
      probs: normalized,
      valence: random() * 2 - 1,
      predValence: random() * 2 - 1,
      arousal: Number.NaN,
      predArousal: 0,
    };
  });
  const config = parseExperimentConfig(
    { name: 'tiny', data: { format: 'imagefolder', path: 'data' }, model: { arch: 'simple_cnn' } },
    'inline',
  );
  writeRunFile(dir, 'config', config);
  writeRunFile(dir, 'summary', SUMMARY);
  writeRunFile(dir, 'history', {
    epochs: [{ epoch: 1, stage: 0, lr: 0.001, seconds: 0.5, logs: { loss: 1.2, val_loss: Number.NaN } }],
    monitor: 'val_loss',
  });
  writeRunFile(dir, 'metrics', {
    test: evaluatePredictions(records, { classNames: ['a', 'b', 'c'], seed: 0, resamples: 50 }),
  });
  writePredictions(dir, records);
  return records;
}

test('a run written with the writers reads back with the same metrics, NaN restored from null', () => {
  const dir = tempDir();
  try {
    writeTinyRun(dir);
    const run = readRun(dir);
    const metrics = run.metrics!.test!;
    assert.equal(metrics.classification!.n, 30);
    assert.equal(typeof metrics.classification!['top2']!.value, 'number');
    assert.ok(
      metrics.valence !== undefined && metrics.arousal === undefined,
      'arousal has no finite pair, so it is absent',
    );
    assert.ok(Number.isNaN(run.history!.epochs[0]!.logs['val_loss']));
    assert.equal(run.predictions!.length, 30);
    assert.deepEqual(run.missing.sort(), ['examples/index.json', 'split.json']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a bad field names the file and the field path; a bad jsonl line names the line', () => {
  const dir = tempDir();
  try {
    writeTinyRun(dir);
    writeFileSync(
      join(dir, 'metrics.json'),
      JSON.stringify({ test: { classification: { accuracy: { value: 0.5, ci: [0.4] } } } }),
    );
    assert.throws(
      () => readRun(dir),
      (error: Error) =>
        error instanceof UserError && /metrics\.json: test\.classification\.accuracy\.ci/.test(error.message),
    );
    writeFileSync(
      join(dir, 'metrics.json'),
      JSON.stringify({ test: { classification: { ...readMetricsShape(), bogus: 1 } } }),
    );
    assert.throws(() => readRun(dir), /metrics\.json: test\.classification\.bogus: unknown metric/);
    writeFileSync(join(dir, 'metrics.json'), '{}');
    writeFileSync(join(dir, 'predictions.jsonl'), '{"id":"a","true":1}\n{"id":"b","probs":"x"}\n');
    assert.throws(() => readRun(dir), /predictions\.jsonl: line 2: probs/);
    assert.throws(
      () => writeRunFile(dir, 'summary', { ...SUMMARY, params: { total: -1, trainable: 0, frozen: 0 } }),
      /summary\.json: params\.total/,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a folder without summary.json is refused with the fix', () => {
  const dir = tempDir();
  try {
    assert.throws(() => readRun(dir), /config\.json: missing.*percept train/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

function readMetricsShape(): Record<string, unknown> {
  const estimate = { value: 0.5, ci: [0.4, 0.6] };
  return {
    n: 2,
    accuracy: estimate,
    precision_macro: estimate,
    recall_macro: estimate,
    f1_macro: estimate,
    f1_weighted: estimate,
    kappa: estimate,
    krippendorff_alpha: estimate,
    per_class: {},
    confusion_matrix: { labels: [], matrix: [] },
  };
}
