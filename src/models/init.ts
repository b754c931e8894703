/**
 * Seeded initial weights. tfjs initializers ignore their `seed` (tfjs#7104), so a seeded build rewrites every random
 * weight itself with Keras's default initializer for it: glorot-uniform kernels (Conv2D, DepthwiseConv2D, Dense) and
 * orthogonal recurrent kernels; everything else keeps its constant initial value (zeros, ones).
 */
import type { LayersModel, Rank, Tensor } from '@tensorflow/tfjs';
import { tf } from '../tf.ts';

/** Keras's fan computation (keras/initializers/initializers.py `_compute_fans`). */
export function computeFans(shape: readonly number[]): { fanIn: number; fanOut: number } {
  if (shape.length === 1) return { fanIn: shape[0]!, fanOut: shape[0]! };
  if (shape.length === 2) return { fanIn: shape[0]!, fanOut: shape[1]! };
  const receptiveField = shape.slice(0, -2).reduce((a, b) => a * b, 1);
  return { fanIn: shape[shape.length - 2]! * receptiveField, fanOut: shape[shape.length - 1]! * receptiveField };
}

function glorotUniform(shape: number[], seed: number): Tensor {
  const { fanIn, fanOut } = computeFans(shape);
  const limit = Math.sqrt(6 / (fanIn + fanOut));
  return tf.randomUniform(shape, -limit, limit, 'float32', seed);
}

function orthogonal(shape: number[], seed: number): Tensor {
  return tf.tidy(() => {
    const [rows, columns] = shape as [number, number];
    const flat = tf.randomNormal<Rank.R2>([Math.max(rows, columns), Math.min(rows, columns)], 0, 1, 'float32', seed);
    const [q] = tf.linalg.qr(flat);
    return (rows < columns ? q.transpose() : q).reshape(shape);
  });
}

const SEEDED_WEIGHTS: readonly [RegExp, (shape: number[], seed: number) => Tensor][] = [
  [/(^|\/)recurrent_kernel$/, orthogonal],
  [/(^|\/)(kernel|depthwise_kernel)$/, glorotUniform],
];

/**
 * Rewrites every random weight of `model` from `seed` (one derived seed per weight, in weight order).
 *
 * @example
 * seedWeights(model, 42); // identical weights for every build with seed 42
 */
export function seedWeights(model: LayersModel, seed: number): void {
  model.weights.forEach((weight, index) => {
    const initializer = SEEDED_WEIGHTS.find(([pattern]) => pattern.test(weight.originalName))?.[1];
    if (initializer === undefined) return;
    // A large odd stride keeps the per-weight seeds of different run seeds apart.
    const value = initializer(weight.shape as number[], seed * 100_003 + index);
    weight.write(value);
    value.dispose();
  });
}
