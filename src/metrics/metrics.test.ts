/**
 * Classification, regression and report against scikit-learn 1.9.1 / SciPy 1.15.3 / krippendorff 0.8 (NumPy 1.24.3):
 * the reference values below were computed by running this snippet with `.venv/bin/python` and pasting its output.
 */
// import json, numpy as np, krippendorff
// from scipy.stats import pearsonr
// from sklearn.metrics import (accuracy_score, top_k_accuracy_score, precision_recall_fscore_support, f1_score,
//     cohen_kappa_score, roc_auc_score, average_precision_score, confusion_matrix, classification_report,
//     mean_squared_error, mean_absolute_error)
// from sklearn.preprocessing import label_binarize
// rng = np.random.default_rng(7)
// n, K = 40, 8
// y = rng.integers(0, K, n)
// logits = rng.normal(size=(n, K)); logits[np.arange(n), y] += 1.0
// p = np.round(np.exp(logits) / np.exp(logits).sum(1, keepdims=True), 4)
// pred = p.argmax(1)
// B = label_binarize(y, classes=range(K))
// P, R, F, S = precision_recall_fscore_support(y, pred, zero_division=0)
// ref = dict(labels=y.tolist(), probs=p.tolist(), pred=pred.tolist(),
//   accuracy=accuracy_score(y, pred), top5=top_k_accuracy_score(y, p, k=5, labels=range(K)),
//   precision_macro=P.mean(), recall_macro=R.mean(), f1_macro=f1_score(y, pred, average='macro', zero_division=0),
//   f1_weighted=f1_score(y, pred, average='weighted', zero_division=0), kappa=cohen_kappa_score(y, pred),
//   auc_roc_macro=roc_auc_score(B, p, average='macro'), auc_pr_macro=average_precision_score(B, p, average='macro'),
//   krippendorff_alpha=krippendorff.alpha(reliability_data=[y, pred], level_of_measurement='nominal'),
//   precision=P.tolist(), recall=R.tolist(), f1=F.tolist(), support=S.tolist(), confusion=confusion_matrix(y, pred).tolist())
// print(json.dumps(ref))
// print(classification_report(y, pred, zero_division=0))
// t = np.round(rng.uniform(-1, 1, 30), 3); q = np.round(np.clip(0.6 * t + rng.normal(0, 0.3, 30), -1, 1), 3)
// ccc = 2 * np.cov(t, q, bias=True)[0, 1] / (t.var() + q.var() + (t.mean() - q.mean()) ** 2)
// print(json.dumps(dict(truth=t.tolist(), pred=q.tolist(), rmse=mean_squared_error(t, q) ** 0.5, mae=mean_absolute_error(t, q),
//   corr=pearsonr(t, q)[0], sagr=float(np.mean(np.sign(t) == np.sign(q))), ccc=ccc)))
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classificationMetrics } from './classification.ts';
import { regressionMetrics } from './regression.ts';
import { classificationReport } from './report.ts';

const SKLEARN_CLASSIFICATION = {
  labels: [
    7, 5, 5, 7, 4, 6, 6, 1, 0, 2, 2, 6, 7, 0, 3, 6, 1, 6, 0, 3, 6, 2, 2, 2, 5, 2, 7, 3, 3, 4, 4, 4, 4, 7, 6, 6, 5, 4, 2,
    7,
  ],
  probs: [
    [0.0255, 0.1273, 0.0454, 0.2113, 0.1884, 0.1336, 0.013, 0.2555],
    [0.1217, 0.143, 0.0276, 0.0792, 0.048, 0.1546, 0.3689, 0.0569],
    [0.0946, 0.2367, 0.0545, 0.0874, 0.1092, 0.2833, 0.0287, 0.1055],
    [0.2107, 0.0115, 0.1278, 0.061, 0.0285, 0.4001, 0.116, 0.0443],
    [0.0724, 0.1196, 0.0556, 0.133, 0.1709, 0.131, 0.2832, 0.0342],
    [0.0845, 0.0434, 0.0783, 0.021, 0.0386, 0.0567, 0.4606, 0.2168],
    [0.0168, 0.0285, 0.1205, 0.0086, 0.0397, 0.0573, 0.6029, 0.1257],
    [0.0618, 0.1612, 0.0667, 0.3933, 0.0559, 0.0633, 0.1219, 0.076],
    [0.1822, 0.0268, 0.0807, 0.0524, 0.262, 0.1569, 0.0797, 0.1593],
    [0.0706, 0.2842, 0.2683, 0.1779, 0.0273, 0.1404, 0.0183, 0.013],
    [0.0419, 0.0231, 0.1818, 0.5356, 0.0247, 0.0304, 0.0697, 0.0929],
    [0.0856, 0.0831, 0.2061, 0.1717, 0.0363, 0.0943, 0.2874, 0.0356],
    [0.1529, 0.05, 0.3117, 0.143, 0.1289, 0.0653, 0.1047, 0.0435],
    [0.0906, 0.1485, 0.0123, 0.2409, 0.018, 0.2202, 0.0444, 0.2251],
    [0.0592, 0.0112, 0.1811, 0.5967, 0.0486, 0.0395, 0.0442, 0.0196],
    [0.1851, 0.0358, 0.0586, 0.0279, 0.033, 0.0172, 0.5895, 0.0529],
    [0.2734, 0.2867, 0.052, 0.0751, 0.0594, 0.1049, 0.0715, 0.0771],
    [0.0129, 0.0229, 0.2678, 0.0262, 0.0178, 0.0718, 0.5687, 0.012],
    [0.2427, 0.0584, 0.0189, 0.2293, 0.1074, 0.1181, 0.0518, 0.1733],
    [0.0627, 0.0933, 0.0355, 0.0867, 0.409, 0.0648, 0.144, 0.104],
    [0.0389, 0.0364, 0.1136, 0.0447, 0.052, 0.0618, 0.5332, 0.1194],
    [0.1154, 0.0448, 0.0537, 0.2034, 0.2069, 0.0684, 0.1353, 0.172],
    [0.1292, 0.1414, 0.097, 0.256, 0.0162, 0.1332, 0.0922, 0.1348],
    [0.365, 0.246, 0.0482, 0.0103, 0.1262, 0.0202, 0.0551, 0.1291],
    [0.028, 0.0176, 0.1877, 0.1514, 0.1132, 0.4091, 0.0612, 0.0319],
    [0.1256, 0.0561, 0.078, 0.246, 0.1395, 0.2228, 0.0552, 0.0768],
    [0.0272, 0.0304, 0.0898, 0.0338, 0.1055, 0.1038, 0.5597, 0.0499],
    [0.2503, 0.0942, 0.1016, 0.0657, 0.065, 0.2166, 0.0949, 0.1117],
    [0.1156, 0.4905, 0.1513, 0.0466, 0.0774, 0.0216, 0.006, 0.091],
    [0.2215, 0.0612, 0.0181, 0.0228, 0.4915, 0.0683, 0.0612, 0.0553],
    [0.084, 0.1809, 0.1405, 0.1003, 0.0774, 0.1348, 0.0408, 0.2414],
    [0.0113, 0.0353, 0.0402, 0.0108, 0.6153, 0.1743, 0.0254, 0.0875],
    [0.1687, 0.0085, 0.1484, 0.1087, 0.3414, 0.0394, 0.0883, 0.0967],
    [0.1325, 0.0564, 0.0402, 0.1864, 0.0232, 0.0274, 0.0066, 0.5274],
    [0.1945, 0.1855, 0.1448, 0.0828, 0.092, 0.0576, 0.1645, 0.0783],
    [0.2405, 0.0924, 0.05, 0.0297, 0.0281, 0.2633, 0.2392, 0.0567],
    [0.0775, 0.0361, 0.1025, 0.2625, 0.074, 0.2373, 0.0878, 0.1223],
    [0.0167, 0.0648, 0.0349, 0.1985, 0.1031, 0.1459, 0.3763, 0.0599],
    [0.0353, 0.078, 0.1748, 0.0239, 0.1022, 0.4835, 0.0498, 0.0526],
    [0.0162, 0.0632, 0.0132, 0.0152, 0.1651, 0.0186, 0.1354, 0.5732],
  ],
  pred: [
    7, 6, 5, 5, 6, 6, 6, 3, 4, 1, 3, 6, 2, 3, 3, 6, 1, 6, 0, 4, 6, 4, 3, 0, 5, 3, 6, 0, 1, 4, 7, 4, 4, 7, 0, 5, 3, 6, 5,
    7,
  ],
  accuracy: 0.425,
  top5: 0.8,
  precision_macro: 0.37202380952380953,
  recall_macro: 0.41666666666666663,
  f1_macro: 0.38483044733044736,
  f1_weighted: 0.4023881673881674,
  kappa: 0.3366979091564527,
  auc_roc_macro: 0.7652635356156423,
  auc_pr_macro: 0.4642438566335625,
  krippendorff_alpha: 0.3383102694828841,
  precision: [0.25, 0.3333333333333333, 0.0, 0.14285714285714285, 0.5, 0.4, 0.6, 0.75],
  recall: [0.3333333333333333, 0.5, 0.0, 0.25, 0.5, 0.5, 0.75, 0.5],
  f1: [0.2857142857142857, 0.4, 0.0, 0.18181818181818182, 0.5, 0.4444444444444444, 0.6666666666666666, 0.6],
  support: [3, 2, 7, 4, 6, 4, 8, 6],
  confusion: [
    [1, 0, 0, 1, 1, 0, 0, 0],
    [0, 1, 0, 1, 0, 0, 0, 0],
    [1, 1, 0, 3, 1, 1, 0, 0],
    [1, 1, 0, 1, 1, 0, 0, 0],
    [0, 0, 0, 0, 3, 0, 2, 1],
    [0, 0, 0, 1, 0, 2, 1, 0],
    [1, 0, 0, 0, 0, 1, 6, 0],
    [0, 0, 1, 0, 0, 1, 1, 3],
  ],
};

const SKLEARN_REPORT =
  '              precision    recall  f1-score   support\n\n           0       0.25      0.33      0.29         3\n           1       0.33      0.50      0.40         2\n           2       0.00      0.00      0.00         7\n           3       0.14      0.25      0.18         4\n           4       0.50      0.50      0.50         6\n           5       0.40      0.50      0.44         4\n           6       0.60      0.75      0.67         8\n           7       0.75      0.50      0.60         6\n\n    accuracy                           0.42        40\n   macro avg       0.37      0.42      0.38        40\nweighted avg       0.40      0.42      0.40        40\n';

const REGRESSION_REFERENCE = {
  truth: [
    0.777, 0.833, -0.507, -0.212, -0.546, -0.75, -0.934, 0.007, -0.754, -0.647, 0.721, -0.032, -0.633, 0.34, -0.468,
    0.054, -0.434, 0.032, 0.257, 0.072, -0.209, 0.582, 0.747, -0.641, -0.727, -0.774, 0.959, 0.883, -0.539, 0.94,
  ],
  pred: [
    0.678, 0.455, -0.817, -0.239, -0.531, -0.259, 0.117, 0.069, -0.686, -0.739, 0.416, -0.072, -0.725, 0.239, -0.626,
    0.366, 0.058, 0.345, 0.012, 0.198, -0.165, 0.233, 0.346, -0.775, -0.869, -0.226, 0.518, 0.595, -0.023, 0.044,
  ],
  rmse: 0.37564806224266173,
  mae: 0.28453333333333336,
  corr: 0.7877834067993437,
  sagr: 0.9333333333333333,
  ccc: 0.7571005182578264,
};

const CLASS_NAMES = ['0', '1', '2', '3', '4', '5', '6', '7'];

function close(actual: number, expected: number, what: string): void {
  assert.ok(Math.abs(actual - expected) < 1e-12, `${what}: ${actual} vs scikit-learn ${expected}`);
}

const ref = SKLEARN_CLASSIFICATION;
const metrics = classificationMetrics(
  { labels: ref.labels, predicted: ref.pred, probs: ref.probs, classNames: CLASS_NAMES },
  { seed: 3 },
);

test('classification scalars match scikit-learn', () => {
  for (const key of [
    'accuracy',
    'top5',
    'precision_macro',
    'recall_macro',
    'f1_macro',
    'f1_weighted',
    'kappa',
    'auc_roc_macro',
    'auc_pr_macro',
    'krippendorff_alpha',
  ] as const) {
    close(metrics[key]!.value, ref[key], key);
  }
});

test('per-class scores and the confusion matrix match scikit-learn', () => {
  assert.deepEqual(metrics.confusion_matrix.matrix, ref.confusion);
  CLASS_NAMES.forEach((name, c) => {
    const row = metrics.per_class[name]!;
    close(row.precision.value, ref.precision[c]!, `precision ${name}`);
    close(row.recall.value, ref.recall[c]!, `recall ${name}`);
    close(row.f1.value, ref.f1[c]!, `f1 ${name}`);
    assert.equal(row.support, ref.support[c]);
  });
});

test("the classification report reads like scikit-learn's", () => {
  assert.equal(classificationReport(metrics), SKLEARN_REPORT);
});

test('every scalar carries a 95% interval around its value, the same for the same seed', () => {
  for (const key of ['accuracy', 'kappa', 'auc_roc_macro', 'f1_macro'] as const) {
    const { value, ci } = metrics[key]!;
    assert.ok(ci[0] <= value && value <= ci[1] && ci[0] < ci[1], `${key} ${value} in [${ci.join(', ')}]`);
  }
  const again = classificationMetrics(
    { labels: ref.labels, predicted: ref.pred, probs: ref.probs, classNames: CLASS_NAMES },
    { seed: 3 },
  );
  assert.deepEqual(again.accuracy, metrics.accuracy);
  const other = classificationMetrics(
    { labels: ref.labels, predicted: ref.pred, classNames: CLASS_NAMES },
    { seed: 4 },
  );
  assert.notDeepEqual(other.kappa.ci, metrics.kappa.ci, 'another seed, other resamples');
  assert.equal(other.auc_roc_macro, undefined, 'no probabilities, no AUC');
  assert.equal(other.curves, undefined);
});

test('bootstrap intervals shrink with more data (4x the items, about half the width)', () => {
  const repeat = <T>(values: readonly T[]): T[] => [...values, ...values, ...values, ...values];
  const big = classificationMetrics(
    { labels: repeat(ref.labels), predicted: repeat(ref.pred), classNames: CLASS_NAMES },
    { seed: 3 },
  );
  const width = (e: { ci: [number, number] }) => e.ci[1] - e.ci[0];
  const ratio = width(big.accuracy) / width(metrics.accuracy);
  assert.ok(ratio > 0.35 && ratio < 0.65, `width ratio ${ratio}`);
});

test('ROC and PR curves run from the origin to (1, 1) and end at recall 1', () => {
  const curve = metrics.curves!['6']!;
  assert.deepEqual([curve.roc.fpr[0], curve.roc.tpr[0]], [0, 0]);
  assert.deepEqual([curve.roc.fpr.at(-1), curve.roc.tpr.at(-1)], [1, 1]);
  assert.equal(curve.pr.recall.at(-1), 1);
});

test('regression metrics match scikit-learn, SciPy and the CCC definition; non-finite pairs are left out', () => {
  const r = REGRESSION_REFERENCE;
  const result = regressionMetrics([...r.truth, Number.NaN, null], [...r.pred, 0.5, 0.2], { seed: 1 })!;
  assert.equal(result.n, r.truth.length);
  for (const key of ['rmse', 'mae', 'corr', 'sagr', 'ccc'] as const) close(result[key].value, r[key], key);
  assert.equal(regressionMetrics([Number.NaN], [1]), null);
});

// Undefined values, against SciPy 1.15.3 (`.venv/bin/python`):
//   t = [0.2, -0.4, 0.6, 0.1, 0.5, -0.1, 0.3, 0.0, 0.9, -0.7]
//   pearsonr([0.1] * 10, [0.7] * 10), pearsonr(t, [0.1] * 10), pearsonr([0.7] * 10, t)  -> nan (ConstantInputWarning)
//   pearsonr([0, 0, 0, 0, 1], [0.1, 0.3, -0.2, 0.0, 0.8])                               -> 0.8808303292720553
const VARIED = [0.2, -0.4, 0.6, 0.1, 0.5, -0.1, 0.3, 0.0, 0.9, -0.7];
const constant = (value: number): number[] => new Array<number>(VARIED.length).fill(value);

test('the correlation of a constant series is undefined (NaN, n/a), as SciPy says, also where float means miss the constant', () => {
  // Ten 0.1s sum to 0.9999999999999999: a mean-based deviation of ~1e-17 on both sides made this corr -1.
  for (const [truth, pred] of [
    [constant(0.1), constant(0.7)],
    [VARIED, constant(0.1)],
    [constant(0.7), VARIED],
  ]) {
    const { corr } = regressionMetrics(truth!, pred!, { seed: 1, resamples: 200 })!;
    assert.ok(Number.isNaN(corr.value) && corr.ci.every(Number.isNaN), `corr ${JSON.stringify(corr)}`);
  }
});

test('CCC is 0 when one side is constant and undefined only when both are the same constant; SAGR stays defined', () => {
  const constantPred = regressionMetrics(VARIED, constant(0.1), { seed: 1, resamples: 200 })!;
  assert.equal(constantPred.ccc.value, 0);
  assert.deepEqual(constantPred.ccc.ci, [0, 0]);
  assert.equal(constantPred.sagr.value, 0.6);
  assert.equal(regressionMetrics(constant(0.1), constant(0.7))!.ccc.value, 0, 'different constants: no concordance');
  const same = regressionMetrics(constant(0.1), constant(0.1))!;
  assert.ok(Number.isNaN(same.ccc.value), '0/0');
  assert.equal(same.sagr.value, 1);
  assert.equal(same.rmse.value, 0);
});

test('a metric undefined in some resamples: its interval comes from the defined ones, or is n/a when a tail could be missing', () => {
  // 5 items, one of them the only non-zero truth: (4/5)^5 = 33% of resamples miss it and have no variance.
  const few = regressionMetrics([0, 0, 0, 0, 1], [0.1, 0.3, -0.2, 0, 0.8], { seed: 2 })!;
  close(few.corr.value, 0.8808303292720553, 'corr');
  assert.ok(few.corr.ci.every(Number.isNaN), `too many undefined resamples: ${few.corr.ci.join(', ')}`);
  // Two values in 40 items: a resample with one value only is vanishingly rare, and the interval is the usual one.
  const truth = Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? 0 : 1));
  const pred = truth.map((t, i) => t * 0.6 + ((i * 37) % 11) / 20);
  const many = regressionMetrics(truth, pred, { seed: 2 })!;
  assert.ok(
    many.corr.ci[0] < many.corr.value && many.corr.value < many.corr.ci[1],
    `${many.corr.value} in ${many.corr.ci.join(', ')}`,
  );
});
