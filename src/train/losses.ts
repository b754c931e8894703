/**
 * Losses of the training loop. Models end in softmax (classification) or linear units (regression), as in Keras.
 * Regression targets may hold NaN where a label is missing or uncertain (AffectNet's -2): those entries are masked
 * out of the mean, so one batch can mix labelled and unlabelled items of a multi-task model.
 */
import type { Scalar, Tensor } from '@tensorflow/tfjs';
import { tf } from '../tf.ts';

export type LossName = 'sparse_categorical_crossentropy' | 'categorical_crossentropy' | 'mse';

/** Keras's backend epsilon, used to clip probabilities before the log. */
const EPSILON = 1e-7;

function crossEntropy(oneHot: Tensor, probs: Tensor): Scalar {
  const clipped = tf.clipByValue(probs, EPSILON, 1 - EPSILON);
  return tf.mean(tf.neg(tf.sum(tf.mul(oneHot, tf.log(clipped)), -1)));
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
 * The loss between targets and predictions (call inside tf.tidy).
 *
 * @example
 * const value = tf.tidy(() => computeLoss('sparse_categorical_crossentropy', labels, probs));
 */
export function computeLoss(name: LossName, target: Tensor, prediction: Tensor): Scalar {
  switch (name) {
    case 'sparse_categorical_crossentropy':
      return crossEntropy(tf.oneHot(tf.cast(tf.reshape(target, [-1]), 'int32'), prediction.shape.at(-1)!), prediction);
    case 'categorical_crossentropy':
      return crossEntropy(target, prediction);
    case 'mse':
      return maskedMse(target, prediction);
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
  const labels = name === 'categorical_crossentropy' ? tf.argMax(target, -1) : tf.cast(tf.reshape(target, [-1]), 'int32');
  return { key: 'acc', value: tf.mean(tf.cast(tf.equal(tf.argMax(prediction, -1), labels), 'float32')) };
}
