import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Tensor } from '@tensorflow/tfjs';
import { tf } from '../tf.ts';
import { UserError } from '../errors.ts';
import { imageBatches, synthesizeFaces } from '../data/index.ts';
import { tempDir, writeIdx, writeTruncatedJpeg } from '../data/test_fixtures.ts';
import { preprocess } from '../models/index.ts';
import type { ProgressEvent } from '../train/progress.ts';
import { PROBLEMS_FILE, runExperiment } from './experiment.ts';
import { buildExperimentModel } from './experiment_model.ts';
import { loadLayersModel, readLayersWeights } from '../models/model_files.ts';
import { parseExperimentConfig } from './config.ts';
import { readRun } from './run_files.ts';

const root = tempDir('percept-runs-');
const synth = join(root, 'synth');
const runs = join(root, 'runs');

/** A tiny multi-task config on the synthetic faces: simple_cnn at 16 px, a few epochs. */
function tinyConfig(name: string, overrides: Record<string, unknown> = {}) {
  return parseExperimentConfig(
    {
      name,
      seed: 3,
      data: { format: 'affectnet', path: synth, imageSize: 16 },
      model: { arch: 'simple_cnn', head: { dense: [16], dropout: 0.2, tasks: ['classification', 'valence_arousal'] } },
      train: { batchSize: 16, epochs: 2, optimizer: { name: 'adam', lr: 0.003 }, earlyStopping: { patience: 2 } },
      profiles: { override: overrides },
    },
    'tiny.json',
    'override',
  );
}

before(async () => {
  await synthesizeFaces({ out: synth, n: 48, size: 32, seed: 1 });
});

after(() => rmSync(root, { recursive: true, force: true }));

test('a multi-task run writes every run file readRun reads, and its saved model predicts what predictions.jsonl says', async () => {
  const tensors = tf.memory().numTensors;
  const events: ProgressEvent[] = [];
  const result = await runExperiment(tinyConfig('multitask'), { out: runs, onProgress: (event) => events.push(event) });
  assert.equal(tf.memory().numTensors, tensors, 'a run leaves no live tensor behind');
  assert.deepEqual(
    events.filter((event) => event.epochDone).map((event) => event.epoch),
    [1, 2],
  );
  const run = readRun(result.dir);
  assert.deepEqual(run.missing, []);
  assert.equal(run.summary.arch, 'simple_cnn');
  assert.deepEqual(run.summary.input, [16, 16, 1]);
  assert.equal(run.summary.params.total, run.summary.params.trainable + run.summary.params.frozen);
  assert.match(run.summary.dataHash, /^sha256:/);
  assert.match(run.summary.codeVersion, /^percept@.*\+src\./);
  assert.equal(run.history!.epochs.length, 2);
  for (const split of ['val', 'test']) {
    const metrics = run.metrics![split]!;
    assert.ok(
      metrics.classification !== undefined && metrics.valence !== undefined && metrics.arousal !== undefined,
      split,
    );
    assert.equal(metrics.series, undefined);
  }
  const counts = Object.values(run.split!.splits).map((split) => split.count);
  assert.equal(
    counts.reduce((a, b) => a + b, 0),
    48,
  );
  assert.equal(run.predictions!.length, counts[1]! + counts[2]!);
  const first = run.predictions!.find((record) => record.split === 'test')!;
  assert.equal(first.probs!.length, 8);
  assert.equal(first.pred, first.probs!.indexOf(Math.max(...first.probs!)));
  assert.ok(Number.isFinite(first.predValence) && Number.isFinite(first.valence));
  for (const item of run.examples!.items) {
    assert.ok(existsSync(join(result.dir, 'examples', item.file)), item.file);
    assert.equal(item.correct, item.true === item.pred);
  }
  assert.ok(run.examples!.items.length > 0);

  const model = await loadLayersModel(join(result.dir, 'model'));
  const item = { id: first.id!, file: join(synth, 'images', `${first.id}.jpg`) };
  for await (const batch of imageBatches([item], { size: 16, batchSize: 1, channels: 1 })) {
    const [probs] = tf.tidy(() =>
      (model.predict(preprocess('unit', batch.x)) as Tensor[]).map((t) => Array.from(t.dataSync())),
    );
    batch.x.dispose();
    probs!.forEach((p, i) =>
      assert.ok(Math.abs(p - first.probs![i]!) < 1e-5, `class ${i}: ${p} vs ${first.probs![i]}`),
    );
  }
  model.dispose();
});

test('a finished run of the same config, data and code is reused; force or a changed config retrains', async () => {
  const first = await runExperiment(tinyConfig('reuse', { train: { epochs: 1 } }), { out: runs });
  assert.equal(first.reused, false);
  const again = await runExperiment(tinyConfig('reuse', { train: { epochs: 1 } }), { out: runs });
  assert.equal(again.reused, true);
  assert.equal(again.summary.startedAt, first.summary.startedAt);
  const forced = await runExperiment(tinyConfig('reuse', { train: { epochs: 1 } }), { out: runs, force: true });
  assert.equal(forced.reused, false);
  assert.notEqual(forced.summary.startedAt, first.summary.startedAt);
  const changed = await runExperiment(tinyConfig('reuse', { train: { epochs: 1, optimizer: { lr: 0.001 } } }), {
    out: runs,
  });
  assert.equal(changed.reused, false);
});

test('corrupt images are skipped and reported in the run, never fatal', async () => {
  const broken = join(root, 'broken');
  cpSync(synth, broken, { recursive: true });
  const corrupt = ['0', '1', '2'].map((id) => join(broken, 'images', `${id}.jpg`));
  for (const file of corrupt) await writeTruncatedJpeg(file);
  const result = await runExperiment(tinyConfig('corrupt', { data: { path: broken }, train: { epochs: 1 } }), {
    out: runs,
  });
  assert.deepEqual(result.skipped.map((problem) => problem.file).sort(), corrupt);
  assert.match(result.skipped[0]!.reason, /unreadable image/);
  const saved = JSON.parse(readFileSync(join(result.dir, PROBLEMS_FILE), 'utf8')) as { count: number };
  assert.equal(saved.count, 3);
  assert.equal(result.summary.epochs.run, 1);
  assert.ok(readRun(result.dir).predictions!.every((record) => !['0', '1', '2'].includes(record.id!)));
});

test('a frozen base without augmentation trains its head on cached features; the base keeps its initial weights', async () => {
  const config = tinyConfig('frozen', { model: { freeze: 'base' }, train: { epochs: 2 } });
  const tensors = tf.memory().numTensors;
  const result = await runExperiment(config, { out: runs });
  assert.equal(tf.memory().numTensors, tensors, 'cached features are disposed');
  assert.equal(result.cachedFeatures, true);
  // simple_cnn without its top: input + 2 blocks of (conv, bn, relu) x2, pool, dropout.
  assert.equal(result.summary.freezeCut, 'base frozen (17 layers)');
  const initial = buildExperimentModel(config, { classes: 8, inputSize: 16, runsRoot: runs });
  const saved = new Map(readLayersWeights(join(result.dir, 'model')).map((entry) => [entry.name, entry.tensor]));
  const differs = (name: string): boolean => {
    const weight = initial.model.weights.find((w) => w.originalName === name)!;
    return tf.tidy(() => tf.any(tf.notEqual(weight.read(), saved.get(name)!)).dataSync()[0] === 1);
  };
  assert.equal(differs('block1_conv1/kernel'), false);
  assert.equal(differs('block2_conv2/kernel'), false);
  assert.equal(differs('head_dense_1/kernel'), true);
  tf.dispose([...saved.values()]);
  initial.model.dispose();

  const augmented = await runExperiment(
    tinyConfig('frozen_augmented', {
      model: { freeze: 'base' },
      data: { augment: { flip: true } },
      train: { epochs: 1 },
    }),
    { out: runs },
  );
  assert.equal(augmented.cachedFeatures, false);
});

test('time series: simple_rnn, lstm and gru forecast one step ahead, scored against the naive last value', async () => {
  for (const arch of ['simple_rnn', 'lstm', 'gru']) {
    const config = parseExperimentConfig(
      {
        name: `series_${arch}`,
        data: {
          format: 'timeseries',
          path: 'node_modules/vega-datasets/data/co2-concentration.csv',
          imageSize: 8,
          limit: 160,
        },
        model: { arch, head: { tasks: ['forecast'] } },
        train: { batchSize: 32, epochs: 1 },
      },
      'series.json',
    );
    const result = await runExperiment(config, { out: runs });
    const run = readRun(result.dir);
    assert.deepEqual(run.summary.input, [8, 1]);
    const series = run.metrics!['test']!.series!;
    assert.ok(series.n > 0 && Number.isFinite(series.mse.value) && Number.isFinite(series.naive_mse.value), arch);
    const test = run.predictions!.filter((record) => record.split === 'test');
    // The naive forecast of each step is the value before it: the previous record's target.
    for (let i = 1; i < test.length; i++) assert.equal(test[i]!.last, test[i - 1]!.target);
    assert.equal(run.examples, undefined);
  }
});

test('Fashion-MNIST-style idx data trains through the same path, and a later run starts from its base (run:NAME)', async () => {
  const idx = join(root, 'fashion-mnist');
  const images = (n: number, seed: number) =>
    Uint8Array.from({ length: n * 28 * 28 }, (_, i) => ((i * 7919 + seed) % 251) * (i % 28 > 14 ? 1 : 0));
  writeIdx(join(idx, 'train-images-idx3-ubyte.gz'), [40, 28, 28], images(40, 1));
  writeIdx(
    join(idx, 'train-labels-idx1-ubyte.gz'),
    [40],
    Uint8Array.from({ length: 40 }, (_, i) => i % 10),
  );
  writeIdx(join(idx, 't10k-images-idx3-ubyte.gz'), [20, 28, 28], images(20, 2));
  writeIdx(
    join(idx, 't10k-labels-idx1-ubyte.gz'),
    [20],
    Uint8Array.from({ length: 20 }, (_, i) => i % 10),
  );
  const source = await runExperiment(
    parseExperimentConfig(
      {
        name: 'fashion',
        data: { format: 'idx', path: idx, imageSize: 28 },
        model: { arch: 'simple_cnn' },
        train: { batchSize: 16, epochs: 1 },
      },
      'fashion.json',
    ),
    { out: runs },
  );
  const run = readRun(source.dir);
  assert.deepEqual(run.summary.classNames, [
    'T-shirt/top',
    'Trouser',
    'Pullover',
    'Dress',
    'Coat',
    'Sandal',
    'Shirt',
    'Sneaker',
    'Bag',
    'Ankle boot',
  ]);
  assert.equal(run.split!.splits['test']!.count, 20);
  assert.equal(run.metrics!['test']!.classification!.n, 20);

  const target = await runExperiment(
    tinyConfig('transfer', {
      data: { imageSize: 28 },
      model: { weights: 'run:fashion', freeze: 'base', head: { tasks: ['classification'] } },
      train: { epochs: 1 },
    }),
    { out: runs },
  );
  const from = new Map(readLayersWeights(join(source.dir, 'model')).map((entry) => [entry.name, entry.tensor]));
  const to = new Map(readLayersWeights(join(target.dir, 'model')).map((entry) => [entry.name, entry.tensor]));
  assert.deepEqual(to.get('block2_conv2/kernel')!.dataSync(), from.get('block2_conv2/kernel')!.dataSync());
  tf.dispose([...from.values(), ...to.values()]);
  assert.throws(
    () =>
      buildExperimentModel(tinyConfig('bad', { model: { weights: 'run:nothing' } }), {
        classes: 8,
        inputSize: 16,
        runsRoot: runs,
      }),
    /run:nothing.*no such file|nothing\/model/,
  );
});

test('model.zeroInitResidual is refused, naming the field and the fix, where it cannot act', () => {
  const build = (model: Record<string, unknown>) => () =>
    buildExperimentModel(tinyConfig('zero', { model }), { classes: 8, inputSize: 32, runsRoot: runs });
  assert.throws(
    build({ zeroInitResidual: true }),
    (error: unknown) =>
      error instanceof UserError &&
      /model\.zeroInitResidual: simple_cnn has no residual blocks.*remove it.*resnet50/.test(error.message),
  );
  assert.throws(
    build({ arch: 'resnet18', zeroInitResidual: true, weights: 'run:fashion' }),
    (error: unknown) =>
      error instanceof UserError &&
      /model\.zeroInitResidual:.*model\.weights 'run:fashion' replaces them/.test(error.message),
  );
  const { model } = buildExperimentModel(tinyConfig('zero', { model: { arch: 'resnet18', zeroInitResidual: true } }), {
    classes: 8,
    inputSize: 32,
    runsRoot: runs,
  });
  const gamma = model.getLayer('conv2_block1_2_bn').getWeights()[0]!;
  assert.ok(gamma.dataSync().every((g) => g === 0));
  model.dispose();
});

test('model.batchNormMomentum sets every batch norm of base and head (saved with the model); out of [0, 1) it is refused by name', () => {
  const { model } = buildExperimentModel(
    tinyConfig('bn_momentum', { model: { batchNormMomentum: 0.9, head: { dense: [8], batchNorm: true } } }),
    { classes: 3, inputSize: 16, runsRoot: runs },
  );
  const norms = model.layers.filter((layer) => layer.getClassName() === 'BatchNormalization');
  assert.ok(norms.some((layer) => layer.name.startsWith('head_bn')) && norms.length > 1);
  for (const layer of norms) assert.equal(layer.getConfig()['momentum'], 0.9, layer.name);
  model.dispose();
  const { model: plain } = buildExperimentModel(tinyConfig('bn_default'), {
    classes: 3,
    inputSize: 16,
    runsRoot: runs,
  });
  assert.ok(
    plain.layers
      .filter((layer) => layer.getClassName() === 'BatchNormalization')
      .every((layer) => layer.getConfig()['momentum'] === 0.99),
  );
  plain.dispose();
  assert.throws(
    () => tinyConfig('bad', { model: { batchNormMomentum: 1 } }),
    (error: unknown) => error instanceof UserError && /model\.batchNormMomentum/.test(error.message),
  );
});
