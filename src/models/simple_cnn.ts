/**
 * percept's small CNN: two VGG-style blocks (conv-BN-ReLU x2, max-pool, dropout) and a dense classifier.
 * The usual small-CNN recipe behind the 91-93% Fashion-MNIST results; built for small inputs (28-64 px). Without its
 * top it takes Keras's `pooling` ('avg_pool' / 'max_pool' after block2_dropout) as keras.applications' models do.
 */
import type { LayersModel } from '@tensorflow/tfjs';
import { tf } from '../tf.ts';
import { apply, batchNorm, type Node } from './layers.ts';
import { globalPooling, NAMED_POOLING } from './top.ts';
import type { BuildOptions } from './types.ts';

function convBlock(input: Node, filters: number, block: number): Node {
  let x = input;
  for (const index of [1, 2]) {
    x = apply(
      tf.layers.conv2d({ filters, kernelSize: 3, padding: 'same', useBias: false, name: `block${block}_conv${index}` }),
      x,
    );
    x = batchNorm(x, `block${block}_bn${index}`);
    x = apply(tf.layers.activation({ activation: 'relu', name: `block${block}_relu${index}` }), x);
  }
  x = apply(tf.layers.maxPooling2d({ poolSize: 2, name: `block${block}_pool` }), x);
  return apply(tf.layers.dropout({ rate: 0.25, name: `block${block}_dropout` }), x);
}

export function simpleCnn(options: BuildOptions): LayersModel {
  const input = tf.input({ shape: [options.inputSize, options.inputSize, options.channels ?? 1], name: 'input_1' });
  let x = convBlock(input, 32, 1);
  x = convBlock(x, 64, 2);
  if (options.includeTop) {
    x = apply(tf.layers.flatten({ name: 'flatten' }), x);
    x = apply(tf.layers.dense({ units: 128, activation: 'relu', name: 'fc1' }), x);
    x = apply(tf.layers.dropout({ rate: 0.5, name: 'fc1_dropout' }), x);
    x = apply(tf.layers.dense({ units: options.classes ?? 10, activation: 'softmax', name: 'predictions' }), x);
  } else {
    // Not a keras.applications model: `pooling` follows their convention, with the names ResNet and DenseNet give it.
    x = globalPooling(x, options.pooling, NAMED_POOLING);
  }
  return tf.model({ inputs: input, outputs: x, name: 'simple_cnn' });
}
