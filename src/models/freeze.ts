/**
 * Freezing with Keras's layer counting (`model.layers`, the input layer included, as in
 * `for layer in base.layers[:-N]: layer.trainable = False`), made block-aware: a cut through a residual,
 * inverted-residual or dense block leaves its two halves (and a batch norm) on different sides (docs/ARCHITECTURE.md §7), so
 * `trainableBlocks` counts whole blocks and `trainableTop` / `fromLayer` say when their cut falls inside one.
 * Batch norm in a frozen layer runs in inference mode (src/kernels/batch_norm.ts), as in Keras.
 */
import type { LayersModel } from '@tensorflow/tfjs';
import { UserError } from '../errors.ts';

/** What to train: everything ('none' frozen), nothing of the base ('base'), or the top part of it. */
export type FreezeSpec =
  'base' | 'none' | { trainableTop: number } | { trainableBlocks: number } | { fromLayer: string };

/** A block of the model: layers `start..end` (indices into `model.layers`, inclusive). */
export interface LayerBlock {
  name: string;
  start: number;
  end: number;
}

/** Layer-name prefixes that name a block in keras.applications' architectures (and percept's own). */
const BLOCK_PATTERNS: readonly RegExp[] = [
  /^(block_\d+)_/, // MobileNetV2 blocks 1..16
  /^(expanded_conv(?:_\d+)?)\//, // MobileNetV3
  /^(expanded_conv)_(?!\d)/, // MobileNetV2 block 0
  /^(conv\d+_block\d+)_/, // ResNet, DenseNet conv blocks
  /^(pool(?:[2-9]|\d{2,}))_/, // DenseNet transition blocks (pool1 is a stem layer)
  /^(block\d+)_/, // VGG16, simple_cnn
];

function namedBlock(layerName: string): string | undefined {
  for (const pattern of BLOCK_PATTERNS) {
    const found = pattern.exec(layerName);
    if (found !== null) return found[1];
  }
  return undefined;
}

/**
 * The block of each layer (undefined outside blocks). Layers with Keras's automatic names (MobileNetV3's `re_lu_3`,
 * `multiply_2`) belong to the block of the named layers around them.
 *
 * @example
 * layerBlockNames(buildArchitecture('resnet50', { inputSize: 32, includeTop: false }))[8]; // 'conv2_block1'
 */
export function layerBlockNames(model: LayersModel): (string | undefined)[] {
  const named = model.layers.map((layer) => namedBlock(layer.name));
  return named.map((block, i) => {
    if (block !== undefined) return block;
    const before = named
      .slice(0, i)
      .reverse()
      .find((name) => name !== undefined);
    const after = named.slice(i + 1).find((name) => name !== undefined);
    return before !== undefined && before === after ? before : undefined;
  });
}

/**
 * The blocks of a model in layer order.
 *
 * @example
 * layerBlocks(buildArchitecture('mobilenet_v2', { inputSize: 96, includeTop: false })).length; // 17
 */
export function layerBlocks(model: LayersModel): LayerBlock[] {
  const blocks: LayerBlock[] = [];
  layerBlockNames(model).forEach((name, i) => {
    if (name === undefined) return;
    const last = blocks[blocks.length - 1];
    if (last?.name === name) last.end = i;
    else blocks.push({ name, start: i, end: i });
  });
  return blocks;
}

/** Where a freeze cuts: layers from `firstTrainable` on are trainable; `description` and `warning` in words. */
export interface FreezePlan {
  firstTrainable: number;
  description: string;
  /** Set when the cut falls inside a block. */
  warning?: string;
}

function splitWarning(model: LayersModel, firstTrainable: number, what: string): string | undefined {
  if (firstTrainable <= 0 || firstTrainable >= model.layers.length) return undefined;
  const names = layerBlockNames(model);
  const block = names[firstTrainable];
  if (block === undefined || names[firstTrainable - 1] !== block) return undefined;
  const { start, end } = layerBlocks(model).find(
    (candidate) => candidate.name === block && candidate.start <= firstTrainable && firstTrainable <= candidate.end,
  )!;
  const count = model.layers.length;
  return (
    `${what} cuts block '${block}' in two: '${model.layers[firstTrainable - 1]!.name}' frozen, '${model.layers[firstTrainable]!.name}' trainable. ` +
    `Fix: trainableTop ${count - start} (the whole block) or ${count - end - 1} (none of it), or trainableBlocks`
  );
}

/**
 * Where `spec` cuts `model`, without changing it.
 *
 * @example
 * planFreeze(base, { trainableBlocks: 2 }).description; // "last 2 blocks trainable (from 'block_15_expand', 23 of 154 layers)"
 */
export function planFreeze(model: LayersModel, spec: FreezeSpec): FreezePlan {
  const layers = model.layers;
  const count = layers.length;
  if (spec === 'none') return { firstTrainable: 0, description: `all ${count} layers trainable` };
  if (spec === 'base') return { firstTrainable: count, description: `base frozen (${count} layers)` };
  if ('trainableTop' in spec) {
    const firstTrainable = Math.max(0, count - spec.trainableTop);
    if (spec.trainableTop === 0) return { firstTrainable, description: `base frozen (${count} layers)` };
    const warning = splitWarning(model, firstTrainable, `trainableTop ${spec.trainableTop}`);
    const description = `top ${count - firstTrainable} of ${count} base layers trainable, cut after '${layers[firstTrainable - 1]?.name ?? '(input)'}'`;
    return {
      firstTrainable,
      description: warning === undefined ? description : `${description}; warning: ${warning}`,
      ...(warning === undefined ? {} : { warning }),
    };
  }
  if ('trainableBlocks' in spec) {
    const blocks = layerBlocks(model);
    if (blocks.length === 0)
      throw new UserError(`model.freeze.trainableBlocks: '${model.name}' has no blocks. Fix: use trainableTop`);
    if (spec.trainableBlocks === 0) return { firstTrainable: count, description: `base frozen (${count} layers)` };
    if (spec.trainableBlocks >= blocks.length)
      return { firstTrainable: 0, description: `all ${blocks.length} blocks and the stem trainable (${count} layers)` };
    const first = blocks[blocks.length - spec.trainableBlocks]!;
    return {
      firstTrainable: first.start,
      description: `last ${spec.trainableBlocks} blocks trainable (from '${layers[first.start]!.name}', ${count - first.start} of ${count} layers)`,
    };
  }
  const index = layers.findIndex((layer) => layer.name === spec.fromLayer);
  if (index < 0) {
    throw new UserError(
      `model.freeze.fromLayer '${spec.fromLayer}': no such layer in '${model.name}'. Fix: name a layer that 'percept models ARCH --summary' lists`,
    );
  }
  const warning = splitWarning(model, index, `fromLayer '${spec.fromLayer}'`);
  const description = `from '${spec.fromLayer}' on trainable (${count - index} of ${count} layers)`;
  return {
    firstTrainable: index,
    description: warning === undefined ? description : `${description}; warning: ${warning}`,
    ...(warning === undefined ? {} : { warning }),
  };
}

/**
 * Freezes `model` as `spec` says (every layer before the cut frozen, every layer from it on trainable) and returns the plan.
 *
 * @example
 * const { warning } = applyFreeze(base, { trainableTop: 20 });
 * if (warning !== undefined) console.warn(warning);
 */
export function applyFreeze(model: LayersModel, spec: FreezeSpec): FreezePlan {
  const plan = planFreeze(model, spec);
  model.layers.forEach((layer, i) => (layer.trainable = i >= plan.firstTrainable));
  return plan;
}
