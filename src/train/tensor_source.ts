/**
 * Batches from tensors held in memory, reshuffled each epoch with a seeded permutation: the source for cached
 * base features (frozen-base training) and for tests. Each batch is a fresh tensor the trainer disposes.
 */
import type { Tensor } from '@tensorflow/tfjs';
import { tf } from '../tf.ts';
import { seededPermutation } from '../random.ts';
import type { Batch, BatchSource } from './types.ts';

export interface TensorSourceOptions {
  batchSize: number;
  /** Reshuffle every epoch. Default false. */
  shuffle?: boolean;
  /** Seed of the shuffles; epoch e uses seed + e, so a resumed run sees the same order. Default 0. */
  seed?: number;
}

/**
 * A BatchSource over `x` and its targets (one per model output). The tensors stay the caller's.
 *
 * @example
 * const source = tensorSource(features, [labels], { batchSize: 32, shuffle: true, seed: 1 });
 */
export function tensorSource(x: Tensor, targets: readonly Tensor[], options: TensorSourceOptions): BatchSource {
  const n = x.shape[0];
  const batchSize = options.batchSize;
  return {
    batchCount: Math.ceil(n / batchSize),
    *batches(epoch: number): Iterable<Batch> {
      const order = options.shuffle === true ? seededPermutation(n, (options.seed ?? 0) + epoch) : null;
      for (let start = 0; start < n; start += batchSize) {
        const end = Math.min(n, start + batchSize);
        yield tf.tidy(() => {
          if (order === null)
            return { x: tf.slice(x, start, end - start), targets: targets.map((t) => tf.slice(t, start, end - start)) };
          const indices = tf.tensor1d(order.subarray(start, end), 'int32');
          return { x: tf.gather(x, indices), targets: targets.map((t) => tf.gather(t, indices)) };
        });
      }
    },
  };
}
