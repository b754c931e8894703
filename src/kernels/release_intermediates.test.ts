import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { layers, LayersModel, SymbolicTensor, Tensor, Variable } from '@tensorflow/tfjs';
import { tf } from '../tf.ts';
import { fixedValues } from '../backend_parity.ts';

/** A residual block as ResNet's: conv, batch norm, ReLU, conv, batch norm, sum with the block's input, ReLU. */
function residualModel(): { model: LayersModel; layer: (name: string) => layers.Layer } {
  const input = tf.input({ shape: [6, 6, 3] });
  const conv = (name: string) => tf.layers.conv2d({ filters: 3, kernelSize: 3, padding: 'same', name });
  const stem = tf.layers.activation({ activation: 'relu', name: 'stem_relu' }).apply(conv('stem').apply(input));
  let x = conv('a').apply(stem) as SymbolicTensor;
  x = tf.layers.batchNormalization({ name: 'a_bn' }).apply(x) as SymbolicTensor;
  x = tf.layers.activation({ activation: 'relu', name: 'a_relu' }).apply(x) as SymbolicTensor;
  x = conv('b').apply(x) as SymbolicTensor;
  x = tf.layers.batchNormalization({ name: 'b_bn' }).apply(x) as SymbolicTensor;
  x = tf.layers.add({ name: 'sum' }).apply([x, stem as SymbolicTensor]) as SymbolicTensor;
  x = tf.layers.activation({ activation: 'relu', name: 'out_relu' }).apply(x) as SymbolicTensor;
  const pooled = tf.layers.globalAveragePooling2d({ name: 'pool' }).apply(x) as SymbolicTensor;
  const output = tf.layers.dense({ units: 2, name: 'dense', kernelInitializer: 'glorotUniform' }).apply(pooled);
  const model = tf.model({ inputs: input, outputs: output as SymbolicTensor });
  return { model, layer: (name) => model.getLayer(name) };
}

/** The same block called layer by layer (no model call, so nothing is freed early), with tfjs's own add. */
function byHand(layer: (name: string) => layers.Layer, x: Tensor): Tensor {
  const call = (name: string, input: Tensor) => layer(name).apply(input, { training: true }) as Tensor;
  const stem = call('stem_relu', call('stem', x));
  const branch = call('b_bn', call('b', call('a_relu', call('a_bn', call('a', stem)))));
  return call('dense', call('pool', call('out_relu', tf.add(branch, stem))));
}

/** Loss, gradients and the tensors left alive at the end of the forward pass (besides the weights and the batch). */
function step(model: LayersModel, forward: (x: Tensor) => Tensor, x: Tensor) {
  const variables = model.trainableWeights.map((weight) => weight.read() as Variable);
  let aliveAfterForward = 0;
  const before = tf.memory().numTensors;
  const { value, grads } = tf.variableGrads(() => {
    const loss = tf.sum(tf.square(forward(x))).asScalar();
    aliveAfterForward = tf.memory().numTensors - before;
    return loss;
  }, variables);
  const result = {
    loss: value.dataSync()[0],
    gradients: variables.map((variable) => Array.from(grads[variable.name]!.dataSync())),
    aliveAfterForward,
  };
  tf.dispose([value, ...Object.values(grads)]);
  return result;
}

test("a model's training call frees each intermediate after its last reader, with the same loss and gradients", () => {
  const { model, layer } = residualModel();
  const x = tf.tensor4d(fixedValues([2, 6, 6, 3], 1), [2, 6, 6, 3]);
  const reference = step(model, (input) => byHand(layer, input), x);
  const released = step(model, (input) => model.apply(input, { training: true }) as Tensor, x);
  // The batch-norm moving averages moved twice: the losses differ only through them, not at all for the forward pass
  // (training mode uses the batch's statistics), so both steps must agree exactly.
  assert.equal(released.loss, reference.loss);
  assert.deepEqual(released.gradients, reference.gradients);
  assert.ok(
    released.aliveAfterForward < reference.aliveAfterForward,
    `${released.aliveAfterForward} tensors alive after the released forward pass, ${reference.aliveAfterForward} by hand`,
  );
  x.dispose();
  model.dispose();
});

test('a model called outside training is left to tfjs-layers, and neither call leaks', () => {
  const { model } = residualModel();
  const x = tf.tensor4d(fixedValues([2, 6, 6, 3], 2), [2, 6, 6, 3]);
  const before = tf.memory().numTensors;
  const inference = model.apply(x) as Tensor;
  const training = model.apply(x, { training: true }) as Tensor;
  // One output each: everything else the calls made is gone.
  assert.equal(tf.memory().numTensors - before, 2);
  assert.deepEqual(inference.shape, [2, 2]);
  assert.deepEqual(training.shape, [2, 2]);
  tf.dispose([x, inference, training]);
  model.dispose();
});

test('the Add layer passes the gradient through to inputs of one shape and still broadcasts others', () => {
  const add = tf.layers.add({});
  const a = tf.tensor2d([
    [1, 2],
    [3, 4],
  ]);
  const b = tf.tensor2d([
    [10, 20],
    [30, 40],
  ]);
  const weights = tf.tensor2d([
    [1, -2],
    [3, 0.5],
  ]);
  const [da, db] = tf.grads((p: Tensor, q: Tensor) => tf.sum(tf.mul(add.apply([p, q]) as Tensor, weights)))([a, b]);
  assert.deepEqual(Array.from(da!.dataSync()), Array.from(weights.dataSync()));
  assert.deepEqual(Array.from(db!.dataSync()), Array.from(weights.dataSync()));
  const row = tf.tensor2d([[100, 200]]);
  assert.deepEqual(Array.from((add.apply([a, row]) as Tensor).dataSync()), [101, 202, 103, 204]);
  tf.dispose([a, b, weights, row, da!, db!]);
});
