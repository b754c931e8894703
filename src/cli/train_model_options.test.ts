/**
 * `percept train` as a process with the builder options an experiment config exposes: `model.minimalistic`
 * (MobileNetV3 only) and `model.head.pooling: 'max'` (Keras's `pooling='max'`, kept in the head).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { synthesizeFaces } from '../data/index.ts';
import { tempDir } from '../data/test_fixtures.ts';
import type { Tensor } from '@tensorflow/tfjs';
import { tf } from '../tf.ts';
import { buildArchitecture, countParams } from '../models/index.ts';
import { parseExperimentConfig } from '../runs/config.ts';
import { buildExperimentModel } from '../runs/experiment_model.ts';
import { loadLayersModel } from '../models/model_files.ts';
import { readRun } from '../runs/run_files.ts';

const root = tempDir('percept-model-options-');
const synth = join(root, 'synth');

before(async () => {
  await synthesizeFaces({ out: synth, n: 24, size: 32, seed: 4 });
});

after(() => rmSync(root, { recursive: true, force: true }));

/** Writes a one-epoch config on the synthetic faces with the given `model` and runs `percept train` on it. */
function train(name: string, model: Record<string, unknown>) {
  const config = {
    name,
    data: { format: 'affectnet', path: synth, imageSize: 32 },
    model,
    train: { batchSize: 8, epochs: 1 },
  };
  const file = join(root, `${name}.json`);
  writeFileSync(file, JSON.stringify(config));
  const result = spawnSync(process.execPath, ['src/cli/bin.mjs', 'train', file, '--out', join(root, 'runs')], {
    encoding: 'utf8',
    env: { ...process.env, FORCE_COLOR: '0', PERCEPT_QUIET_BACKEND: '1' },
  });
  return { ...result, config };
}

test("model.minimalistic trains Keras's minimalistic MobileNetV3 Small, and head.pooling 'max' pools it by its maximum", async () => {
  const model = { arch: 'mobilenet_v3_small', minimalistic: true, head: { pooling: 'max' } };
  const result = train('minimalistic', model);
  assert.equal(result.status, 0, result.stderr);
  const run = readRun(join(root, 'runs', 'minimalistic'));
  assert.deepEqual([run.config.model.minimalistic, run.config.model.head.pooling], [true, 'max']);
  const saved = await loadLayersModel(join(root, 'runs', 'minimalistic', 'model', 'model.json'));
  const names = saved.layers.map((layer) => layer.name);
  assert.ok(
    !names.some((name) => name.includes('squeeze_excite') || name.startsWith('multiply')),
    'squeeze-excite or hard-swish in a minimalistic model',
  );
  assert.equal(saved.getLayer('head_pool').getClassName(), 'GlobalMaxPooling2D');
  // The same config built in-process has the run's parameter count (the standard MobileNetV3 Small has more).
  const built = buildExperimentModel(parseExperimentConfig(result.config, 'minimalistic.json'), {
    classes: 8,
    inputSize: 32,
    runsRoot: join(root, 'runs'),
  });
  assert.equal(run.summary.params.total, countParams(built.model).total);
  assert.equal(countParams(saved).total, countParams(built.model).total);
  const standard = buildExperimentModel(
    parseExperimentConfig({ ...result.config, model: { arch: 'mobilenet_v3_small' } }, 'standard.json'),
    { classes: 8, inputSize: 32, runsRoot: join(root, 'runs') },
  );
  assert.ok(countParams(standard.model).total > countParams(built.model).total);
  for (const m of [saved, built.model, standard.model]) m.dispose();
});

test('model.minimalistic on another architecture, and an unknown head.pooling, exit 1 naming the field and the fix', () => {
  const minimalistic = train('minimalistic_resnet', { arch: 'resnet18', minimalistic: true });
  assert.equal(minimalistic.status, 1, minimalistic.stderr);
  assert.match(
    minimalistic.stderr,
    /model\.minimalistic: resnet18 has no minimalistic variant .*mobilenet_v3_small, mobilenet_v3_large\)\. Fix: remove it/,
  );
  const pooling = train('pooling_min', { arch: 'simple_cnn', head: { pooling: 'min' } });
  assert.equal(pooling.status, 1, pooling.stderr);
  assert.match(pooling.stderr, /pooling_min\.json: model\.head\.pooling: .*"avg"\|"max"\|"flatten"/);
});

test("head.pooling 'max' computes what the base built with Keras's pooling='max' outputs, from the same weights", () => {
  const config = parseExperimentConfig(
    { name: 'max', data: { format: 'affectnet', path: synth }, model: { arch: 'resnet18', head: { pooling: 'max' } } },
    'max.json',
  );
  const built = buildExperimentModel(config, { classes: 3, inputSize: 32, runsRoot: root });
  const pooled = buildArchitecture('resnet18', { inputSize: 32, includeTop: false, pooling: 'max' });
  pooled.setWeights(built.base.getWeights());
  // Node 0 of head_pool is its call inside the full model (node 1 is the separate head's).
  const headPool = tf.model({ inputs: built.model.inputs, outputs: built.model.getLayer('head_pool').getOutputAt(0) });
  const x = tf.randomUniform([2, 32, 32, 3], -1, 1, 'float32', 3);
  const [ours, keras] = [headPool.predict(x) as Tensor, pooled.predict(x) as Tensor];
  assert.deepEqual(ours.shape, [2, 512]);
  assert.deepEqual([...ours.dataSync()], [...keras.dataSync()]);
  tf.dispose([x, ours, keras]);
  for (const m of [built.model, pooled]) m.dispose();
});
