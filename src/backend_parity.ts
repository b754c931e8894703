/**
 * A fixed conv / batch-norm / dense network run forward and backward, printed as JSON, so that a test can run it
 * under PERCEPT_BACKEND=native and =js in two processes and compare (issue: same numbers on both backends).
 * Weights and inputs come from a closed formula, not a random generator, so both processes see identical values.
 */
import type { SymbolicTensor, Tensor, Variable } from '@tensorflow/tfjs';
import { tf } from './tf.ts';

export interface ParityProbe {
  backend: string;
  output: number[];
  loss: number;
  /** Weight name -> flattened gradient of the loss. */
  gradients: Record<string, number[]>;
}

function fixedValues(shape: number[], phase: number): Float32Array {
  const size = shape.reduce((a, b) => a * b, 1);
  return Float32Array.from({ length: size }, (_, i) => Math.sin(0.37 * i + phase) * 0.5);
}

/** Forward and backward pass of the fixed network; every tensor is disposed before returning. */
export function runParityProbe(): ParityProbe {
  // No conv bias before batch norm (as in keras.applications): its true gradient is zero, so only round-off would be compared.
  const input = tf.input({ shape: [8, 8, 3] });
  const conv = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', useBias: false, name: 'conv' }).apply(input) as SymbolicTensor;
  const norm = tf.layers.batchNormalization({ name: 'bn' }).apply(conv) as SymbolicTensor;
  const relu = tf.layers.activation({ activation: 'relu' }).apply(norm) as SymbolicTensor;
  const flat = tf.layers.flatten().apply(relu) as SymbolicTensor;
  const output = tf.layers.dense({ units: 3, activation: 'softmax', name: 'dense' }).apply(flat) as SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: output });
  model.weights.forEach((weight, index) => {
    const values = fixedValues(weight.shape as number[], index);
    // A variance must be positive for inference-mode batch norm.
    if (weight.originalName.endsWith('moving_variance')) values.forEach((value, i) => (values[i] = 1 + Math.abs(value)));
    weight.write(tf.tensor(values, weight.shape as number[]));
  });
  const x = tf.tensor4d(fixedValues([4, 8, 8, 3], 10), [4, 8, 8, 3]);
  const y = tf.oneHot(tf.tensor1d([0, 2, 1, 2], 'int32'), 3);
  const trainable = model.trainableWeights.map((weight) => weight.read() as Variable);
  const { value, grads } = tf.variableGrads(() => {
    // Training mode, so batch norm uses (and differentiates through) the batch statistics.
    const predicted = model.apply(x, { training: true }) as Tensor;
    return tf.mean(tf.neg(tf.sum(tf.mul(y, tf.log(predicted)), 1))).asScalar();
  }, trainable);
  const probe: ParityProbe = {
    backend: tf.getBackend(),
    output: tf.tidy(() => Array.from((model.predict(x) as Tensor).dataSync())),
    loss: value.dataSync()[0]!,
    gradients: Object.fromEntries(model.trainableWeights.map((weight, i) => [weight.originalName, Array.from(grads[trainable[i]!.name]!.dataSync())])),
  };
  tf.dispose([x, y, value, ...Object.values(grads)]);
  model.dispose();
  return probe;
}
