/**
 * The model of an experiment config: the registry's architecture without its top (the base), then the config's head
 * (pooling, dense layers with optional batch norm / LeakyReLU and dropout, one output per task), seeded, with initial
 * weights from a file or an earlier run, and the freezing of `model.freeze` and of each stage.
 *
 * The head's layers are also applied to a separate input shaped like the base's output (`head`), sharing their weights
 * with `model`: a frozen base's features can then be computed once and the head trained on them
 * (src/train/feature_cache.ts), and the full model still predicts with the trained head.
 */
import { join } from 'node:path';
import type { LayersModel, SymbolicTensor } from '@tensorflow/tfjs';
import { tf } from '../tf.ts';
import { UserError } from '../errors.ts';
import { architectures, buildArchitecture } from '../models/index.ts';
import { seedWeights } from '../models/init.ts';
import type { PreprocessName } from '../models/types.ts';
import type { LossName } from '../train/losses.ts';
import type { OutputSpec } from '../train/trainer.ts';
import type { ExperimentConfig } from './config.ts';
import { readLayersWeights } from './model_files.ts';

export type Task = ExperimentConfig['model']['head']['tasks'][number];

/** Loss and output units of each task (valence/arousal: 2 linear units; forecast: one step ahead). */
const TASKS: Record<Task, { loss: LossName; units: (classes: number) => number; activation: 'softmax' | 'linear' }> = {
  expression: { loss: 'sparse_categorical_crossentropy', units: (classes) => classes, activation: 'softmax' },
  valence_arousal: { loss: 'mse', units: () => 2, activation: 'linear' },
  forecast: { loss: 'mse', units: () => 1, activation: 'linear' },
};

export interface ExperimentModel {
  /** Base + head, what is saved and predicts. */
  model: LayersModel;
  base: LayersModel;
  /** The head alone, on inputs shaped like the base's output; shares its weights with `model`. */
  head: LayersModel;
  outputs: OutputSpec[];
  /** Input shape without the batch axis. */
  input: number[];
  channels: number;
  preprocess: PreprocessName;
  /** Freezes the base but its top `trainableTop` layers ('all': nothing frozen). Returns where the cut fell, in words. */
  applyFreeze(trainableTop: number | 'all'): string | undefined;
}

/** The trainable-top count that `model.freeze` asks for. */
export function initialTrainableTop(freeze: ExperimentConfig['model']['freeze']): number | 'all' {
  if (freeze === 'none') return 'all';
  if (freeze === 'base') return 0;
  return freeze.trainableTop;
}

function buildHead(features: SymbolicTensor, config: ExperimentConfig['model']['head'], classes: number): SymbolicTensor[] {
  let x = features;
  // Image bases end in [h, w, c] feature maps: global average pooling, as the assignments' heads do.
  if (x.shape.length === 4) x = tf.layers.globalAveragePooling2d({ name: 'head_pool' }).apply(x) as SymbolicTensor;
  else if (x.shape.length > 2) x = tf.layers.flatten({ name: 'head_flatten' }).apply(x) as SymbolicTensor;
  config.dense.forEach((units, i) => {
    const n = i + 1;
    const plain = config.activation === 'relu' && !config.batchNorm;
    x = tf.layers.dense({ units, activation: plain ? 'relu' : 'linear', name: `head_dense_${n}` }).apply(x) as SymbolicTensor;
    if (config.batchNorm) x = tf.layers.batchNormalization({ epsilon: 1e-3, momentum: 0.99, name: `head_bn_${n}` }).apply(x) as SymbolicTensor;
    if (!plain) {
      // Keras's LeakyReLU default slope (0.3); tfjs's is the same.
      const activation = config.activation === 'leaky_relu' ? tf.layers.leakyReLU({ alpha: 0.3, name: `head_act_${n}` }) : tf.layers.activation({ activation: 'relu', name: `head_act_${n}` });
      x = activation.apply(x) as SymbolicTensor;
    }
    if (config.dropout > 0) x = tf.layers.dropout({ rate: config.dropout, name: `head_dropout_${n}` }).apply(x) as SymbolicTensor;
  });
  return config.tasks.map((task) => tf.layers.dense({ units: TASKS[task].units(classes), activation: TASKS[task].activation, name: task }).apply(x) as SymbolicTensor);
}

/** Where `weights` points: an earlier run's model/ folder for 'run:NAME', else the path itself. */
function weightsSource(weights: string, runsRoot: string): string {
  return weights.startsWith('run:') ? join(runsRoot, weights.slice(4), 'model') : weights;
}

/** Copies the base's weights from a saved model by weight name; the head stays freshly initialised. */
function loadBaseWeights(model: ExperimentModel, weights: string, runsRoot: string): void {
  const source = weightsSource(weights, runsRoot);
  if (/\.h5$/i.test(source)) {
    throw new UserError(`model.weights '${weights}': Keras .h5 files are read by src/models' weight loader, which this build lacks. Fix: use a tfjs DIR/model.json or 'run:NAME'`);
  }
  const saved = readLayersWeights(source);
  try {
    const byName = new Map(saved.map((entry) => [entry.name, entry.tensor]));
    const wrongShape: string[] = [];
    let loaded = 0;
    for (const weight of model.base.weights) {
      const value = byName.get(weight.originalName);
      if (value === undefined) continue;
      if (value.shape.join('x') !== weight.shape.join('x')) {
        wrongShape.push(`${weight.originalName} [${value.shape}] vs [${weight.shape}]`);
        continue;
      }
      weight.write(value);
      loaded++;
    }
    if (wrongShape.length > 0 || loaded === 0) {
      const why = loaded === 0 && wrongShape.length === 0 ? 'no weight name of the base is in it' : `wrong shapes: ${wrongShape.join(', ')}`;
      throw new UserError(`model.weights '${weights}' (${source}): ${why}. Fix: point at a model of the same architecture, input channels and alpha`);
    }
  } finally {
    tf.dispose(saved.map((entry) => entry.tensor));
  }
}

/**
 * Builds the experiment's model. `classes` is the dataset's class count (expression task); `inputSize` the image side or
 * the series window; `runsRoot` resolves 'run:NAME' weights.
 *
 * @example
 * const { model, outputs, applyFreeze } = buildExperimentModel(config, { classes: 8, inputSize: 96, runsRoot: 'runs' });
 */
export function buildExperimentModel(config: ExperimentConfig, options: { classes: number; inputSize: number; channels?: number; runsRoot: string }): ExperimentModel {
  const spec = architectures.get(config.model.arch);
  const channels = options.channels ?? spec.channels;
  const base = buildArchitecture(spec.name, { inputSize: options.inputSize, channels, includeTop: false, ...(config.model.alpha === undefined ? {} : { alpha: config.model.alpha }) });
  const features = base.outputs[0]!;
  const headConfig = config.model.head;
  const outputs = buildHead(features, headConfig, options.classes);
  const model = tf.model({ inputs: base.inputs, outputs, name: `${spec.name}_${headConfig.tasks.join('_')}` });
  const baseLayers = new Set(base.layers);
  const headLayers = model.layers.filter((layer) => !baseLayers.has(layer));
  const headInput = tf.input({ shape: features.shape.slice(1) as number[], name: 'head_input' });
  let x: SymbolicTensor = headInput;
  const headOutputs: SymbolicTensor[] = [];
  const taskLayers = new Set<string>(headConfig.tasks);
  for (const layer of headLayers) {
    const y = layer.apply(x) as SymbolicTensor;
    if (taskLayers.has(layer.name)) headOutputs.push(y);
    else x = y;
  }
  const head = tf.model({ inputs: headInput, outputs: headOutputs, name: 'head' });
  seedWeights(model, config.seed);
  const result: ExperimentModel = {
    model,
    base,
    head,
    outputs: headConfig.tasks.map((task) => ({ name: task, loss: TASKS[task].loss, weight: headConfig.lossWeights[task] ?? 1 })),
    input: model.inputs[0]!.shape.slice(1) as number[],
    channels,
    preprocess: spec.preprocess,
    applyFreeze(trainableTop) {
      const layers = base.layers;
      const firstTrainable = trainableTop === 'all' ? 0 : Math.max(0, layers.length - trainableTop);
      layers.forEach((layer, i) => (layer.trainable = i >= firstTrainable));
      if (trainableTop === 'all') return undefined;
      if (trainableTop === 0) return `base frozen (${layers.length} layers)`;
      return `top ${Math.min(trainableTop, layers.length)} of ${layers.length} base layers trainable, cut after '${layers[firstTrainable - 1]?.name ?? '(input)'}'`;
    },
  };
  if (config.model.weights !== 'none') loadBaseWeights(result, config.model.weights, options.runsRoot);
  return result;
}
