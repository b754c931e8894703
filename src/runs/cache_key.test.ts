import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join, relative } from 'node:path';
import { projectRoot } from '../paths.ts';
import { resultSourceFiles } from './cache_key.ts';

test('the code version covers code that can change results, not reports, plots, notebooks, setup or tests', () => {
  const src = join(projectRoot(), 'src');
  const files = resultSourceFiles(src).map((file) => relative(src, file));
  for (const kept of ['train/trainer.ts', 'models/resnet.ts', 'data/synth/draw.ts', 'kernels/batch_norm.ts', 'tf.ts'])
    assert.ok(files.includes(kept), `${kept} is hashed`);
  for (const top of ['report/', 'plots/', 'notebook/', 'setup/', 'cli/', 'demo/'])
    assert.ok(!files.some((file) => file.startsWith(top)), `${top} is not hashed`);
  assert.ok(!files.some((file) => file.endsWith('.test.ts')), 'tests are not hashed');
});
