/**
 * One training step as tensors (forward, loss, gradients, optimizer update, the batch's figures), and the eager way
 * of running it: op by op through tfjs. src/train/traced_step.ts runs the same function as one TensorFlow function.
 */
import type { LayersModel, Scalar, Tensor, Variable } from '@tensorflow/tfjs';
import { tf } from '../tf.ts';
import { releaseDuringBackprop } from './backprop_release.ts';
import type { Logs } from './callbacks.ts';
import { forward } from './forward.ts';
import { batchMetric, computeLoss, type OutputValue } from './losses.ts';
import type { OptimizerKernels, TrainOptimizer } from './optimizers.ts';
import { SeededDropout } from './seeded_dropout.ts';
import type { Batch, OutputSpec } from './types.ts';

/** How the trainer runs its steps: `auto` traces each step into one TensorFlow function where it can, `eager` never does. */
export type StepMode = 'auto' | 'eager';

/** What one step needs beyond the batch. */
export interface StepScalars {
  lr: number;
  /** The optimizer's 1-based iteration. */
  iteration: number;
  /** The run's step count (dropout seeds). */
  step: number;
}

/** Runs a stage's training steps. */
export interface StepRunner {
  /** One optimizer step on `batch` (which stays the caller's); the batch's figures, loss before the update. */
  run(batch: Batch, scalars: StepScalars): Logs;
  dispose(): void;
}

/** The per-output loss and metric of a batch, stacked [loss0, metric0, loss1, ...] (one read per batch). */
export function figureTensor(
  outputs: readonly OutputSpec[],
  targets: readonly Tensor[],
  values: readonly OutputValue[],
): Tensor {
  return tf.tidy(() => {
    const tensors: Scalar[] = [];
    outputs.forEach((output, i) => {
      tensors.push(computeLoss(output.loss, targets[i]!, values[i]!));
      tensors.push(batchMetric(output.loss, targets[i]!, values[i]!.prediction).value);
    });
    return tf.stack(tensors);
  });
}

/** The logs of `figureTensor`'s numbers: the weighted total loss, and each output's loss and metric. */
export function figureLogs(outputs: readonly OutputSpec[], numbers: ArrayLike<number>): Logs {
  const logs: Logs = {};
  let total = 0;
  outputs.forEach((output, i) => {
    const loss = numbers[2 * i]!;
    const key = output.loss === 'mse' ? 'mae' : 'acc';
    total += (output.weight ?? 1) * loss;
    if (outputs.length === 1) logs[key] = numbers[2 * i + 1]!;
    else {
      logs[`${output.name}_loss`] = loss;
      logs[`${output.name}_${key}`] = numbers[2 * i + 1]!;
    }
  });
  return { loss: total, ...logs };
}

/** Keras's compiled loss: the sum of each output's loss times its loss weight. */
function totalLoss(outputs: readonly OutputSpec[], targets: readonly Tensor[], values: readonly OutputValue[]): Scalar {
  return tf.addN(
    outputs.map((output, i) => tf.mul(computeLoss(output.loss, targets[i]!, values[i]!), output.weight ?? 1)),
  ) as Scalar;
}

/** Every tensor of some forward outputs. */
function tensorsOf(values: readonly OutputValue[]): Tensor[] {
  return values.flatMap((value) =>
    value.logits === undefined ? [value.prediction] : [value.prediction, value.logits],
  );
}

/** What a step function closes over. */
export interface StepContext {
  model: LayersModel;
  outputs: readonly OutputSpec[];
  optimizer: TrainOptimizer;
  /** TensorFlow-drawn dropout (native backend); absent: tfjs's own, seeded per step by the trainer. */
  dropout: SeededDropout | undefined;
  seed: number;
  /** The optimizer kernels of eager steps (a traced stage that falls back moves its slots to them). */
  fallbackKernels: OptimizerKernels;
}

/** The model's trainable variables, in a stable order. */
export function trainableVariables(model: LayersModel): Variable[] {
  return model.trainableWeights.map((weight) => weight.read() as Variable);
}

/**
 * One step from tensors, inside a tf.tidy of the caller's: updates the variables and slots, returns the stacked
 * figures (kept). Everything that changes from step to step enters as a tensor: the batch, `lr`, `iteration` and
 * the dropout `seed`.
 */
export function stepTensors(
  context: StepContext,
  batch: Batch,
  lr: Scalar,
  iteration: Scalar,
  seed: Tensor | undefined,
): Tensor {
  const variables = trainableVariables(context.model);
  if (context.dropout !== undefined) context.dropout.seed = seed;
  let values: OutputValue[] = [];
  const { grads } = tf.variableGrads(() => {
    values = forward(context.model, batch.x, true);
    // Kept past variableGrads' own scope so that the figures reuse this forward pass.
    tensorsOf(values).forEach((tensor) => tf.keep(tensor));
    const loss = totalLoss(context.outputs, batch.targets, values);
    releaseDuringBackprop();
    return loss;
  }, variables);
  context.optimizer.apply(grads, variables, lr, iteration);
  const figures = figureTensor(context.outputs, batch.targets, values);
  tf.dispose(tensorsOf(values));
  return figures;
}

/** The step's scalar inputs as tensors (the caller disposes them). */
export interface ScalarInputs {
  lr: Scalar;
  iteration: Scalar;
  /** Absent when the model has no dropout. */
  seed: Tensor | undefined;
}

export function scalarInputs(context: StepContext, scalars: StepScalars): ScalarInputs {
  return {
    lr: tf.scalar(scalars.lr),
    iteration: tf.scalar(scalars.iteration),
    seed: context.dropout?.active === true ? SeededDropout.stepSeed(context.seed, scalars.step) : undefined,
  };
}

/** The scalar inputs in the order a traced step takes them (after the batch). */
export function scalarList({ lr, iteration, seed }: ScalarInputs): Tensor[] {
  return seed === undefined ? [lr, iteration] : [lr, iteration, seed];
}

/** Steps op by op through tfjs (fused optimizer kernels where the optimizer has them). */
export class EagerSteps implements StepRunner {
  constructor(private readonly context: StepContext) {}

  run(batch: Batch, scalars: StepScalars): Logs {
    const figures = tf.tidy(() => {
      const { lr, iteration, seed } = scalarInputs(this.context, scalars);
      return stepTensors(this.context, batch, lr, iteration, seed);
    });
    this.context.optimizer.advance();
    const numbers = figures.dataSync();
    figures.dispose();
    return figureLogs(this.context.outputs, numbers);
  }

  dispose(): void {}
}
