/**
 * The head on top of a base without its top: pooling (keras.applications' `pooling='avg'|'max'`, or flatten), dense
 * layers with optional batch norm / LeakyReLU and dropout, one output layer per task. Also the head as a model of
 * its own, on inputs shaped like the base's output and sharing the head's weights, so that a frozen base's features
 * can be computed once and the head trained on them (src/train/feature_cache.ts).
 *
 * Pooling is the head's first layer, not the base's last: the numbers are the same (a pooling layer has no weights),
 * but a freeze's trainableTop then counts the base's layers as Keras's `base.layers[-N:]` does.
 */
import type { LayersModel, SymbolicTensor } from '@tensorflow/tfjs';
import { tf } from '../tf.ts';

/** One output of the head: its layer name, units and activation. */
export interface HeadOutput {
  name: string;
  units: number;
  activation: 'softmax' | 'linear';
}

export interface HeadOptions {
  /** How [h, w, c] feature maps reach the dense layers: global average or max pooling, or flatten. */
  pooling: 'avg' | 'max' | 'flatten';
  /** Units of each dense layer, in order. */
  dense: readonly number[];
  /** BatchNorm (Keras's defaults) after each dense layer, before its activation. */
  batchNorm: boolean;
  activation: 'relu' | 'leaky_relu';
  /** Dropout rate after each dense layer; 0 for none. */
  dropout: number;
  outputs: readonly HeadOutput[];
}

/**
 * The head's output tensors on `features` (the base's output), one per `options.outputs`.
 *
 * @example
 * const outputs = buildHead(base.outputs[0]!, { pooling: 'avg', dense: [256], batchNorm: false, activation: 'relu', dropout: 0.3, outputs: [{ name: 'classification', units: 8, activation: 'softmax' }] });
 */
export function buildHead(features: SymbolicTensor, options: HeadOptions): SymbolicTensor[] {
  let x = features;
  if (x.shape.length === 4 && options.pooling === 'avg')
    x = tf.layers.globalAveragePooling2d({ name: 'head_pool' }).apply(x) as SymbolicTensor;
  else if (x.shape.length === 4 && options.pooling === 'max')
    x = tf.layers.globalMaxPooling2d({ name: 'head_pool' }).apply(x) as SymbolicTensor;
  else if (x.shape.length > 2) x = tf.layers.flatten({ name: 'head_flatten' }).apply(x) as SymbolicTensor;
  options.dense.forEach((units, i) => {
    const n = i + 1;
    const plain = options.activation === 'relu' && !options.batchNorm;
    x = tf.layers
      .dense({ units, activation: plain ? 'relu' : 'linear', name: `head_dense_${n}` })
      .apply(x) as SymbolicTensor;
    if (options.batchNorm)
      x = tf.layers
        .batchNormalization({ epsilon: 1e-3, momentum: 0.99, name: `head_bn_${n}` })
        .apply(x) as SymbolicTensor;
    if (!plain) {
      // Keras's LeakyReLU default slope (0.3); tfjs's is the same.
      const activation =
        options.activation === 'leaky_relu'
          ? tf.layers.leakyReLU({ alpha: 0.3, name: `head_act_${n}` })
          : tf.layers.activation({ activation: 'relu', name: `head_act_${n}` });
      x = activation.apply(x) as SymbolicTensor;
    }
    if (options.dropout > 0)
      x = tf.layers.dropout({ rate: options.dropout, name: `head_dropout_${n}` }).apply(x) as SymbolicTensor;
  });
  return options.outputs.map(
    (output) =>
      tf.layers
        .dense({ units: output.units, activation: output.activation, name: output.name })
        .apply(x) as SymbolicTensor,
  );
}

/**
 * `model`'s layers above `base` applied to a new input shaped like the base's output: the head alone, sharing its
 * weights with `model`. `outputNames` are the head's output layers.
 */
export function headModel(model: LayersModel, base: LayersModel, outputNames: readonly string[]): LayersModel {
  const baseLayers = new Set(base.layers);
  const headLayers = model.layers.filter((layer) => !baseLayers.has(layer));
  const headInput = tf.input({ shape: base.outputs[0]!.shape.slice(1), name: 'head_input' });
  let x: SymbolicTensor = headInput;
  const headOutputs: SymbolicTensor[] = [];
  const outputLayers = new Set(outputNames);
  for (const layer of headLayers) {
    const y = layer.apply(x) as SymbolicTensor;
    if (outputLayers.has(layer.name)) headOutputs.push(y);
    else x = y;
  }
  return tf.model({ inputs: headInput, outputs: headOutputs, name: 'head' });
}

/** Sets the momentum of every BatchNormalization layer (what src/kernels/batch_norm.ts trains with and getConfig saves). */
export function setBatchNormMomentum(model: LayersModel, momentum: number): void {
  for (const layer of model.layers) {
    if (layer.getClassName() === 'BatchNormalization') (layer as unknown as { momentum: number }).momentum = momentum;
  }
}
