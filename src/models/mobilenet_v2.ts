/**
 * MobileNetV2 (Sandler et al. 2018) with keras.applications' layer names, order and parameter counts
 * (keras/applications/mobilenet_v2.py), so that Keras weights load by name.
 */
import type { LayersModel } from '@tensorflow/tfjs';
import { tf } from '../tf.ts';
import { apply, batchNorm, channelsOf, correctPad, relu6, type Node } from './layers.ts';
import { AUTO_NAMED_POOLING, classifierTop, globalPooling } from './top.ts';
import type { BuildOptions } from './types.ts';

/** keras.applications' _make_divisible: round channels to a multiple of 8, never down by more than 10%. */
export function makeDivisible(value: number, divisor = 8): number {
  const rounded = Math.max(divisor, Math.floor((value + divisor / 2) / divisor) * divisor);
  return rounded < 0.9 * value ? rounded + divisor : rounded;
}

const BN = { epsilon: 1e-3, momentum: 0.999 };

function invertedResidualBlock(
  input: Node,
  filters: number,
  alpha: number,
  stride: number,
  expansion: number,
  blockId: number,
  zeroInitResidual: boolean,
): Node {
  const inChannels = channelsOf(input);
  const pointwiseFilters = makeDivisible(Math.trunc(filters * alpha));
  let prefix = `block_${blockId}_`;
  let x = input;
  if (blockId > 0) {
    x = apply(
      tf.layers.conv2d({
        filters: expansion * inChannels,
        kernelSize: 1,
        padding: 'same',
        useBias: false,
        name: `${prefix}expand`,
      }),
      x,
    );
    x = batchNorm(x, `${prefix}expand_BN`, BN);
    x = relu6(x, `${prefix}expand_relu`);
  } else {
    prefix = 'expanded_conv_';
  }
  if (stride === 2) x = apply(tf.layers.zeroPadding2d({ padding: correctPad(x, 3), name: `${prefix}pad` }), x);
  x = apply(
    tf.layers.depthwiseConv2d({
      kernelSize: 3,
      strides: stride,
      useBias: false,
      padding: stride === 1 ? 'same' : 'valid',
      name: `${prefix}depthwise`,
    }),
    x,
  );
  x = batchNorm(x, `${prefix}depthwise_BN`, BN);
  x = relu6(x, `${prefix}depthwise_relu`);
  x = apply(
    tf.layers.conv2d({
      filters: pointwiseFilters,
      kernelSize: 1,
      padding: 'same',
      useBias: false,
      name: `${prefix}project`,
    }),
    x,
  );
  const residual = inChannels === pointwiseFilters && stride === 1;
  x = batchNorm(x, `${prefix}project_BN`, { ...BN, zeroGamma: zeroInitResidual && residual });
  return residual ? apply(tf.layers.add({ name: `${prefix}add` }), [input, x]) : x;
}

/** [filters, stride, expansion] of blocks 0..16 (the paper's Table 2, expanded per repeat). */
const BLOCKS: readonly (readonly [number, number, number])[] = [
  [16, 1, 1],
  [24, 2, 6],
  [24, 1, 6],
  [32, 2, 6],
  [32, 1, 6],
  [32, 1, 6],
  [64, 2, 6],
  [64, 1, 6],
  [64, 1, 6],
  [64, 1, 6],
  [96, 1, 6],
  [96, 1, 6],
  [96, 1, 6],
  [160, 2, 6],
  [160, 1, 6],
  [160, 1, 6],
  [320, 1, 6],
];

/** Builds MobileNetV2; `alpha` 0.35-1.4 as in Keras. */
export function mobilenetV2(options: BuildOptions): LayersModel {
  const alpha = options.alpha ?? 1.0;
  const input = tf.input({ shape: [options.inputSize, options.inputSize, options.channels ?? 3], name: 'input_1' });
  let x = apply(
    tf.layers.conv2d({
      filters: makeDivisible(32 * alpha),
      kernelSize: 3,
      strides: 2,
      padding: 'same',
      useBias: false,
      name: 'Conv1',
    }),
    input,
  );
  x = batchNorm(x, 'bn_Conv1', BN);
  x = relu6(x, 'Conv1_relu');
  BLOCKS.forEach(([filters, stride, expansion], blockId) => {
    x = invertedResidualBlock(x, filters, alpha, stride, expansion, blockId, options.zeroInitResidual === true);
  });
  const lastFilters = alpha > 1.0 ? makeDivisible(1280 * alpha) : 1280;
  x = apply(tf.layers.conv2d({ filters: lastFilters, kernelSize: 1, useBias: false, name: 'Conv_1' }), x);
  x = batchNorm(x, 'Conv_1_bn', BN);
  x = relu6(x, 'out_relu');
  x = options.includeTop
    ? classifierTop(x, options.classes ?? 1000)
    : globalPooling(x, options.pooling, AUTO_NAMED_POOLING);
  return tf.model({ inputs: input, outputs: x, name: `mobilenetv2_${alpha.toFixed(2)}_${options.inputSize}` });
}
