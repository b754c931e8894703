/**
 * The forward pass of training and evaluation, which keeps the logits of every output whose last layer applies
 * softmax, so that cross-entropy is computed from them as Keras does: Keras's backend takes the `_keras_logits`
 * that its Softmax activation attaches to its output and calls softmax cross-entropy with logits, instead of taking
 * the log of clipped probabilities (which clips at 1e-7 and loses precision for confident predictions).
 * The output layer runs linearly for the pass and softmax is applied after it; what the model predicts is unchanged.
 */
import type { LayersModel, Tensor } from '@tensorflow/tfjs';
import { tf } from '../tf.ts';
import type { OutputValue } from './losses.ts';

/** The part of a tfjs layer with an activation (Dense, Conv2D, Activation) that the pass swaps. */
interface WithActivation {
  activation?: { apply(x: Tensor): Tensor; getClassName(): string };
}

const LINEAR = { apply: (x: Tensor) => x, getClassName: () => 'linear' };

/** A model's output as a list, whether it has one output or several. */
export function asArray(value: Tensor | Tensor[]): Tensor[] {
  return Array.isArray(value) ? value : [value];
}

/**
 * Runs `model` on `x` (training mode or not) and returns each output's prediction, with its logits where the output
 * layer ends in softmax. Call inside tf.tidy or dispose the tensors.
 *
 * @example
 * const outputs = forward(model, batch.x, true);
 * const loss = computeLoss('sparse_categorical_crossentropy', labels, outputs[0]!);
 */
export function forward(model: LayersModel, x: Tensor, training: boolean): OutputValue[] {
  // A Sequential model lists its output layers only once built, which tfjs does at its first call: build it now, so
  // that the first call swaps the softmax as later ones do (a traced step compares the first two steps' ops).
  if (model instanceof tf.Sequential && !model.built) model.build();
  const layers = model.outputLayers as unknown as WithActivation[];
  const softmax = layers.map((layer) => layer.activation?.getClassName() === 'softmax');
  const swapped = layers.filter((_, i) => softmax[i]!);
  const saved = swapped.map((layer) => layer.activation);
  for (const layer of swapped) layer.activation = LINEAR;
  let raw: Tensor[];
  try {
    raw = asArray(model.apply(x, { training }) as Tensor | Tensor[]);
  } finally {
    swapped.forEach((layer, i) => {
      layer.activation = saved[i];
    });
  }
  return raw.map((value, i) =>
    softmax[i]! ? { prediction: tf.softmax(value), logits: value } : { prediction: value, logits: undefined },
  );
}
