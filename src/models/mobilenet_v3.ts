/**
 * MobileNetV3 Small and Large (Howard et al. 2019) as keras.applications builds them (keras/applications/
 * mobilenet_v3.py, Keras 2.12): the input Rescaling layer (include_preprocessing=True), hard-swish and hard-sigmoid
 * from ReLU(6) and scalar ops, squeeze-and-excite blocks, and Keras's automatic names for its unnamed layers
 * (`re_lu_N`, `multiply_N`, `tf.__operators__.add_N`, `tf.math.multiply_N`), counted per build as in a fresh session.
 * `minimalistic` builds Keras's minimalistic variants: no squeeze-and-excite, ReLU for hard-swish, 3x3 for 5x5 kernels.
 */
import type { LayersModel } from '@tensorflow/tfjs';
import { tf } from '../tf.ts';
import { apply, batchNorm, channelsOf, correctPad, type Node } from './layers.ts';
import { makeDivisible } from './mobilenet_v2.ts';
import { GlobalAveragePoolingKeepDims, ScalarAdd, ScalarMultiply } from './op_layers.ts';
import { globalPooling, NAMED_POOLING } from './top.ts';
import type { BuildOptions } from './types.ts';

/** Keras's automatic layer names: `base`, `base_1`, `base_2`, … per build. */
class AutoNames {
  private readonly counts = new Map<string, number>();

  next(base: string): string {
    const count = this.counts.get(base) ?? 0;
    this.counts.set(base, count + 1);
    return count === 0 ? base : `${base}_${count}`;
  }
}

type Activation = (x: Node, names: AutoNames) => Node;

const BN = { epsilon: 1e-3, momentum: 0.999 };

const relu: Activation = (x, names) => apply(tf.layers.reLU({ name: names.next('re_lu') }), x);

function hardSigmoid(x: Node, names: AutoNames): Node {
  const shifted = apply(new ScalarAdd({ value: 3, name: names.next('tf.__operators__.add') }), x);
  const clipped = apply(tf.layers.reLU({ maxValue: 6, name: names.next('re_lu') }), shifted);
  return apply(new ScalarMultiply({ value: 1 / 6, name: names.next('tf.math.multiply') }), clipped);
}

const hardSwish: Activation = (x, names) =>
  apply(tf.layers.multiply({ name: names.next('multiply') }), [x, hardSigmoid(x, names)]);

function squeezeExcite(input: Node, filters: number, seRatio: number, prefix: string, names: AutoNames): Node {
  let x = apply(new GlobalAveragePoolingKeepDims({ name: `${prefix}squeeze_excite/AvgPool` }), input);
  x = apply(
    tf.layers.conv2d({
      filters: makeDivisible(filters * seRatio),
      kernelSize: 1,
      padding: 'same',
      name: `${prefix}squeeze_excite/Conv`,
    }),
    x,
  );
  x = apply(tf.layers.reLU({ name: `${prefix}squeeze_excite/Relu` }), x);
  x = apply(tf.layers.conv2d({ filters, kernelSize: 1, padding: 'same', name: `${prefix}squeeze_excite/Conv_1` }), x);
  x = hardSigmoid(x, names);
  return apply(tf.layers.multiply({ name: `${prefix}squeeze_excite/Mul` }), [input, x]);
}

/**
 * One row of the paper's Tables 1-2: expansion, output filters, kernel, stride, squeeze-excite, activation. As in
 * Keras's stack_fn, 'kernel', `se` and 'activation' stand for the model's own: 5x5, squeeze-and-excite and hard-swish,
 * or 3x3, none and ReLU when minimalistic.
 */
interface BlockSpec {
  expansion: number;
  filters: number;
  kernel: 3 | 'kernel';
  stride: 1 | 2;
  se: boolean;
  activation: 'relu' | 'activation';
}

/** What Keras's MobileNetV3 derives from `minimalistic` for the whole model. */
interface Style {
  kernel: 3 | 5;
  activation: Activation;
  squeezeExcite: boolean;
}

const STANDARD: Style = { kernel: 5, activation: hardSwish, squeezeExcite: true };
const MINIMALISTIC: Style = { kernel: 3, activation: relu, squeezeExcite: false };

function invertedResidual(
  input: Node,
  block: BlockSpec,
  blockId: number,
  alpha: number,
  style: Style,
  names: AutoNames,
  zeroInitResidual: boolean,
): Node {
  const activation = block.activation === 'relu' ? relu : style.activation;
  const kernelSize = block.kernel === 'kernel' ? style.kernel : 3;
  const inFilters = channelsOf(input);
  const filters = makeDivisible(block.filters * alpha);
  let prefix = 'expanded_conv/';
  let x = input;
  if (blockId > 0) {
    prefix = `expanded_conv_${blockId}/`;
    x = apply(
      tf.layers.conv2d({
        filters: makeDivisible(inFilters * block.expansion),
        kernelSize: 1,
        padding: 'same',
        useBias: false,
        name: `${prefix}expand`,
      }),
      x,
    );
    x = activation(batchNorm(x, `${prefix}expand/BatchNorm`, BN), names);
  }
  if (block.stride === 2)
    x = apply(tf.layers.zeroPadding2d({ padding: correctPad(x, kernelSize), name: `${prefix}depthwise/pad` }), x);
  x = apply(
    tf.layers.depthwiseConv2d({
      kernelSize,
      strides: block.stride,
      padding: block.stride === 1 ? 'same' : 'valid',
      useBias: false,
      name: `${prefix}depthwise`,
    }),
    x,
  );
  x = activation(batchNorm(x, `${prefix}depthwise/BatchNorm`, BN), names);
  if (block.se && style.squeezeExcite)
    x = squeezeExcite(x, makeDivisible(inFilters * block.expansion), 0.25, prefix, names);
  x = apply(tf.layers.conv2d({ filters, kernelSize: 1, padding: 'same', useBias: false, name: `${prefix}project` }), x);
  const residual = block.stride === 1 && inFilters === filters;
  x = batchNorm(x, `${prefix}project/BatchNorm`, { ...BN, zeroGamma: zeroInitResidual && residual });
  return residual ? apply(tf.layers.add({ name: `${prefix}Add` }), [input, x]) : x;
}

const row = (
  expansion: number,
  filters: number,
  kernel: 3 | 'kernel',
  stride: 1 | 2,
  se: boolean,
  activation: BlockSpec['activation'],
): BlockSpec => ({ expansion, filters, kernel, stride, se, activation });

const SMALL: readonly BlockSpec[] = [
  row(1, 16, 3, 2, true, 'relu'),
  row(72 / 16, 24, 3, 2, false, 'relu'),
  row(88 / 24, 24, 3, 1, false, 'relu'),
  row(4, 40, 'kernel', 2, true, 'activation'),
  row(6, 40, 'kernel', 1, true, 'activation'),
  row(6, 40, 'kernel', 1, true, 'activation'),
  row(3, 48, 'kernel', 1, true, 'activation'),
  row(3, 48, 'kernel', 1, true, 'activation'),
  row(6, 96, 'kernel', 2, true, 'activation'),
  row(6, 96, 'kernel', 1, true, 'activation'),
  row(6, 96, 'kernel', 1, true, 'activation'),
];

const LARGE: readonly BlockSpec[] = [
  row(1, 16, 3, 1, false, 'relu'),
  row(4, 24, 3, 2, false, 'relu'),
  row(3, 24, 3, 1, false, 'relu'),
  row(3, 40, 'kernel', 2, true, 'relu'),
  row(3, 40, 'kernel', 1, true, 'relu'),
  row(3, 40, 'kernel', 1, true, 'relu'),
  row(6, 80, 3, 2, false, 'activation'),
  row(2.5, 80, 3, 1, false, 'activation'),
  row(2.3, 80, 3, 1, false, 'activation'),
  row(2.3, 80, 3, 1, false, 'activation'),
  row(6, 112, 3, 1, true, 'activation'),
  row(6, 112, 3, 1, true, 'activation'),
  row(6, 160, 'kernel', 2, true, 'activation'),
  row(6, 160, 'kernel', 1, true, 'activation'),
  row(6, 160, 'kernel', 1, true, 'activation'),
];

interface MobileNetV3Variant {
  name: string;
  blocks: readonly BlockSpec[];
  lastPointChannels: number;
}

function buildMobileNetV3(variant: MobileNetV3Variant, options: BuildOptions): LayersModel {
  const alpha = options.alpha ?? 1.0;
  const style = options.minimalistic === true ? MINIMALISTIC : STANDARD;
  const names = new AutoNames();
  const input = tf.input({ shape: [options.inputSize, options.inputSize, options.channels ?? 3], name: 'input_1' });
  // Keras's MobileNetV3 preprocesses inside the model: 0..255 -> [-1, 1].
  let x = apply(tf.layers.rescaling({ scale: 1 / 127.5, offset: -1, name: names.next('rescaling') }), input);
  x = apply(
    tf.layers.conv2d({ filters: 16, kernelSize: 3, strides: 2, padding: 'same', useBias: false, name: 'Conv' }),
    x,
  );
  x = style.activation(batchNorm(x, 'Conv/BatchNorm', BN), names);
  variant.blocks.forEach((block, blockId) => {
    x = invertedResidual(x, block, blockId, alpha, style, names, options.zeroInitResidual === true);
  });
  const lastConvChannels = makeDivisible(channelsOf(x) * 6);
  const lastPointChannels = alpha > 1.0 ? makeDivisible(variant.lastPointChannels * alpha) : variant.lastPointChannels;
  x = apply(
    tf.layers.conv2d({ filters: lastConvChannels, kernelSize: 1, padding: 'same', useBias: false, name: 'Conv_1' }),
    x,
  );
  x = style.activation(batchNorm(x, 'Conv_1/BatchNorm', BN), names);
  if (options.includeTop) {
    x = apply(new GlobalAveragePoolingKeepDims({ name: names.next('global_average_pooling2d') }), x);
    x = apply(
      tf.layers.conv2d({ filters: lastPointChannels, kernelSize: 1, padding: 'same', useBias: true, name: 'Conv_2' }),
      x,
    );
    x = style.activation(x, names);
    x = apply(tf.layers.dropout({ rate: 0.2, name: names.next('dropout') }), x);
    x = apply(
      tf.layers.conv2d({ filters: options.classes ?? 1000, kernelSize: 1, padding: 'same', name: 'Logits' }),
      x,
    );
    x = apply(tf.layers.flatten({ name: names.next('flatten') }), x);
    x = apply(tf.layers.activation({ activation: 'softmax', name: 'Predictions' }), x);
  } else {
    x = globalPooling(x, options.pooling, NAMED_POOLING);
  }
  return tf.model({ inputs: input, outputs: x, name: variant.name });
}

export function mobilenetV3Small(options: BuildOptions): LayersModel {
  return buildMobileNetV3({ name: 'MobilenetV3small', blocks: SMALL, lastPointChannels: 1024 }, options);
}

export function mobilenetV3Large(options: BuildOptions): LayersModel {
  return buildMobileNetV3({ name: 'MobilenetV3large', blocks: LARGE, lastPointChannels: 1280 }, options);
}
