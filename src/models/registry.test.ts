/**
 * One test over the whole architecture registry (DESIGN.md §6): adding an architecture adds its checks.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Tensor } from '@tensorflow/tfjs';
import { tf } from '../tf.ts';
import { UserError } from '../errors.ts';
import { ARCHITECTURES, buildArchitecture } from './index.ts';

const CLASSES = 5;

for (const spec of ARCHITECTURES) {
  const recurrent = spec.family === 'recurrent';
  // Small inputs: 32 px images (the Keras minimum of the ImageNet models), 12-step series.
  const size = recurrent ? 12 : Math.max(32, spec.minInput);
  const inputShape = recurrent ? [2, size, spec.channels] : [2, size, size, spec.channels];

  test(`${spec.name}: builds at ${size}, predicts the right shape without NaN, with and without top; same seed, same weights`, () => {
    const tensors = tf.memory().numTensors;
    const x = tf.randomUniform(inputShape, 0, recurrent ? 1 : 255, 'float32', 1);
    for (const includeTop of [true, false]) {
      const model = buildArchitecture(spec.name, { inputSize: size, includeTop, classes: CLASSES, seed: 1 });
      const y = model.predict(x) as Tensor;
      assert.equal(y.shape[0], 2);
      if (includeTop) assert.deepEqual(y.shape, [2, CLASSES]);
      else assert.equal(y.shape.length, recurrent ? 2 : 4, `${spec.name} without top: ${JSON.stringify(y.shape)}`);
      const values = y.dataSync();
      assert.ok(values.every(Number.isFinite), `${spec.name}: NaN or Infinity in its output`);
      if (includeTop && !recurrent) {
        // Softmax classifiers: every row sums to 1.
        const sums = tf.tidy(() => tf.sum(y, 1).dataSync());
        for (const sum of sums) assert.ok(Math.abs(sum - 1) < 1e-4);
      }
      y.dispose();
      if (!includeTop) {
        const again = buildArchitecture(spec.name, { inputSize: size, includeTop, seed: 1 });
        const first = model.weights[0]!.read();
        assert.deepEqual(again.weights[0]!.read().dataSync(), first.dataSync(), `${spec.name}: seeded builds differ`);
        again.dispose();
      }
      model.dispose();
    }
    x.dispose();
    assert.equal(tf.memory().numTensors, tensors, `${spec.name}: tensors left behind`);
  });
}

test('an input below the architecture minimum is a user error naming the field and the minimum', () => {
  for (const spec of ARCHITECTURES) {
    assert.throws(() => buildArchitecture(spec.name, { inputSize: spec.minInput - 1, includeTop: false }), (error: unknown) => error instanceof UserError && error.message.includes('model.inputSize') && error.message.includes(String(spec.minInput)));
  }
  assert.throws(() => buildArchitecture('resnet', { inputSize: 32, includeTop: false }), /unknown architecture 'resnet'\. Valid: .*resnet50/);
});
