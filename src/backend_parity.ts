/**
 * A fixed conv / batch-norm / ReLU6 / dense network run forward and backward, printed as JSON, so that tests can
 * run it in separate processes (native vs pure JS; fused vs composite kernels) and compare the numbers.
 * Weights and inputs come from a closed formula, not a random generator, so every process sees identical values.
 */
import type { SymbolicTensor, Tensor, Variable } from '@tensorflow/tfjs';
import { tf, backendInfo } from './tf.ts';

export interface ParityProbe {
  backend: string;
  fusedKernels: boolean;
  /** Inference-mode output after one training-mode pass (so moving statistics matter). */
  output: number[];
  loss: number;
  /** Weight name -> flattened gradient of the loss. */
  gradients: Record<string, number[]>;
  /** Moving mean/variance name -> values after the training-mode pass. */
  movingStatistics: Record<string, number[]>;
}

/** Deterministic pseudo-data in [-0.5, 0.5]: identical in every process and on every backend. */
export function fixedValues(shape: number[], phase: number): Float32Array {
  const size = shape.reduce((a, b) => a * b, 1);
  return Float32Array.from({ length: size }, (_, i) => Math.sin(0.37 * i + phase) * 0.5);
}

function buildProbeModel() {
  // No conv/dense bias before batch norm (as in keras.applications): its true gradient is zero, so only round-off
  // would be compared. One batch norm over conv features (rank 4), one over dense features (rank 2).
  const input = tf.input({ shape: [8, 8, 3] });
  let x = tf.layers
    .conv2d({ filters: 4, kernelSize: 3, padding: 'same', useBias: false, name: 'conv' })
    .apply(input) as SymbolicTensor;
  x = tf.layers.batchNormalization({ name: 'bn' }).apply(x) as SymbolicTensor;
  x = tf.layers.reLU({ maxValue: 6, name: 'relu6' }).apply(x) as SymbolicTensor;
  x = tf.layers.flatten().apply(x) as SymbolicTensor;
  x = tf.layers.dense({ units: 8, useBias: false, name: 'hidden' }).apply(x) as SymbolicTensor;
  x = tf.layers.batchNormalization({ name: 'bn_dense' }).apply(x) as SymbolicTensor;
  x = tf.layers.activation({ activation: 'relu' }).apply(x) as SymbolicTensor;
  const output = tf.layers.dense({ units: 3, activation: 'softmax', name: 'dense' }).apply(x) as SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: output });
  model.weights.forEach((weight, index) => {
    const values = fixedValues(weight.shape as number[], index);
    // A variance must be positive for inference-mode batch norm.
    if (weight.originalName.endsWith('moving_variance'))
      values.forEach((value, i) => (values[i] = 1 + Math.abs(value)));
    weight.write(tf.tensor(values, weight.shape as number[]));
  });
  return model;
}

/** Forward (training mode) and backward pass of the fixed network; every tensor is disposed before returning. */
export function runParityProbe(): ParityProbe {
  const model = buildProbeModel();
  const x = tf.tensor4d(fixedValues([4, 8, 8, 3], 10), [4, 8, 8, 3]);
  const y = tf.oneHot(tf.tensor1d([0, 2, 1, 2], 'int32'), 3);
  const trainable = model.trainableWeights.map((weight) => weight.read() as Variable);
  const { value, grads } = tf.variableGrads(() => {
    // Training mode: batch norm uses (and differentiates through) the batch statistics and updates its moving ones.
    const predicted = model.apply(x, { training: true }) as Tensor;
    return tf.mean(tf.neg(tf.sum(tf.mul(y, tf.log(predicted)), 1))).asScalar();
  }, trainable);
  const probe: ParityProbe = {
    backend: tf.getBackend(),
    fusedKernels: backendInfo.fusedKernels,
    output: tf.tidy(() => Array.from((model.predict(x) as Tensor).dataSync())),
    loss: value.dataSync()[0]!,
    gradients: Object.fromEntries(
      model.trainableWeights.map((weight, i) => [
        weight.originalName,
        Array.from(grads[trainable[i]!.name]!.dataSync()),
      ]),
    ),
    movingStatistics: Object.fromEntries(
      model.weights
        .filter((weight) => weight.originalName.includes('moving_'))
        .map((weight) => [weight.originalName, Array.from(weight.read().dataSync())]),
    ),
  };
  tf.dispose([x, y, value, ...Object.values(grads)]);
  model.dispose();
  return probe;
}
