/**
 * ResNets from one family builder and a typed stage table (as keras/applications/resnet.py builds them):
 * - `resnet50`: keras.applications.ResNet50 — bottleneck blocks, convolutions with bias, BN epsilon 1.001e-5,
 *   Keras's layer names (`conv2_block1_1_conv` …), 25,636,712 parameters with the ImageNet top;
 * - `resnet18`: torchvision's resnet18 layout (He et al. 2016, Table 1) — basic blocks, no conv bias, BN epsilon
 *   1e-5, symmetric padding before stride-2 convolutions as PyTorch pads — named in Keras's scheme; its trainable
 *   parameters equal torchvision's 11,689,512 with the 1000-class top (moving BN statistics are buffers there).
 * Both take Keras's `pooling` without the top, in layers named as ResNet50's: 'avg_pool' / 'max_pool'.
 */
import type { LayersModel } from '@tensorflow/tfjs';
import { tf } from '../tf.ts';
import { apply, batchNorm, type Node } from './layers.ts';
import { globalPooling, NAMED_POOLING } from './top.ts';
import type { BuildOptions } from './types.ts';

interface ResNetVariant {
  name: string;
  block: 'basic' | 'bottleneck';
  /** Blocks per stage (stages conv2..conv5 with 64, 128, 256, 512 filters). */
  stages: readonly [number, number, number, number];
  useBias: boolean;
  epsilon: number;
  /** BuildOptions.zeroInitResidual: the last batch norm of each block's branch starts with γ = 0. */
  zeroInitResidual?: boolean;
}

const STAGE_FILTERS = [64, 128, 256, 512] as const;

function conv(
  x: Node,
  filters: number,
  kernelSize: number,
  stride: number,
  name: string,
  variant: ResNetVariant,
  padding: 'same' | 'valid' = 'valid',
): Node {
  return apply(tf.layers.conv2d({ filters, kernelSize, strides: stride, padding, useBias: variant.useBias, name }), x);
}

function relu(x: Node, name: string): Node {
  return apply(tf.layers.activation({ activation: 'relu', name }), x);
}

/** A 3x3 convolution that pads one pixel on every side, as PyTorch does (TF's 'same' pads stride-2 inputs asymmetrically). */
function conv3x3(x: Node, filters: number, stride: number, name: string, variant: ResNetVariant): Node {
  if (stride === 1) return conv(x, filters, 3, 1, name, variant, 'same');
  const padded = apply(tf.layers.zeroPadding2d({ padding: 1, name: `${name}_pad` }), x);
  return conv(padded, filters, 3, stride, name, variant);
}

/** keras resnet.py `block1` (bottleneck, expansion 4). */
function bottleneckBlock(
  x: Node,
  filters: number,
  stride: number,
  convShortcut: boolean,
  name: string,
  variant: ResNetVariant,
): Node {
  const bn = (input: Node, suffix: string, zeroGamma = false): Node =>
    batchNorm(input, `${name}_${suffix}`, { epsilon: variant.epsilon, zeroGamma });
  const shortcut = convShortcut ? bn(conv(x, 4 * filters, 1, stride, `${name}_0_conv`, variant), '0_bn') : x;
  let y = relu(bn(conv(x, filters, 1, stride, `${name}_1_conv`, variant), '1_bn'), `${name}_1_relu`);
  y = relu(bn(conv(y, filters, 3, 1, `${name}_2_conv`, variant, 'same'), '2_bn'), `${name}_2_relu`);
  y = bn(conv(y, 4 * filters, 1, 1, `${name}_3_conv`, variant), '3_bn', variant.zeroInitResidual);
  return relu(apply(tf.layers.add({ name: `${name}_add` }), [shortcut, y]), `${name}_out`);
}

/** torchvision `BasicBlock` (expansion 1), downsampling with a 1x1 convolution + BN when the shape changes. */
function basicBlock(
  x: Node,
  filters: number,
  stride: number,
  convShortcut: boolean,
  name: string,
  variant: ResNetVariant,
): Node {
  const bn = (input: Node, suffix: string, zeroGamma = false): Node =>
    batchNorm(input, `${name}_${suffix}`, { epsilon: variant.epsilon, zeroGamma });
  const shortcut = convShortcut ? bn(conv(x, filters, 1, stride, `${name}_0_conv`, variant), '0_bn') : x;
  let y = relu(bn(conv3x3(x, filters, stride, `${name}_1_conv`, variant), '1_bn'), `${name}_1_relu`);
  y = bn(conv3x3(y, filters, 1, `${name}_2_conv`, variant), '2_bn', variant.zeroInitResidual);
  return relu(apply(tf.layers.add({ name: `${name}_add` }), [shortcut, y]), `${name}_out`);
}

function buildResNet(variant: ResNetVariant, options: BuildOptions): LayersModel {
  const input = tf.input({ shape: [options.inputSize, options.inputSize, options.channels ?? 3], name: 'input_1' });
  let x = apply(tf.layers.zeroPadding2d({ padding: 3, name: 'conv1_pad' }), input);
  x = conv(x, 64, 7, 2, 'conv1_conv', variant);
  x = relu(batchNorm(x, 'conv1_bn', { epsilon: variant.epsilon }), 'conv1_relu');
  x = apply(tf.layers.zeroPadding2d({ padding: 1, name: 'pool1_pad' }), x);
  x = apply(tf.layers.maxPooling2d({ poolSize: 3, strides: 2, name: 'pool1_pool' }), x);
  const block = variant.block === 'bottleneck' ? bottleneckBlock : basicBlock;
  const blockVariant: ResNetVariant = { ...variant, zeroInitResidual: options.zeroInitResidual === true };
  variant.stages.forEach((blocks, stage) => {
    const filters = STAGE_FILTERS[stage]!;
    for (let index = 1; index <= blocks; index++) {
      const stride = index === 1 && stage > 0 ? 2 : 1;
      // Keras's bottleneck stacks always open with a projection; basic blocks only when the shape changes.
      const convShortcut = index === 1 && (variant.block === 'bottleneck' || stage > 0);
      x = block(x, filters, stride, convShortcut, `conv${stage + 2}_block${index}`, blockVariant);
    }
  });
  if (options.includeTop) {
    x = apply(tf.layers.globalAveragePooling2d({ name: 'avg_pool' }), x);
    x = apply(tf.layers.dense({ units: options.classes ?? 1000, activation: 'softmax', name: 'predictions' }), x);
  } else {
    x = globalPooling(x, options.pooling, NAMED_POOLING);
  }
  return tf.model({ inputs: input, outputs: x, name: variant.name });
}

export function resnet50(options: BuildOptions): LayersModel {
  return buildResNet(
    { name: 'resnet50', block: 'bottleneck', stages: [3, 4, 6, 3], useBias: true, epsilon: 1.001e-5 },
    options,
  );
}

export function resnet18(options: BuildOptions): LayersModel {
  return buildResNet(
    { name: 'resnet18', block: 'basic', stages: [2, 2, 2, 2], useBias: false, epsilon: 1e-5 },
    options,
  );
}
