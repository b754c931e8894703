/**
 * How a run predicts its val and test items once trained: batch after batch in inference mode, each output's rows
 * read back to JavaScript, from streamed images or from a frozen base's cached features alike. On the native backend
 * repeated batch shapes run as one traced TensorFlow function (src/train/traced_predict.ts), kept with the model
 * between calls. `percept bench`'s
 * predict cases time this same function.
 */
import type { LayersModel, Tensor } from '@tensorflow/tfjs';
import { tf } from '../tf.ts';
import { predictorFor } from '../train/traced_predict.ts';

/** The model's outputs for a set of items: their ids, and per output one row of numbers per item. */
export interface Outputs {
  ids: string[];
  values: number[][][];
}

/** One batch to predict: the ids of its items and the model's input for them. */
export interface InputBatch {
  ids: readonly string[];
  x: Tensor;
}

/**
 * Predicts every batch with `model` and collects the outputs in order. Each batch's `x` is disposed once predicted.
 *
 * @example
 * const { ids, values } = await predictBatches(model, tensorBatches(x, ids, 32));
 * values[0]![0]; // the first output's row (e.g. class probabilities) of ids[0]
 */
export async function predictBatches(
  model: LayersModel,
  batches: AsyncIterable<InputBatch> | Iterable<InputBatch>,
): Promise<Outputs> {
  const outputs: Outputs = { ids: [], values: [] };
  for await (const { ids, x } of batches) {
    let predicted: Tensor[];
    try {
      predicted = predictorFor(model).predict(x);
    } finally {
      x.dispose();
    }
    predicted.forEach((tensor, i) => {
      outputs.values[i] ??= [];
      outputs.values[i].push(...(tensor.arraySync() as number[][]));
    });
    outputs.ids.push(...ids);
    tf.dispose(predicted);
  }
  return outputs;
}

/**
 * Consecutive slices of `batchSize` rows of `x` with their ids, for `predictBatches`; `x` stays the caller's.
 *
 * @example
 * await predictBatches(model.head, tensorBatches(features, ids, 32));
 */
export function* tensorBatches(x: Tensor, ids: readonly string[], batchSize: number): Generator<InputBatch> {
  const rows = x.shape[0];
  for (let start = 0; start < rows; start += batchSize) {
    const size = Math.min(batchSize, rows - start);
    yield { ids: ids.slice(start, start + size), x: tf.slice(x, start, size) };
  }
}
