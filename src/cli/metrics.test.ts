import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SplitMetrics } from '../metrics/evaluate.ts';

const dir = mkdtempSync(join(tmpdir(), 'percept-metrics-'));

function percept(...args: string[]) {
  return spawnSync(process.execPath, ['src/cli/bin.mjs', 'metrics', ...args], { encoding: 'utf8' });
}

test('percept metrics --json scores a predictions file; uncertain (-2) arousal is left out; absent tasks are absent', () => {
  const file = join(dir, 'p.jsonl');
  const lines = [
    { true: 'cat', pred: 'cat', valence: 0.5, predValence: 0.4, arousal: -2, predArousal: 0.1 },
    { true: 'dog', pred: 'cat', valence: -0.5, predValence: -0.2, arousal: 0.3, predArousal: 0.1 },
    { true: 'dog', pred: 'dog', valence: 0.1, predValence: 0.3, arousal: 0.5, predArousal: 0.4 },
  ];
  writeFileSync(file, lines.map((line) => JSON.stringify(line)).join('\n') + '\n');
  const result = percept(file, '--json', '--resamples', '50');
  assert.equal(result.status, 0, result.stderr);
  const metrics = JSON.parse(result.stdout) as SplitMetrics;
  assert.deepEqual(Object.keys(metrics), ['classification', 'valence', 'arousal']);
  assert.deepEqual(metrics.classification!.confusion_matrix, {
    labels: ['cat', 'dog'],
    matrix: [
      [1, 0],
      [1, 1],
    ],
  });
  assert.equal(metrics.arousal!.n, 2);
  assert.equal(metrics.valence!.mae.value.toFixed(4), '0.2000');
  assert.equal(metrics.classification!.auc_roc_macro, undefined);
});

test('a bad line is a user error naming the file, the line and the field', () => {
  const file = join(dir, 'bad.jsonl');
  writeFileSync(file, '{"true": 0, "pred": 1}\n{"true": 0, "pred": 1, "probs": "high"}\n');
  const result = percept(file);
  assert.equal(result.status, 1);
  assert.match(result.stderr, /bad\.jsonl:2: field 'probs'/);
});
