/**
 * The architecture registry (docs/ARCHITECTURE.md §6): an explicit array, the name type derived from it.
 *
 * @example
 * const model = buildArchitecture('mobilenet_v2', { inputSize: 96, includeTop: false, seed: 1 });
 */
import type { LayersModel } from '@tensorflow/tfjs';
import { Registry } from '../registry.ts';
import { UserError } from '../errors.ts';
import { seedWeights } from './init.ts';
import { densenet121 } from './densenet.ts';
import { mobilenetV2 } from './mobilenet_v2.ts';
import { mobilenetV3Large, mobilenetV3Small } from './mobilenet_v3.ts';
import { gru, lstm, simpleRnn } from './recurrent.ts';
import { resnet18, resnet50 } from './resnet.ts';
import { simpleCnn } from './simple_cnn.ts';
import { vgg16 } from './vgg.ts';
import type { ArchitectureOption, ArchitectureSpec, BuildOptions } from './types.ts';

export const ARCHITECTURES = [
  {
    name: 'mobilenet_v2',
    family: 'mobilenet',
    defaultInput: 224,
    minInput: 32,
    channels: 3,
    preprocess: 'mobilenet',
    residual: true,
    options: ['pooling'],
    build: mobilenetV2,
  },
  // MobileNetV3 rescales inside the model (Keras's include_preprocessing), so its preprocessing is 'none'.
  {
    name: 'mobilenet_v3_small',
    family: 'mobilenet',
    defaultInput: 224,
    minInput: 32,
    channels: 3,
    preprocess: 'none',
    residual: true,
    options: ['pooling', 'minimalistic'],
    build: mobilenetV3Small,
  },
  {
    name: 'mobilenet_v3_large',
    family: 'mobilenet',
    defaultInput: 224,
    minInput: 32,
    channels: 3,
    preprocess: 'none',
    residual: true,
    options: ['pooling', 'minimalistic'],
    build: mobilenetV3Large,
  },
  {
    name: 'resnet18',
    family: 'resnet',
    defaultInput: 224,
    minInput: 32,
    channels: 3,
    preprocess: 'torch',
    residual: true,
    options: ['pooling'],
    build: resnet18,
  },
  {
    name: 'resnet50',
    family: 'resnet',
    defaultInput: 224,
    minInput: 32,
    channels: 3,
    preprocess: 'caffe',
    residual: true,
    options: ['pooling'],
    build: resnet50,
  },
  {
    name: 'densenet121',
    family: 'densenet',
    defaultInput: 224,
    minInput: 32,
    channels: 3,
    preprocess: 'torch',
    residual: false,
    options: ['pooling'],
    build: densenet121,
  },
  {
    name: 'vgg16',
    family: 'vgg',
    defaultInput: 224,
    minInput: 32,
    channels: 3,
    preprocess: 'caffe',
    residual: false,
    options: ['pooling'],
    build: vgg16,
  },
  {
    name: 'simple_cnn',
    family: 'cnn',
    defaultInput: 28,
    minInput: 8,
    channels: 1,
    preprocess: 'unit',
    residual: false,
    options: ['pooling'],
    build: simpleCnn,
  },
  {
    name: 'simple_rnn',
    family: 'recurrent',
    defaultInput: 24,
    minInput: 2,
    channels: 1,
    preprocess: 'none',
    residual: false,
    options: [],
    build: simpleRnn,
  },
  {
    name: 'lstm',
    family: 'recurrent',
    defaultInput: 24,
    minInput: 2,
    channels: 1,
    preprocess: 'none',
    residual: false,
    options: [],
    build: lstm,
  },
  {
    name: 'gru',
    family: 'recurrent',
    defaultInput: 24,
    minInput: 2,
    channels: 1,
    preprocess: 'none',
    residual: false,
    options: [],
    build: gru,
  },
] as const satisfies readonly ArchitectureSpec[];

export type ArchitectureName = (typeof ARCHITECTURES)[number]['name'];

export const architectures = new Registry<ArchitectureSpec>('architecture', ARCHITECTURES);

/** The architectures that take `option`, for error messages. */
function takers(option: ArchitectureOption): string {
  return architectures
    .all()
    .filter((spec) => spec.options.includes(option))
    .map((spec) => spec.name)
    .join(', ');
}

/** Refuses options the architecture would otherwise ignore, naming the config field (the CLI checks its flags first). */
function checkOptions(spec: ArchitectureSpec, options: BuildOptions): void {
  if (options.minimalistic === true && !spec.options.includes('minimalistic')) {
    throw new UserError(
      `model.minimalistic: ${spec.name} has no minimalistic variant (keras.applications' MobileNetV3 option; it applies to ${takers('minimalistic')}). Fix: remove it`,
    );
  }
  if (options.pooling === undefined) return;
  if (!spec.options.includes('pooling')) {
    throw new UserError(
      `pooling '${options.pooling}': ${spec.name} has no feature map to pool (it applies to ${takers('pooling')}). Fix: remove it`,
    );
  }
  if (options.includeTop) {
    throw new UserError(
      `pooling '${options.pooling}': ${spec.name}'s classifier top pools on its own (Keras takes pooling only with include_top=False and ignores it otherwise). Fix: build without the top, or remove pooling`,
    );
  }
}

/**
 * Builds an architecture by name, checks its input size and options, and seeds its random weights (seed 0 unless given).
 * `pooling` or `minimalistic` for an architecture that does not take them (ArchitectureSpec.options) is a user error,
 * not silently ignored.
 */
// `string & {}` keeps the known names in editors' completion while any string is accepted (and checked).
export function buildArchitecture(name: ArchitectureName | (string & {}), options: BuildOptions): LayersModel {
  const spec = architectures.get(name);
  if (!Number.isInteger(options.inputSize) || options.inputSize < spec.minInput) {
    throw new UserError(
      `model.inputSize ${options.inputSize}: ${spec.name} needs an integer input of at least ${spec.minInput} px`,
    );
  }
  checkOptions(spec, options);
  const model = spec.build(options);
  seedWeights(model, options.seed ?? 0);
  return model;
}

export type { ArchitectureOption, ArchitectureSpec, BuildOptions, GlobalPooling } from './types.ts';
export { countParams } from './params.ts';
export { preprocess } from './preprocess.ts';
