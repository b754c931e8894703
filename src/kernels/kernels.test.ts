import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SymbolicTensor, Tensor, Variable } from '@tensorflow/tfjs';
import { tf } from '../tf.ts';
import { fixedValues } from '../backend_parity.ts';
import { assertSameProbe, probeOn } from './probe_testing.ts';
import { needsNative } from '../testing.ts';
import { recordOps, type RecordableBackend } from '../native/op_recorder.ts';

test(
  'fused native kernels give the same outputs, gradients and moving statistics as tfjs composite ops',
  needsNative(),
  () => {
    const fused = probeOn({ PERCEPT_BACKEND: 'native' });
    const composite = probeOn({ PERCEPT_BACKEND: 'native', PERCEPT_FUSED_KERNELS: '0' });
    assert.equal(fused.fusedKernels, true);
    assert.equal(composite.fusedKernels, false);
    assertSameProbe(fused, composite);
  },
);

function batchNormModel() {
  const input = tf.input({ shape: [4, 4, 2] });
  const norm = tf.layers.batchNormalization({ name: 'bn', momentum: 0.5 });
  const model = tf.model({ inputs: input, outputs: norm.apply(input) as SymbolicTensor });
  return { model, norm };
}

test('a frozen batch norm runs in inference mode while the model trains, as in Keras', () => {
  const { model, norm } = batchNormModel();
  norm.trainable = false;
  const x = tf.tensor4d(
    fixedValues([3, 4, 4, 2], 1).map((v) => 3 * v + 1),
    [3, 4, 4, 2],
  );
  const before = norm.getWeights().map((w) => Array.from(w.dataSync()));
  const training = model.apply(x, { training: true }) as Tensor;
  const inference = model.predict(x) as Tensor;
  assert.deepEqual(Array.from(training.dataSync()), Array.from(inference.dataSync()));
  assert.deepEqual(
    norm.getWeights().map((w) => Array.from(w.dataSync())),
    before,
    'moving statistics must not move',
  );
  tf.dispose([x, training, inference]);
  model.dispose();
});

/** Per channel (last axis) mean and unbiased variance of a flat NHWC buffer with two channels. */
function channelStatistics(values: Float32Array, channel: number): { mean: number; unbiased: number } {
  const column = Array.from(values).filter((_, i) => i % 2 === channel);
  const mean = column.reduce((a, b) => a + b, 0) / column.length;
  return { mean, unbiased: column.reduce((a, b) => a + (b - mean) ** 2, 0) / (column.length - 1) };
}

test('a trainable batch norm normalises with batch statistics and moves its averages by 1 - momentum from the first step, unbiased on rank 4', () => {
  const { model, norm } = batchNormModel();
  const values = fixedValues([3, 4, 4, 2], 2).map((v) => 3 * v + 1);
  const x = tf.tensor4d(values, [3, 4, 4, 2]);
  const y = model.apply(x, { training: true }) as Tensor;
  const out = y.dataSync();
  for (const channel of [0, 1]) {
    const normed = Array.from(out).filter((_, i) => i % 2 === channel);
    assert.ok(Math.abs(normed.reduce((a, b) => a + b, 0) / normed.length) < 1e-5, 'normalised mean is 0');
    const { mean, unbiased } = channelStatistics(values, channel);
    const [, , movingMean, movingVariance] = norm.getWeights().map((w) => w.dataSync()[channel]!);
    // momentum 0.5 over the initial 0 and 1, as Keras's fused path (unbiased variance) does on the first step.
    assert.ok(Math.abs(movingMean! - 0.5 * mean) < 1e-5, `moving mean ${movingMean} vs ${0.5 * mean}`);
    assert.ok(
      Math.abs(movingVariance! - (0.5 + 0.5 * unbiased)) < 1e-4,
      `moving variance ${movingVariance} vs ${0.5 + 0.5 * unbiased}`,
    );
  }
  tf.dispose([x, y]);
  model.dispose();
});

test('the moving averages are a plain exponential average over every step, never reset', () => {
  const { model, norm } = batchNormModel();
  const batches = [2, 3, 4].map((phase) => fixedValues([3, 4, 4, 2], phase).map((v) => 2 * v + phase));
  for (const values of batches)
    tf.dispose([tf.tidy(() => model.apply(tf.tensor4d(values, [3, 4, 4, 2]), { training: true }) as Tensor)]);
  const expected = batches.reduce((moving, values) => 0.5 * moving + 0.5 * channelStatistics(values, 0).mean, 0);
  const movingMean = norm.getWeights()[2]!.dataSync()[0]!;
  assert.ok(Math.abs(movingMean - expected) < 1e-5, `moving mean ${movingMean} vs ${expected}`);
  model.dispose();
});

test("a batch norm after a dense layer (rank 2) averages the biased batch variance, as Keras's non-fused path", () => {
  const input = tf.input({ shape: [2] });
  const norm = tf.layers.batchNormalization({ momentum: 0 });
  const model = tf.model({ inputs: input, outputs: norm.apply(input) as SymbolicTensor });
  const values = fixedValues([6, 2], 5).map((v) => 4 * v);
  tf.dispose([tf.tidy(() => model.apply(tf.tensor2d(values, [6, 2]), { training: true }) as Tensor)]);
  const { mean, unbiased } = channelStatistics(values, 1);
  const [, , movingMean, movingVariance] = norm.getWeights().map((w) => w.dataSync()[1]!);
  assert.ok(Math.abs(movingMean! - mean) < 1e-6);
  assert.ok(
    Math.abs(movingVariance! - (unbiased * 5) / 6) < 1e-5,
    `moving variance ${movingVariance} vs biased ${(unbiased * 5) / 6}`,
  );
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
    const { value, grads } = tf.variableGrads(
      () => tf.sum(tf.square(model.apply(x, { training: true }) as Tensor)).asScalar(),
      variables,
    );
    tf.dispose([value, ...Object.values(grads)]);
  };
  step();
  const before = tf.memory().numTensors;
  for (let i = 0; i < 5; i++) step();
  assert.equal(tf.memory().numTensors, before);
  x.dispose();
  model.dispose();
});

test(
  "a convolution's bias goes through BiasAdd and its gradient through a per-channel sum, with the same values",
  needsNative(),
  () => {
    const x = tf.tensor4d(fixedValues([2, 5, 5, 3], 4), [2, 5, 5, 3]);
    const weights = tf.tensor4d(fixedValues([2, 5, 5, 4], 5), [2, 5, 5, 4]);
    const conv = (useBias: boolean) => {
      const layer = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', useBias, biasInitializer: 'ones' });
      layer.build([2, 5, 5, 3]);
      layer.setWeights([
        tf.tensor4d(fixedValues([3, 3, 3, 4], 6), [3, 3, 3, 4]),
        ...(useBias ? [tf.tensor1d([0.5, -1, 2, 0])] : []),
      ]);
      const variables = layer.trainableWeights.map((weight) => weight.read() as Variable);
      const { result: step, recording } = recordOps(tf.backend() as unknown as RecordableBackend, new Set(), () =>
        tf.variableGrads(
          () => tf.sum(tf.mul(layer.apply(x, { training: true }) as Tensor, weights)).asScalar(),
          variables,
        ),
      );
      const { value, grads } = step;
      const result = {
        ops: recording.ops.map(({ op }) => op),
        output: Array.from((layer.apply(x) as Tensor).dataSync()),
        loss: value.dataSync()[0]!,
        gradients: variables.map((variable) => Array.from(grads[variable.name]!.dataSync())),
      };
      tf.dispose([value, ...Object.values(grads)]);
      return result;
    };
    const biased = conv(true);
    const plain = conv(false);
    assert.ok(biased.ops.includes('BiasAdd') && biased.ops.includes('BiasAddGrad'), biased.ops.join(' '));
    // The broadcasting Add is gone; the one Sum left is the loss's.
    assert.deepEqual(
      biased.ops.filter((op) => op === 'Add' || op === 'Sum'),
      ['Sum'],
    );
    const bias = [0.5, -1, 2, 0];
    biased.output.forEach((value, i) =>
      assert.ok(Math.abs(value - plain.output[i]! - bias[i % 4]!) < 1e-5, `output ${i}`),
    );
    assert.deepEqual(biased.gradients[0], plain.gradients[0]);
    // d(loss)/d(bias[c]) is the sum of the weights over every position of channel c.
    const expected = [0, 1, 2, 3].map((c) =>
      Array.from(weights.dataSync()).reduce((sum, w, i) => (i % 4 === c ? sum + w : sum), 0),
    );
    biased.gradients[1]!.forEach((value, c) =>
      assert.ok(Math.abs(value - expected[c]!) < 1e-4, `bias ${c}: ${value} against ${expected[c]}`),
    );
    // Other reductions keep tfjs's Sum: over some axes, and with kept dimensions.
    assert.deepEqual(tf.sum(x, [0, 1]).shape, [5, 3]);
    assert.deepEqual(tf.sum(x, [0, 1, 2], true).shape, [1, 1, 1, 3]);
    tf.dispose([x, weights]);
  },
);
