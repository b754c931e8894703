/**
 * Losses of the training loop. Models end in softmax (classification) or linear units (regression), as in Keras.
 * Cross-entropy of a softmax output is computed from its logits (src/train/forward.ts), as Keras 2.12 does through
 * the `_keras_logits` of its Softmax: log-softmax, no clipping. Only an output without logits (not a softmax layer)
 * falls back to Keras's clipped log of probabilities.
 * Regression targets may hold NaN where a label is missing or uncertain (AffectNet's -2): those entries are masked
 * out of the mean, so one batch can mix labelled and unlabelled items of a multi-task model (equal to Keras's MSE
 * when none is NaN).
 */
import type { Scalar, Tensor } from '@tensorflow/tfjs';
import { tf } from '../tf.ts';

export type LossName = 'sparse_categorical_crossentropy' | 'categorical_crossentropy' | 'mse';

/** One output of a forward pass: the prediction, and the logits before its softmax when it ends in one. */
export interface OutputValue {
  prediction: Tensor;
  logits: Tensor | undefined;
}

/** Keras's backend epsilon, used to clip probabilities before the log. */
const EPSILON = 1e-7;

function crossEntropy(oneHot: Tensor, output: OutputValue): Scalar {
  const logProbs =
    output.logits === undefined
      ? tf.log(tf.clipByValue(output.prediction, EPSILON, 1 - EPSILON))
      : tf.logSoftmax(output.logits);
  return tf.mean(tf.neg(tf.sum(tf.mul(oneHot, logProbs), -1)));
}

/** Mean squared error over the finite targets only; 0 when a batch has none. */
function maskedMse(target: Tensor, prediction: Tensor): Scalar {
  const mask = tf.logicalNot(tf.isNaN(target));
  const weights = tf.cast(mask, 'float32');
  const safe = tf.where(mask, target, tf.zerosLike(target));
  const squared = tf.mul(tf.square(tf.sub(prediction, safe)), weights);
  return tf.div(tf.sum(squared), tf.maximum(tf.sum(weights), 1));
}

/**
 * The loss between targets and a model output (call inside tf.tidy).
 *
 * @example
 * const value = tf.tidy(() => computeLoss('sparse_categorical_crossentropy', labels, forward(model, x, true)[0]!));
 */
export function computeLoss(name: LossName, target: Tensor, output: OutputValue): Scalar {
  switch (name) {
    case 'sparse_categorical_crossentropy':
      return crossEntropy(
        tf.oneHot(tf.cast(tf.reshape(target, [-1]), 'int32'), output.prediction.shape.at(-1)!),
        output,
      );
    case 'categorical_crossentropy':
      return crossEntropy(target, output);
    case 'mse':
      return maskedMse(target, output.prediction);
  }
}

/** The per-output metric the trainer logs: accuracy for classification, MAE (masked) for regression. */
export function batchMetric(name: LossName, target: Tensor, prediction: Tensor): { key: 'acc' | 'mae'; value: Scalar } {
  if (name === 'mse') {
    const mask = tf.logicalNot(tf.isNaN(target));
    const weights = tf.cast(mask, 'float32');
    const error = tf.mul(tf.abs(tf.sub(prediction, tf.where(mask, target, tf.zerosLike(target)))), weights);
    return { key: 'mae', value: tf.div(tf.sum(error), tf.maximum(tf.sum(weights), 1)) };
  }
  const labels =
    name === 'categorical_crossentropy' ? tf.argMax(target, -1) : tf.cast(tf.reshape(target, [-1]), 'int32');
  return { key: 'acc', value: tf.mean(tf.cast(tf.equal(tf.argMax(prediction, -1), labels), 'float32')) };
}
