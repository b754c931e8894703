/**
 * The model of an experiment config: the registry's architecture without its top (the base), then the config's head
 * (src/models/head.ts: pooling, dense layers, one output per task with the task's units, activation and loss),
 * seeded, with initial weights from a file or an earlier run, `model.batchNormMomentum` on every batch norm, and the
 * freezing of `model.freeze` and of each stage. The base is never built pooled (BuildOptions.pooling): the head pools,
 * so head and base cannot both pool.
 */
import type { LayersModel } from '@tensorflow/tfjs';
import { tf } from '../tf.ts';
import { UserError } from '../errors.ts';
import { architectures, buildArchitecture } from '../models/index.ts';
import { applyFreeze, type FreezeSpec } from '../models/freeze.ts';
import { seedWeights } from '../models/init.ts';
import { buildHead, headModel, setBatchNormMomentum } from '../models/head.ts';
import { loadWeightsSync } from '../models/weights.ts';
import type { PreprocessName } from '../models/types.ts';
import type { LossName } from '../train/losses.ts';
import type { OutputSpec } from '../train/types.ts';
import type { ExperimentConfig } from './config.ts';

export type Task = ExperimentConfig['model']['head']['tasks'][number];

/** Loss and output units of each task (valence/arousal: 2 linear units; forecast: one step ahead). */
const TASKS: Record<Task, { loss: LossName; units: (classes: number) => number; activation: 'softmax' | 'linear' }> = {
  classification: { loss: 'sparse_categorical_crossentropy', units: (classes) => classes, activation: 'softmax' },
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
 * Builds the experiment's model. `classes` is the dataset's class count (classification task); `inputSize` the image side or
 * the series window; `runsRoot` resolves 'run:NAME' weights.
 *
 * @example
 * const { model, outputs, applyFreeze } = buildExperimentModel(config, { classes: 8, inputSize: 96, runsRoot: 'runs' });
 */
export function buildExperimentModel(
  config: ExperimentConfig,
  options: { classes: number; inputSize: number; channels?: number; runsRoot: string },
): ExperimentModel {
  const spec = architectures.get(config.model.arch);
  const channels = options.channels ?? spec.channels;
  if (config.model.zeroInitResidual && !spec.residual)
    throw new UserError(
      `model.zeroInitResidual: ${spec.name} has no residual blocks to start at zero; remove it (it applies to ${architectures
        .all()
        .filter((a) => a.residual)
        .map((a) => a.name)
        .join(', ')})`,
    );
  if (config.model.zeroInitResidual && config.model.weights !== 'none')
    throw new UserError(
      `model.zeroInitResidual: it only shapes random initial weights, and model.weights '${config.model.weights}' replaces them; remove one of the two`,
    );
  const base = buildArchitecture(spec.name, {
    inputSize: options.inputSize,
    channels,
    includeTop: false,
    zeroInitResidual: config.model.zeroInitResidual,
    ...(config.model.alpha === undefined ? {} : { alpha: config.model.alpha }),
    ...(config.model.minimalistic === undefined ? {} : { minimalistic: config.model.minimalistic }),
  });
  const headConfig = config.model.head;
  const { pooling, dense, batchNorm, activation, dropout, tasks } = headConfig;
  const headOutputs = tasks.map((task) => ({
    name: task,
    units: TASKS[task].units(options.classes),
    activation: TASKS[task].activation,
  }));
  const outputs = buildHead(base.outputs[0]!, { pooling, dense, batchNorm, activation, dropout, outputs: headOutputs });
  const model = tf.model({ inputs: base.inputs, outputs, name: `${spec.name}_${tasks.join('_')}` });
  const head = headModel(model, base, tasks);
  seedWeights(model, config.seed);
  if (config.model.batchNormMomentum !== undefined) setBatchNormMomentum(model, config.model.batchNormMomentum);
  const result: ExperimentModel = {
    model,
    base,
    head,
    outputs: headConfig.tasks.map((task) => ({
      name: task,
      loss: TASKS[task].loss,
      weight: headConfig.lossWeights[task] ?? 1,
    })),
    input: model.inputs[0]!.shape.slice(1) as number[],
    channels,
    preprocess: spec.preprocess,
    applyFreeze(freeze) {
      const spec: FreezeSpec =
        freeze === 'all' ? 'none' : typeof freeze === 'number' ? { trainableTop: freeze } : freeze;
      const plan = applyFreeze(base, spec);
      return spec === 'none' ? undefined : plan.description;
    },
  };
  if (config.model.weights !== 'none') loadBaseWeights(result, config.model.weights, options.runsRoot);
  return result;
}
