/**
 * The model of an experiment config: the registry's architecture without its top (the base), then the config's head
 * (pooling, dense layers with optional batch norm / LeakyReLU and dropout, one output per task), seeded, with initial
 * weights from a file or an earlier run, `model.batchNormMomentum` on every batch norm, and the freezing of
 * `model.freeze` and of each stage.
 *
 * The head's pooling (`head.pooling` 'avg' | 'max') is keras.applications' `pooling` of a base without top, with the
 * layer kept in the head instead of built into the base (BuildOptions.pooling): the numbers are the same (a pooling
 * layer has no weights), but `model.freeze`'s trainableTop counts the base's layers as Keras's `base.layers[-N:]`
 * does, and a pooling layer in the base would move every such cut by one. The base is never built pooled, so head and
 * base cannot both pool.
 *
 * The head's layers are also applied to a separate input shaped like the base's output (`head`), sharing their weights
 * with `model`: a frozen base's features can then be computed once and the head trained on them
 * (src/train/feature_cache.ts), and the full model still predicts with the trained head.
 */
import type { LayersModel, SymbolicTensor } from '@tensorflow/tfjs';
import { tf } from '../tf.ts';
import { UserError } from '../errors.ts';
import { architectures, buildArchitecture } from '../models/index.ts';
import { applyFreeze, type FreezeSpec } from '../models/freeze.ts';
import { seedWeights } from '../models/init.ts';
import { loadWeightsSync } from '../models/weights.ts';
import type { PreprocessName } from '../models/types.ts';
import type { LossName } from '../train/losses.ts';
import type { OutputSpec } from '../train/trainer.ts';
import type { ExperimentConfig } from './config.ts';

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
  /**
   * Freezes the base as `freeze` says (a number: its top that many layers trainable; 'all' or 'none': nothing frozen).
   * Returns where the cut fell in words, with a warning when it splits a block (src/models/freeze.ts).
   */
  applyFreeze(freeze: number | 'all' | FreezeSpec): string | undefined;
}

/** The freeze that `model.freeze` asks for at the start of training (stages may give a trainable-top count instead). */
export function initialTrainableTop(freeze: ExperimentConfig['model']['freeze']): FreezeSpec {
  return freeze;
}

function buildHead(features: SymbolicTensor, config: ExperimentConfig['model']['head'], classes: number): SymbolicTensor[] {
  let x = features;
  // Image bases end in [h, w, c] feature maps: global pooling as the transfer heads do, or flatten (head.pooling).
  if (x.shape.length === 4 && config.pooling === 'avg') x = tf.layers.globalAveragePooling2d({ name: 'head_pool' }).apply(x) as SymbolicTensor;
  else if (x.shape.length === 4 && config.pooling === 'max') x = tf.layers.globalMaxPooling2d({ name: 'head_pool' }).apply(x) as SymbolicTensor;
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

/** Sets the momentum of every BatchNormalization layer (what src/kernels/batch_norm.ts trains with and getConfig saves). */
function setBatchNormMomentum(model: LayersModel, momentum: number): void {
  for (const layer of model.layers) {
    if (layer.getClassName() === 'BatchNormalization') (layer as unknown as { momentum: number }).momentum = momentum;
  }
}

/**
 * Loads the base's weights from a Keras .h5, a tfjs model or 'run:NAME' (src/models/weights.ts); the head stays
 * freshly initialised. Every base weight must be found; the file's own head or top is left out.
 */
function loadBaseWeights(model: ExperimentModel, weights: string, runsRoot: string): void {
  try {
    loadWeightsSync(model.base, weights, { runsRoot, ignoreUnexpected: true });
  } catch (error) {
    throw error instanceof UserError ? new UserError(`model.weights: ${error.message}`) : error;
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
  if (config.model.zeroInitResidual && !spec.residual) throw new UserError(`model.zeroInitResidual: ${spec.name} has no residual blocks to start at zero; remove it (it applies to ${architectures.all().filter((a) => a.residual).map((a) => a.name).join(', ')})`);
  if (config.model.zeroInitResidual && config.model.weights !== 'none') throw new UserError(`model.zeroInitResidual: it only shapes random initial weights, and model.weights '${config.model.weights}' replaces them; remove one of the two`);
  const base = buildArchitecture(spec.name, {
    inputSize: options.inputSize,
    channels,
    includeTop: false,
    zeroInitResidual: config.model.zeroInitResidual,
    ...(config.model.alpha === undefined ? {} : { alpha: config.model.alpha }),
    ...(config.model.minimalistic === undefined ? {} : { minimalistic: config.model.minimalistic }),
  });
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
  if (config.model.batchNormMomentum !== undefined) setBatchNormMomentum(model, config.model.batchNormMomentum);
  const result: ExperimentModel = {
    model,
    base,
    head,
    outputs: headConfig.tasks.map((task) => ({ name: task, loss: TASKS[task].loss, weight: headConfig.lossWeights[task] ?? 1 })),
    input: model.inputs[0]!.shape.slice(1) as number[],
    channels,
    preprocess: spec.preprocess,
    applyFreeze(freeze) {
      const spec: FreezeSpec = freeze === 'all' ? 'none' : typeof freeze === 'number' ? { trainableTop: freeze } : freeze;
      const plan = applyFreeze(base, spec);
      return spec === 'none' ? undefined : plan.description;
    },
  };
  if (config.model.weights !== 'none') loadBaseWeights(result, config.model.weights, options.runsRoot);
  return result;
}
