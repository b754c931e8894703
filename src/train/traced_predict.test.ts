/**
 * The traced predictor (src/train/traced_predict.ts) against `model.predict`: every architecture of the zoo predicts
 * the same through the replayed function as eagerly; a shape seen once is not traced; new weights are never answered
 * from a function recorded with the old ones; nothing leaks; a model's kept predictor carries its traces from one
 * call to the next, for a bounded number of models.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LayersModel, Tensor } from '@tensorflow/tfjs';
import { tf } from '../tf.ts';
import { needsNative } from '../testing.ts';
import { ARCHITECTURES, buildArchitecture } from '../models/index.ts';
import { seedWeights } from '../models/init.ts';
import { predictorFor, TracedPredictor } from './traced_predict.ts';
import { predictBatches, tensorBatches } from '../runs/predict_batches.ts';

/**
 * Grappler may fold batch norm into the convolution and fuse bias and activation, which reorders float32 arithmetic:
 * the traced outputs equal eager ones to round-off, not bit for bit.
 */
const TOLERANCE = 1e-5;

function largestDifference(a: Tensor, b: Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);
}

/** Predicts each input with a fresh predictor and with model.predict; returns the largest difference and the predictor. */
function compare(model: LayersModel, inputs: readonly Tensor[]): { worst: number; predictor: TracedPredictor } {
  const predictor = new TracedPredictor(model);
  let worst = 0;
  for (const x of inputs) {
    const traced = predictor.predict(x);
    const eager = model.predict(x);
    const eagerList = Array.isArray(eager) ? eager : [eager];
    assert.equal(traced.length, eagerList.length);
    traced.forEach((output, i) => {
      assert.deepEqual(output.shape, eagerList[i]!.shape);
      worst = Math.max(worst, largestDifference(output, eagerList[i]!));
    });
    tf.dispose([...traced, ...eagerList]);
  }
  return { worst, predictor };
}

for (const spec of ARCHITECTURES) {
  test(`${spec.name}: predictions replayed from the traced function equal model.predict`, needsNative(), (t) => {
    const recurrent = spec.family === 'recurrent';
    const size = recurrent ? 6 : Math.max(spec.minInput, 32);
    const channels = recurrent ? 2 : spec.channels;
    const model = buildArchitecture(spec.name, { inputSize: size, channels, includeTop: true, classes: 3, seed: 1 });
    const shape = (n: number): number[] => (recurrent ? [n, size, channels] : [n, size, size, channels]);
    // Batches of 4, 4, 4, then a partial 3: the second 4 is recorded, the third replays, the 3 (seen once) runs eagerly.
    const inputs = [4, 4, 4, 3].map((n, i) => tf.randomNormal(shape(n), 0, 1, 'float32', 20 + i));
    const { worst, predictor } = compare(model, inputs);
    t.diagnostic(`largest traced-eager difference in an output: ${worst}`);
    assert.equal(predictor.eagerReason, undefined);
    assert.equal(predictor.replays, 1);
    assert.ok(worst <= TOLERANCE, `largest difference in an output: ${worst}`);
    predictor.dispose();
    tf.dispose(inputs);
    model.dispose();
  });
}

test('new weights are never answered from a function recorded with the old ones', needsNative(), () => {
  const model = buildArchitecture('simple_cnn', { inputSize: 28, includeTop: true, classes: 4, seed: 1 });
  const x = tf.randomUniform([5, 28, 28, 1], 0, 1, 'float32', 3);
  const predictor = new TracedPredictor(model);
  tf.dispose([...predictor.predict(x), ...predictor.predict(x), ...predictor.predict(x)]);
  assert.equal(predictor.replays, 1);
  seedWeights(model, 9);
  const expected = model.predict(x) as Tensor;
  const [after] = predictor.predict(x);
  assert.ok(largestDifference(after!, expected) <= TOLERANCE, 'the predictor answered with the old weights');
  // The shape was seen before, so the new weights were recorded at once, and the next batch replays them.
  const [replayed] = predictor.predict(x);
  assert.equal(predictor.replays, 2);
  assert.ok(largestDifference(replayed!, expected) <= TOLERANCE);
  tf.dispose([after!, replayed!, expected, x]);
  predictor.dispose();
  model.dispose();
});

test('replayed predictions hold no tensor beyond the outputs the caller disposes', needsNative(), () => {
  const model = buildArchitecture('mobilenet_v3_small', { inputSize: 32, includeTop: true, classes: 3, seed: 1 });
  const x = tf.randomUniform([2, 32, 32, 3], 0, 1, 'float32', 4);
  const predictor = new TracedPredictor(model);
  tf.dispose([...predictor.predict(x), ...predictor.predict(x)]);
  const before = tf.memory().numTensors;
  for (let i = 0; i < 3; i++) tf.dispose(predictor.predict(x));
  assert.equal(tf.memory().numTensors, before);
  assert.equal(predictor.replays, 3);
  predictor.dispose();
  x.dispose();
  model.dispose();
});

test(
  "predictBatches keeps the model's traced function from one call to the next, for the two latest models",
  needsNative(),
  async () => {
    const models = [1, 2, 3].map((seed) =>
      buildArchitecture('simple_cnn', { inputSize: 28, includeTop: true, classes: 4, seed }),
    );
    const x = tf.randomUniform([8, 28, 28, 1], 0, 1, 'float32', 5);
    const ids = Array.from({ length: 8 }, (_, i) => String(i));
    const [first, second, third] = models as [LayersModel, LayersModel, LayersModel];
    // Two batches of 4: the first runs eagerly, the second is recorded; the next call replays both.
    await predictBatches(first, tensorBatches(x, ids, 4));
    assert.equal(predictorFor(first).replays, 0);
    const again = await predictBatches(first, tensorBatches(x, ids, 4));
    assert.equal(predictorFor(first).replays, 2);
    const expected = first.predict(x) as Tensor;
    const replayed = tf.tensor(again.values[0]!);
    assert.ok(largestDifference(replayed, expected) <= TOLERANCE);
    // Two more models evict the least recently used (the first): its next call starts from a fresh predictor.
    await predictBatches(second, tensorBatches(x, ids, 4));
    await predictBatches(third, tensorBatches(x, ids, 4));
    assert.equal(predictorFor(first).replays, 0);
    tf.dispose([x, expected, replayed]);
    for (const model of models) model.dispose();
  },
);
