/**
 * Small typed helpers over tfjs-layers' functional API, so that architecture files read like their Keras sources.
 */
import type { SymbolicTensor } from '@tensorflow/tfjs';
import { tf } from '../tf.ts';

/** A symbolic tensor flowing through a functional model under construction. */
export type Node = SymbolicTensor;

type AnyLayer = { apply(input: SymbolicTensor | SymbolicTensor[]): unknown };

/** Applies a layer to one or more nodes and returns the single output node. */
export function apply(layer: AnyLayer, input: Node | Node[]): Node {
  return layer.apply(input) as Node;
}

/**
 * Keras `BatchNormalization(name=…)` with Keras's own defaults unless given; `zeroGamma` starts its scale at 0 instead
 * of 1 (the last batch norm of a residual branch under BuildOptions.zeroInitResidual).
 */
export function batchNorm(
  input: Node,
  name: string,
  args: { epsilon?: number; momentum?: number; zeroGamma?: boolean } = {},
): Node {
  const gammaInitializer = args.zeroGamma === true ? 'zeros' : 'ones';
  return apply(
    tf.layers.batchNormalization({
      axis: -1,
      epsilon: args.epsilon ?? 1e-3,
      momentum: args.momentum ?? 0.99,
      gammaInitializer,
      name,
    }),
    input,
  );
}

/** Keras `ReLU(6., name=…)`. */
export function relu6(input: Node, name: string): Node {
  return apply(tf.layers.reLU({ maxValue: 6, name }), input);
}

/** Static spatial size of a node (height, width); throws for an unknown size. */
export function spatialSize(node: Node): [number, number] {
  const [, height, width] = node.shape;
  if (height == null || width == null) throw new Error(`${node.name}: spatial size must be known`);
  return [height, width];
}

/** Number of channels (last axis) of a node. */
export function channelsOf(node: Node): number {
  const channels = node.shape[node.shape.length - 1];
  if (channels == null) throw new Error(`${node.name}: channel count must be known`);
  return channels;
}

/**
 * keras.applications.imagenet_utils.correct_pad: the asymmetric zero padding before a stride-2 'valid' convolution,
 * so that outputs match TensorFlow's 'same' padding for even sizes.
 */
export function correctPad(node: Node, kernelSize: number): [[number, number], [number, number]] {
  const [height, width] = spatialSize(node);
  const correct = Math.floor(kernelSize / 2);
  return [
    [correct - (1 - (height % 2)), correct],
    [correct - (1 - (width % 2)), correct],
  ];
}
