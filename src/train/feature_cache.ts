/**
 * Frozen-base speed-up: when the base is frozen and inputs are not augmented, the base maps each image to the same
 * features in every epoch, so they are computed once and the head trains on them (what Keras's plain `fit` redoes
 * every epoch). Frozen batch norm runs in inference mode either way (Keras semantics), so results are unchanged.
 */
import type { LayersModel, Tensor } from '@tensorflow/tfjs';
import { tf } from '../tf.ts';
import { predictorFor } from './traced_predict.ts';

/**
 * True when the features of an image cannot change during training: base frozen for the whole run, no augmentation.
 *
 * @example
 * canCacheFeatures({ freeze: 'base', augmented: false, stages: undefined }); // true
 */
export function canCacheFeatures(options: {
  freeze: unknown;
  augmented: boolean;
  stages?: readonly { trainableTop?: number }[] | undefined;
}): boolean {
  const stagesKeepBase = (options.stages ?? []).every((stage) => (stage.trainableTop ?? 0) === 0);
  return options.freeze === 'base' && !options.augmented && stagesKeepBase;
}

/**
 * The base's outputs for `inputs` (already preprocessed), computed in batches in inference mode (one traced
 * function per batch shape on the native backend).
 *
 * @example
 * const features = extractFeatures(base, images, 64); // [n, 3, 3, 1280] for MobileNetV2 at 96 px
 */
export function extractFeatures(base: LayersModel, inputs: Tensor, batchSize: number): Tensor {
  const n = inputs.shape[0];
  const parts: Tensor[] = [];
  for (let start = 0; start < n; start += batchSize) {
    const slice = tf.slice(inputs, start, Math.min(batchSize, n - start));
    parts.push(predictorFor(base).predict(slice)[0]!);
    slice.dispose();
  }
  const features = parts.length === 1 ? parts[0]! : tf.concat(parts);
  if (parts.length > 1) tf.dispose(parts);
  return features;
}
