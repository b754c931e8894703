import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Tensor, Variable } from '@tensorflow/tfjs';
import { tf } from '../tf.ts';
import { fixedValues } from '../backend_parity.ts';
import { releaseDuringBackprop } from './backprop_release.ts';

/** A deep chain of activations whose upstream gradients tfjs would keep until the end of backprop. */
function chain(x: Tensor, weights: Variable[]): Tensor {
  let h = x;
  for (const weight of weights) h = tf.relu(tf.matMul(h, weight));
  // h is read three times: its gradient is accumulated from three, which tfjs adds up as backprop reaches each.
  return tf.sum(tf.add(tf.mul(h, h), tf.tanh(h)));
}

async function gradientsAndPeak(release: boolean) {
  const x = tf.tensor2d(fixedValues([64, 32], 1), [64, 32]);
  const weights = Array.from({ length: 12 }, (_, i) =>
    tf.tidy(() => tf.variable(tf.tensor2d(fixedValues([32, 32], i + 2), [32, 32]), true, `w${i}_${release}`)),
  );
  let gradients: number[][] = [];
  const profile = await tf.profile(() => {
    const { value, grads } = tf.variableGrads(() => {
      const loss = chain(x, weights).asScalar();
      if (release) releaseDuringBackprop();
      return loss;
    }, weights);
    gradients = weights.map((weight) => Array.from(grads[weight.name]!.dataSync()));
    tf.dispose([value, ...Object.values(grads)]);
  });
  tf.dispose([x, ...weights]);
  return { gradients, peakBytes: profile.peakBytes };
}

test('releasing during backprop gives the same gradients with a lower peak of live tensors', async () => {
  const before = tf.memory().numTensors;
  const plain = await gradientsAndPeak(false);
  const released = await gradientsAndPeak(true);
  assert.deepEqual(released.gradients, plain.gradients);
  assert.ok(
    released.peakBytes < plain.peakBytes,
    `peak ${released.peakBytes} bytes released, ${plain.peakBytes} plain`,
  );
  assert.equal(tf.memory().numTensors, before);
});
