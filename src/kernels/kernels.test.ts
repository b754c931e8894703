import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SymbolicTensor, Tensor, Variable } from '@tensorflow/tfjs';
import { tf } from '../tf.ts';
import { fixedValues } from '../backend_parity.ts';
import { assertSameProbe, probeOn } from './probe_testing.ts';
import { needsNative } from '../testing.ts';

test('fused native kernels give the same outputs, gradients and moving statistics as tfjs composite ops', needsNative(), () => {
  const fused = probeOn({ PERCEPT_BACKEND: 'native' });
  const composite = probeOn({ PERCEPT_BACKEND: 'native', PERCEPT_FUSED_KERNELS: '0' });
  assert.equal(fused.fusedKernels, true);
  assert.equal(composite.fusedKernels, false);
  assertSameProbe(fused, composite);
});

function batchNormModel() {
  const input = tf.input({ shape: [4, 4, 2] });
  const norm = tf.layers.batchNormalization({ name: 'bn', momentum: 0.5 });
  const model = tf.model({ inputs: input, outputs: norm.apply(input) as SymbolicTensor });
  return { model, norm };
}

test('a frozen batch norm runs in inference mode while the model trains, as in Keras', () => {
  const { model, norm } = batchNormModel();
  norm.trainable = false;
  const x = tf.tensor4d(fixedValues([3, 4, 4, 2], 1).map((v) => 3 * v + 1), [3, 4, 4, 2]);
  const before = norm.getWeights().map((w) => Array.from(w.dataSync()));
  const training = model.apply(x, { training: true }) as Tensor;
  const inference = model.predict(x) as Tensor;
  assert.deepEqual(Array.from(training.dataSync()), Array.from(inference.dataSync()));
  assert.deepEqual(norm.getWeights().map((w) => Array.from(w.dataSync())), before, 'moving statistics must not move');
  tf.dispose([x, training, inference]);
  model.dispose();
});

test('a trainable batch norm normalises with batch statistics and moves its averages with the unbiased variance', () => {
  const { model, norm } = batchNormModel();
  const values = fixedValues([3, 4, 4, 2], 2).map((v) => 3 * v + 1);
  const x = tf.tensor4d(values, [3, 4, 4, 2]);
  const y = model.apply(x, { training: true }) as Tensor;
  const out = y.dataSync();
  for (const channel of [0, 1]) {
    const column = Array.from(values).filter((_, i) => i % 2 === channel);
    const normed = Array.from(out).filter((_, i) => i % 2 === channel);
    const mean = column.reduce((a, b) => a + b, 0) / column.length;
    const unbiased = column.reduce((a, b) => a + (b - mean) ** 2, 0) / (column.length - 1);
    assert.ok(Math.abs(normed.reduce((a, b) => a + b, 0) / normed.length) < 1e-5, 'normalised mean is 0');
    const [, , movingMean, movingVariance] = norm.getWeights().map((w) => w.dataSync()[channel]!);
    // momentum 0.5 from the initial mean 0 and variance 1.
    assert.ok(Math.abs(movingMean! - 0.5 * mean) < 1e-5, `moving mean ${movingMean} vs ${0.5 * mean}`);
    assert.ok(Math.abs(movingVariance! - (0.5 + 0.5 * unbiased)) < 1e-5, `moving variance ${movingVariance} vs ${0.5 + 0.5 * unbiased}`);
  }
  tf.dispose([x, y]);
  model.dispose();
});

test('ReLU(maxValue 6) equals relu then clip, with the same gradient', () => {
  const layer = tf.layers.reLU({ maxValue: 6 });
  const x = tf.tensor1d([-2, 0.5, 5.9, 6.5, 9]);
  const [value, gradient] = tf.tidy(() => {
    const y = layer.apply(x) as Tensor;
    const grad = tf.grad((input: Tensor) => tf.sum(layer.apply(input) as Tensor))(x);
    return [Array.from(y.dataSync()), Array.from(grad.dataSync())];
  });
  assert.deepEqual(value, [0, 0.5, 5.900000095367432, 6, 6]);
  assert.deepEqual(gradient, [0, 1, 1, 0, 0]);
  x.dispose();
});

test('a fused training step leaks no tensor', () => {
  const { model } = batchNormModel();
  const x = tf.tensor4d(fixedValues([3, 4, 4, 2], 3), [3, 4, 4, 2]);
  const variables = model.trainableWeights.map((w) => w.read() as Variable);
  const step = () => {
    const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(model.apply(x, { training: true }) as Tensor)).asScalar(), variables);
    tf.dispose([value, ...Object.values(grads)]);
  };
  step();
  const before = tf.memory().numTensors;
  for (let i = 0; i < 5; i++) step();
  assert.equal(tf.memory().numTensors, before);
  x.dispose();
  model.dispose();
});
