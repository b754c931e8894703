/**
 * DenseNet121 (Huang et al. 2017) with keras.applications' layer names (keras/applications/densenet.py):
 * dense blocks of BN-ReLU-1x1-BN-ReLU-3x3 conv blocks (growth rate 32) joined by concatenation, transition blocks
 * halving channels and size; 8,062,504 parameters with the ImageNet top.
 */
import type { LayersModel } from '@tensorflow/tfjs';
import { tf } from '../tf.ts';
import { apply, batchNorm, channelsOf, type Node } from './layers.ts';
import { globalPooling, NAMED_POOLING } from './top.ts';
import type { BuildOptions } from './types.ts';

const EPSILON = 1.001e-5;
const GROWTH_RATE = 32;

/** BatchNormalization + ReLU named `<prefix>bn` / `<prefix>relu` (Keras's final pair has no prefix). */
function bnRelu(x: Node, prefix: string): Node {
  return apply(
    tf.layers.activation({ activation: 'relu', name: `${prefix}relu` }),
    batchNorm(x, `${prefix}bn`, { epsilon: EPSILON }),
  );
}

function convBlock(x: Node, name: string): Node {
  let y = bnRelu(x, `${name}_0_`);
  y = apply(tf.layers.conv2d({ filters: 4 * GROWTH_RATE, kernelSize: 1, useBias: false, name: `${name}_1_conv` }), y);
  y = bnRelu(y, `${name}_1_`);
  y = apply(
    tf.layers.conv2d({ filters: GROWTH_RATE, kernelSize: 3, padding: 'same', useBias: false, name: `${name}_2_conv` }),
    y,
  );
  return apply(tf.layers.concatenate({ axis: -1, name: `${name}_concat` }), [x, y]);
}

function transitionBlock(x: Node, name: string): Node {
  let y = bnRelu(x, `${name}_`);
  y = apply(
    tf.layers.conv2d({ filters: Math.trunc(channelsOf(y) * 0.5), kernelSize: 1, useBias: false, name: `${name}_conv` }),
    y,
  );
  return apply(tf.layers.averagePooling2d({ poolSize: 2, strides: 2, name: `${name}_pool` }), y);
}

/** Conv blocks per dense block (DenseNet121). */
const DENSENET121_BLOCKS = [6, 12, 24, 16] as const;

export function densenet121(options: BuildOptions): LayersModel {
  const input = tf.input({ shape: [options.inputSize, options.inputSize, options.channels ?? 3], name: 'input_1' });
  // Keras leaves the two paddings unnamed, so they get Keras's automatic names.
  let x = apply(tf.layers.zeroPadding2d({ padding: 3, name: 'zero_padding2d' }), input);
  x = apply(tf.layers.conv2d({ filters: 64, kernelSize: 7, strides: 2, useBias: false, name: 'conv1/conv' }), x);
  x = apply(
    tf.layers.activation({ activation: 'relu', name: 'conv1/relu' }),
    batchNorm(x, 'conv1/bn', { epsilon: EPSILON }),
  );
  x = apply(tf.layers.zeroPadding2d({ padding: 1, name: 'zero_padding2d_1' }), x);
  x = apply(tf.layers.maxPooling2d({ poolSize: 3, strides: 2, name: 'pool1' }), x);
  DENSENET121_BLOCKS.forEach((blocks, index) => {
    const stage = index + 2;
    for (let block = 1; block <= blocks; block++) x = convBlock(x, `conv${stage}_block${block}`);
    if (index < DENSENET121_BLOCKS.length - 1) x = transitionBlock(x, `pool${stage}`);
  });
  x = bnRelu(x, '');
  if (options.includeTop) {
    x = apply(tf.layers.globalAveragePooling2d({ name: 'avg_pool' }), x);
    x = apply(tf.layers.dense({ units: options.classes ?? 1000, activation: 'softmax', name: 'predictions' }), x);
  } else {
    x = globalPooling(x, options.pooling, NAMED_POOLING);
  }
  return tf.model({ inputs: input, outputs: x, name: 'densenet121' });
}
