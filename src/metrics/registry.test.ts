/**
 * The metric registry against scikit-learn 1.9.1, SciPy and krippendorff 0.9 in `.venv`, live: every declared metric's
 * reference expression runs on the same data as percept's own computation, and every figure percept computes must be
 * declared. A metric added without a registry line, or with a reference that disagrees, fails here.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { venvPython } from '../setup/python_env.ts';
import { needsPython } from '../testing.ts';
import { seededRandom } from '../random.ts';
import type { Estimate } from './bootstrap.ts';
import { classificationMetrics } from './classification.ts';
import { regressionMetrics } from './regression.ts';
import { METRICS, metricSpec, monitorMode, storedKey, type MetricTask } from './registry.ts';
import { seriesMetrics } from './series.ts';

const CLASSES = 6;
const random = seededRandom(11);
const round = (value: number): number => Math.round(value * 1e4) / 1e4;

/** 60 items, every class present, probabilities leaning towards the true class so that the scores are not trivial. */
const yTrue = Array.from({ length: 60 }, (_, i) => i % CLASSES);
const probs = yTrue.map((label) => {
  const raw = Array.from({ length: CLASSES }, (_, c) => Math.exp(2 * random() + (c === label ? 1.2 : 0)));
  const total = raw.reduce((a, b) => a + b, 0);
  return raw.map((value) => round(value / total));
});
const yPred = probs.map((row) => row.indexOf(Math.max(...row)));
const truth = Array.from({ length: 40 }, () => round(2 * random() - 1));
const pred = truth.map((value) => round(Math.max(-1, Math.min(1, 0.7 * value + 0.4 * (random() - 0.5)))));
const target = Array.from({ length: 30 }, (_, i) => round(Math.sin(i / 3) + random() * 0.2));
const forecast = target.map((value) => round(value + (random() - 0.5) * 0.3));
const last = target.map((value, i) => (i === 0 ? value : target[i - 1]!));

const OURS: Record<MetricTask, Record<string, unknown>> = {
  classification: classificationMetrics(
    { labels: yTrue, predicted: yPred, probs, classNames: Array.from({ length: CLASSES }, (_, c) => String(c)) },
    { seed: 1, resamples: 20 },
  ) as unknown as Record<string, unknown>,
  regression: regressionMetrics(truth, pred, { seed: 1, resamples: 20 }) as unknown as Record<string, unknown>,
  series: seriesMetrics({ target, pred: forecast, last }, { seed: 1, resamples: 20 }) as unknown as Record<
    string,
    unknown
  >,
};

function isEstimate(value: unknown): value is Estimate {
  return typeof value === 'object' && value !== null && 'value' in value && 'ci' in value;
}

test('every figure percept computes is declared in the registry, once per task, with a reference', () => {
  for (const task of ['classification', 'regression', 'series'] as const) {
    const computed = Object.entries(OURS[task])
      .filter(([, value]) => isEstimate(value))
      .map(([key]) => key);
    assert.ok(computed.length > 0);
    assert.deepEqual(
      computed.filter((key) => metricSpec(task, key) === undefined),
      [],
      `${task} figures without a registry line`,
    );
  }
  const ids = METRICS.map((metric) => `${metric.task}/${metric.key}`);
  assert.equal(new Set(ids).size, ids.length);
  assert.deepEqual(
    METRICS.filter((metric) => metric.reference.trim() === '' || metric.label.trim() === '').map(
      (metric) => metric.key,
    ),
    [],
  );
});

test(
  'every registry metric equals its scikit-learn / SciPy / krippendorff reference on the same data',
  needsPython('sklearn'),
  () => {
    const script = [
      'import json, sys, numpy as np, krippendorff',
      'from scipy.stats import pearsonr',
      'from sklearn.metrics import *',
      'from sklearn.preprocessing import label_binarize',
      'd = json.load(sys.stdin)',
      'y_true, y_pred, probs, labels, k = np.array(d["y_true"]), np.array(d["y_pred"]), np.array(d["probs"]), list(range(d["classes"])), d["k"]',
      'truth, pred = np.array(d["truth"]), np.array(d["pred"])',
      'target, forecast, last = np.array(d["target"]), np.array(d["forecast"]), np.array(d["last"])',
      'print(json.dumps([float(eval(expression)) for expression in d["references"]]))',
    ].join('\n');
    const k = Number(storedKey(metricSpec('classification', 'topK')!, Object.keys(OURS.classification))!.slice(3));
    const input = {
      y_true: yTrue,
      y_pred: yPred,
      probs,
      classes: CLASSES,
      k,
      truth,
      pred,
      target,
      forecast,
      last,
      references: METRICS.map((metric) => metric.reference),
    };
    const result = spawnSync(venvPython(), ['-c', script], { input: JSON.stringify(input), encoding: 'utf8' });
    assert.equal(result.status, 0, result.stderr);
    const references = JSON.parse(result.stdout) as number[];
    METRICS.forEach((metric, i) => {
      const ours = OURS[metric.task][storedKey(metric, Object.keys(OURS[metric.task])) ?? metric.key];
      assert.ok(isEstimate(ours), `${metric.task}/${metric.key}: percept does not compute it`);
      assert.ok(
        Math.abs(ours.value - references[i]!) < 1e-9,
        `${metric.task}/${metric.key}: percept ${ours.value}, reference ${references[i]} (${metric.reference})`,
      );
    });
  },
);

test("the monitor's direction comes from the registry, whatever the output's name or split prefix", () => {
  const cases: [string, 'min' | 'max' | undefined][] = [
    ['val_loss', 'min'],
    ['classification_loss', 'min'],
    ['val_acc', 'max'],
    ['val_classification_acc', 'max'],
    ['valence_arousal_mae', 'min'],
    ['val_f1_macro', 'max'],
    ['val_top5', 'max'],
    ['val_ccc', 'max'],
    ['lr', undefined],
  ];
  assert.deepEqual(
    cases.map(([name]) => [name, monitorMode(name)]),
    cases,
  );
});
