/**
 * VGG16 (Simonyan & Zisserman 2015) with keras.applications' layer names (keras/applications/vgg16.py):
 * five blocks of 3x3 ReLU convolutions and max-pooling; the ImageNet top is Flatten + fc1/fc2 (4096) + predictions,
 * 138,357,544 parameters at 224 px.
 */
import type { LayersModel } from '@tensorflow/tfjs';
import { tf } from '../tf.ts';
import { apply } from './layers.ts';
import { AUTO_NAMED_POOLING, globalPooling } from './top.ts';
import type { BuildOptions } from './types.ts';

/** [filters, convolutions] of blocks 1..5. */
const VGG16_BLOCKS: readonly (readonly [number, number])[] = [
  [64, 2],
  [128, 2],
  [256, 3],
  [512, 3],
  [512, 3],
];

export function vgg16(options: BuildOptions): LayersModel {
  const input = tf.input({ shape: [options.inputSize, options.inputSize, options.channels ?? 3], name: 'input_1' });
  let x = input;
  VGG16_BLOCKS.forEach(([filters, convolutions], index) => {
    const block = `block${index + 1}`;
    for (let n = 1; n <= convolutions; n++) {
      x = apply(
        tf.layers.conv2d({ filters, kernelSize: 3, padding: 'same', activation: 'relu', name: `${block}_conv${n}` }),
        x,
      );
    }
    x = apply(tf.layers.maxPooling2d({ poolSize: 2, strides: 2, name: `${block}_pool` }), x);
  });
  if (options.includeTop) {
    x = apply(tf.layers.flatten({ name: 'flatten' }), x);
    x = apply(tf.layers.dense({ units: 4096, activation: 'relu', name: 'fc1' }), x);
    x = apply(tf.layers.dense({ units: 4096, activation: 'relu', name: 'fc2' }), x);
    x = apply(tf.layers.dense({ units: options.classes ?? 1000, activation: 'softmax', name: 'predictions' }), x);
  } else {
    x = globalPooling(x, options.pooling, AUTO_NAMED_POOLING);
  }
  return tf.model({ inputs: input, outputs: x, name: 'vgg16' });
}
