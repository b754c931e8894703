import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { venvPython } from '../setup/python_env.ts';
import { needsPython } from '../testing.ts';
import { holm, mcnemarExact, pairedClassification, pairedRegression, type PairedDifference } from './paired.ts';

/**
 * Random pairs of models drawn in Python (numpy's generator, seeds 0-5), scored by the references: statsmodels'
 * McNemar exact test and Holm correction, scikit-learn's accuracy, macro F1 and Cohen's κ, and SciPy's paired
 * percentile bootstrap of each difference (4000 resamples).
 */
const REFERENCE = String.raw`
import json
import numpy as np
from scipy.stats import bootstrap
from sklearn.metrics import accuracy_score, cohen_kappa_score, f1_score
from statsmodels.stats.contingency_tables import mcnemar
from statsmodels.stats.multitest import multipletests

def ccc(t, q):
    return 2 * np.cov(t, q, bias=True)[0, 1] / (t.var() + q.var() + (t.mean() - q.mean()) ** 2)

def rmse(t, q):
    return float(np.sqrt(np.mean((t - q) ** 2)))

def paired_ci(stat, *data):
    res = bootstrap(data, lambda *d: stat(*d), paired=True, vectorized=False, n_resamples=4000,
                    method='percentile', random_state=np.random.default_rng(123))
    return [float(res.confidence_interval.low), float(res.confidence_interval.high)]

cases = []
for seed in range(6):
    rng = np.random.default_rng(seed)
    n, classes = int(rng.integers(60, 200)), int(rng.integers(3, 8))
    y = rng.integers(0, classes, n)
    a = np.where(rng.random(n) < rng.uniform(0.4, 0.8), y, rng.integers(0, classes, n))
    b = np.where(rng.random(n) < rng.uniform(0.4, 0.8), y, rng.integers(0, classes, n))
    t = rng.uniform(-1, 1, n)
    qa = np.clip(rng.uniform(0.3, 0.9) * t + rng.normal(0, 0.3, n), -1, 1)
    qb = np.clip(rng.uniform(0.3, 0.9) * t + rng.normal(0, 0.3, n), -1, 1)
    onlyA = int(np.sum((a == y) & (b != y))); onlyB = int(np.sum((b == y) & (a != y)))
    both = int(np.sum((a == y) & (b == y))); neither = n - onlyA - onlyB - both
    f1 = lambda yy, p: f1_score(yy, p, average='macro', zero_division=0)
    cases.append(dict(
        labels=y.tolist(), a=a.tolist(), b=b.tolist(), classes=classes, truth=t.tolist(), qa=qa.tolist(), qb=qb.tolist(),
        mcnemar=float(mcnemar([[both, onlyA], [onlyB, neither]], exact=True).pvalue),
        accuracy=[accuracy_score(y, a), accuracy_score(y, b)],
        f1=[f1(y, a), f1(y, b)], f1_ci=paired_ci(lambda yy, p, q: f1(yy, p) - f1(yy, q), y, a, b),
        kappa=[cohen_kappa_score(y, a), cohen_kappa_score(y, b)],
        kappa_ci=paired_ci(lambda yy, p, q: cohen_kappa_score(yy, p) - cohen_kappa_score(yy, q), y, a, b),
        rmse=[rmse(t, qa), rmse(t, qb)], rmse_ci=paired_ci(lambda tt, p, q: rmse(tt, p) - rmse(tt, q), t, qa, qb),
        ccc=[ccc(t, qa), ccc(t, qb)], ccc_ci=paired_ci(lambda tt, p, q: ccc(tt, p) - ccc(tt, q), t, qa, qb),
    ))
ps = np.random.default_rng(99).uniform(0, 0.2, 12)
ps[3] = ps[7]  # a tie
print(json.dumps(dict(cases=cases, holm_in=ps.tolist(), holm_out=multipletests(ps, method='holm')[1].tolist())))
`;

interface Case {
  labels: number[];
  a: number[];
  b: number[];
  classes: number;
  truth: number[];
  qa: number[];
  qb: number[];
  mcnemar: number;
  accuracy: [number, number];
  f1: [number, number];
  f1_ci: [number, number];
  kappa: [number, number];
  kappa_ci: [number, number];
  rmse: [number, number];
  rmse_ci: [number, number];
  ccc: [number, number];
  ccc_ci: [number, number];
}

function checkDifference(what: string, ours: PairedDifference, values: [number, number], ci?: [number, number]): void {
  assert.ok(
    Math.abs(ours.a - values[0]) < 1e-12 && Math.abs(ours.b - values[1]) < 1e-12,
    `${what}: ${ours.a}, ${ours.b} vs ${values.join(', ')}`,
  );
  assert.ok(Math.abs(ours.difference.value - (values[0] - values[1])) < 1e-12, what);
  if (ci === undefined) return;
  // Two Monte Carlo estimates of the same percentiles (4000 resamples each): their sampling error is about 1-2% of
  // the interval's width; 8% leaves room without letting a wrong interval (e.g. an unpaired one, far wider) through.
  const width = ci[1] - ci[0];
  ours.difference.ci.forEach((bound, i) =>
    assert.ok(
      Math.abs(bound - ci[i]!) <= 0.08 * width,
      `${what} CI ${ours.difference.ci.join(', ')} vs SciPy ${ci.join(', ')}`,
    ),
  );
  // The bootstrap p-value and the interval tell the same story away from the boundary.
  const excludesZero = ours.difference.ci[0] > 0 || ours.difference.ci[1] < 0;
  if (Math.min(Math.abs(ours.difference.ci[0]), Math.abs(ours.difference.ci[1])) > 0.05 * width)
    assert.equal(ours.p < 0.05, excludesZero, `${what}: p ${ours.p}, CI ${ours.difference.ci.join(', ')}`);
}

test(
  'McNemar, Holm and paired bootstrap differences agree with statsmodels, scikit-learn and SciPy on random pairs of models',
  needsPython('sklearn'),
  () => {
    const result = spawnSync(venvPython(), ['-c', REFERENCE], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    assert.equal(result.status, 0, result.stderr);
    const reference = JSON.parse(result.stdout) as { cases: Case[]; holm_in: number[]; holm_out: number[] };
    for (const [index, c] of reference.cases.entries()) {
      const options = { resamples: 4000, seed: index };
      const classification = pairedClassification(c.labels, c.a, c.b, c.classes, options);
      assert.ok(
        Math.abs(classification.accuracy.p - c.mcnemar) < 1e-12,
        `case ${index}: McNemar ${classification.accuracy.p} vs ${c.mcnemar}`,
      );
      checkDifference(`case ${index} accuracy`, classification.accuracy, c.accuracy);
      checkDifference(`case ${index} macro F1`, classification.f1_macro, c.f1, c.f1_ci);
      checkDifference(`case ${index} kappa`, classification.kappa, c.kappa, c.kappa_ci);
      const regression = pairedRegression(c.truth, c.qa, c.qb, options);
      checkDifference(`case ${index} RMSE`, regression.rmse, c.rmse, c.rmse_ci);
      checkDifference(`case ${index} CCC`, regression.ccc, c.ccc, c.ccc_ci);
    }
    holm(reference.holm_in).forEach((p, i) => assert.ok(Math.abs(p - reference.holm_out[i]!) < 1e-12, `Holm ${i}`));
  },
);

test('McNemar`s exact test: the binomial tail, doubled and capped at 1, and 1 without discordant items', () => {
  assert.equal(mcnemarExact(0, 0), 1);
  assert.equal(mcnemarExact(5, 5), 1);
  // 2 × P(X ≤ 3) for X ~ Bin(15, 1/2) = 2 × 576 / 32768.
  assert.ok(Math.abs(mcnemarExact(12, 3) - 1152 / 32768) < 1e-15);
  assert.equal(mcnemarExact(3, 12), mcnemarExact(12, 3));
});

test('paired bootstrap keeps the pairing: two models that differ on one item in a thousand have a narrow interval', () => {
  const labels = Array.from({ length: 1000 }, (_, i) => i % 4);
  const a = labels.map((label, i) => (i % 3 === 0 ? (label + 1) % 4 : label));
  const b = a.map((value, i) => (i === 6 ? labels[i]! : value));
  const { accuracy } = pairedClassification(labels, a, b, 4, { seed: 1 });
  assert.ok(Math.abs(accuracy.difference.value + 0.001) < 1e-12);
  // Unpaired, each accuracy's interval is about ±0.03 wide; paired, the difference can only move by its one item.
  assert.ok(accuracy.difference.ci[0] >= -0.004 && accuracy.difference.ci[1] <= 0, accuracy.difference.ci.join(', '));
  assert.equal(accuracy.p, 1);
});
