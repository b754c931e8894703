/**
 * The training loop: a custom loop over `tf.variableGrads` (not `model.fit`), so that multi-task weighted losses
 * with NaN-masked targets, learning-rate schedules, stages, early stopping that restores the best weights and
 * per-epoch checkpoints with optimizer state are all under percept's control (tfjs lacks each: docs/ARCHITECTURE.md §7).
 */
import type { LayersModel } from '@tensorflow/tfjs';
import { tf } from '../tf.ts';
import { nativeOps } from '../kernels/native_op.ts';
import {
  Callback,
  CheckpointWriter,
  DivergenceStop,
  LearningRateSchedule,
  ReduceLrOnPlateau,
  type Logs,
  type TrainingContext,
} from './callbacks.ts';
import {
  checkpointMismatch,
  loadCheckpoint,
  type Checkpoint,
  type CheckpointState,
  type EpochRecord,
} from './checkpoint.ts';
import { forward } from './forward.ts';
import type { BatchSource, OutputSpec } from './types.ts';
import { TrainOptimizer, type OptimizerKernels } from './optimizers.ts';
import type { OptimizerConfig } from './update_rules.ts';
import type { ScheduleConfig } from './schedules.ts';
import { SeededDropout } from './seeded_dropout.ts';
import { TracedSteps, tracingUnavailable } from './traced_step.ts';
import { TensorBoardLogger, type TensorBoardOptions } from './tensorboard.ts';
import {
  EagerSteps,
  figureLogs,
  figureTensor,
  type StepContext,
  type StepMode,
  type StepRunner,
} from './train_step.ts';
import { assignWeights, decodeNamed, encodeNamed, snapshotWeights, type NamedTensor } from '../models/weights_io.ts';

/** One training stage, e.g. 5 epochs with the base frozen at 1e-4, then the top 20 layers at 1e-5. */
export interface StageConfig {
  epochs: number;
  /** The stage's base learning rate. Default: the optimizer's. */
  lr?: number;
  /** Layers from the top left trainable; the caller's `onStage` applies it. */
  trainableTop?: number;
}

export interface TrainOptions {
  model: LayersModel;
  outputs: OutputSpec[];
  train: BatchSource;
  validation?: BatchSource;
  /** Epochs when there are no stages. */
  epochs: number;
  optimizer: OptimizerConfig;
  /** Default constant. */
  schedule?: ScheduleConfig;
  stages?: StageConfig[];
  /** Applies a stage's freezing; called at each stage's start and on resume. Each stage gets a fresh optimizer, as a Keras recompile does. */
  onStage?: (stage: StageConfig, index: number) => void;
  callbacks?: Callback[];
  /** Folder of the per-epoch checkpoints; none are written without it. */
  checkpointDir?: string;
  /** Continue from the last intact checkpoint in `checkpointDir`. */
  resume?: boolean;
  /** TensorBoard event files of every recorded epoch (src/train/tensorboard.ts); none without it. */
  tensorboard?: TensorBoardOptions;
  /** Status lines: where a resume continues from, and which damaged checkpoint it skipped. Default: none. */
  log?: (line: string) => void;
  /** Seeds the per-step dropout masks. Default 0. */
  seed?: number;
  /**
   * `auto` (default): on the native backend each step runs as one traced TensorFlow function (src/train/traced_step.ts),
   * falling back to eager steps where it cannot, and saying why once; `eager`: op by op through tfjs, always.
   */
  stepMode?: StepMode;
  /**
   * Where eager steps update the variables: 'auto' (default), TensorFlow's fused `ResourceApply*` kernels on the
   * native backend; 'composite', the same formula as tfjs ops, which is what a traced step runs inside its graph.
   */
  optimizerKernels?: OptimizerKernels;
}

export interface TrainResult {
  history: EpochRecord[];
  stopReason?: string;
  /** Epochs that were already finished when a resumed run started; 0 otherwise. */
  resumedFrom: number;
  /** Seconds spent training, summed over every session of a resumed run (the epochs a kill lost are not counted). */
  trainSeconds: number;
  /** Steps of this session that ran as one traced function call (the others ran eagerly). */
  tracedSteps: number;
  /** Why steps ran eagerly under stepMode 'auto', when some did for a reason other than being a shape's first step. */
  eagerReason?: string;
}

interface Plan {
  stages: StageConfig[];
  /** First epoch (0-based) of each stage. */
  starts: number[];
  epochs: number;
}

function plan(options: TrainOptions): Plan {
  const stages =
    options.stages !== undefined && options.stages.length > 0 ? options.stages : [{ epochs: options.epochs }];
  const starts: number[] = [];
  let total = 0;
  for (const stage of stages) {
    starts.push(total);
    total += stage.epochs;
  }
  return { stages, starts, epochs: total };
}

function stageOf(p: Plan, epoch: number): number {
  let index = 0;
  while (index + 1 < p.starts.length && epoch >= p.starts[index + 1]!) index++;
  return index;
}

/** Dropout layers read `seed` on every call; setting it per step makes masks reproducible and resumable (tfjs has no global seed). */
function seedDropout(model: LayersModel, seed: number, step: number): void {
  model.layers.forEach((layer, index) => {
    if (!/Dropout/.test(layer.getClassName())) return;
    // seedrandom treats 0 as 'no seed', hence the +1.
    (layer as unknown as { seed?: number }).seed = (((seed * 1_000_003 + step) * 131 + index) % 2_147_483_647) + 1;
  });
}

/** Accumulates batch-size-weighted sums of logged figures. */
class Averager {
  private sums = new Map<string, number>();
  private count = 0;

  add(values: Logs, size: number): void {
    for (const [key, value] of Object.entries(values)) this.sums.set(key, (this.sums.get(key) ?? 0) + value * size);
    this.count += size;
  }

  means(prefix = ''): Logs {
    const logs: Logs = {};
    for (const [key, sum] of this.sums) logs[`${prefix}${key}`] = sum / this.count;
    return logs;
  }
}

/**
 * Evaluates `model` on a source in inference mode: the mean loss and metrics (unprefixed).
 *
 * @example
 * const logs = await evaluateLoss(model, outputs, validation); // { loss, acc }
 */
export async function evaluateLoss(
  model: LayersModel,
  outputs: readonly OutputSpec[],
  source: BatchSource,
  epoch = 0,
): Promise<Logs> {
  const averager = new Averager();
  for await (const batch of source.batches(epoch)) {
    const figures = tf.tidy(() => figureTensor(outputs, batch.targets, forward(model, batch.x, false)));
    averager.add(figureLogs(outputs, figures.dataSync()), batch.x.shape[0]);
    tf.dispose([figures, batch.x, ...batch.targets]);
  }
  return averager.means();
}

/**
 * Trains `model` and returns its history; see TrainOptions for the knobs.
 *
 * @example
 * const { history } = await train({
 *   model, outputs: [{ name: 'classification', loss: 'sparse_categorical_crossentropy' }],
 *   train: tensorSource(x, [y], { batchSize: 32, shuffle: true, seed: 1 }), epochs: 10,
 *   optimizer: { name: 'adamw', lr: 1e-3, weightDecay: 1e-4 }, schedule: { name: 'cosine', minLr: 0 },
 *   callbacks: [earlyStopping({ patience: 3 }), terminalProgress()], checkpointDir: 'runs/a/checkpoint',
 * });
 */
export async function train(options: TrainOptions): Promise<TrainResult> {
  const { model, outputs } = options;
  const p = plan(options);
  const seed = options.seed ?? 0;
  const schedule = options.schedule ?? { name: 'constant' };
  // The configured callbacks: checkpoints keep their states by position, as earlier versions wrote them.
  const callbacks: Callback[] = [
    ...(schedule.name === 'plateau'
      ? [
          new ReduceLrOnPlateau({
            monitor: schedule.monitor,
            factor: schedule.factor,
            patience: schedule.patience,
            minLr: schedule.minLr,
          }),
        ]
      : []),
    ...(options.callbacks ?? []),
  ];
  const tensorboard = options.tensorboard === undefined ? undefined : new TensorBoardLogger(options.tensorboard);
  // Every callback in the order its hooks run: the divergence stop before anything sees a non-finite loss, the
  // schedule before anything reads the epoch's rate, the checkpoint after the epoch is recorded. These three keep no state.
  const ordered: Callback[] = [
    new DivergenceStop(),
    new LearningRateSchedule(schedule),
    ...callbacks,
    ...(options.checkpointDir === undefined ? [] : [new CheckpointWriter(options.checkpointDir)]),
    // After the checkpoint: an epoch is logged once it is saved (a resume replays the history into TensorBoard).
    ...(tensorboard === undefined ? [] : [tensorboard]),
  ];
  // The callback whose weights each checkpoint carries (early stopping's best epoch), if any.
  const holder = callbacks.find((callback) => callback.holdsWeights);
  const context: TrainingContext = {
    model,
    epochs: p.epochs,
    batchesPerEpoch: options.train.batchCount,
    learningRate: p.stages[0]!.lr ?? options.optimizer.lr,
    stopTraining: false,
    epoch: 0,
    stage: { lr: p.stages[0]!.lr ?? options.optimizer.lr, epoch: 0, epochs: p.stages[0]!.epochs },
  };
  let state: CheckpointState = {
    epoch: 0,
    step: 0,
    learningRate: context.learningRate,
    history: [],
    callbacks: [],
    stopTraining: false,
  };
  let optimizer: TrainOptimizer | undefined;
  let steps: StepRunner | undefined;
  let optimizerStage = -1;
  let tracedSteps = 0;
  let eagerReason = options.stepMode === 'eager' ? undefined : tracingUnavailable();
  const traced = options.stepMode !== 'eager' && eagerReason === undefined;
  const ops = nativeOps(tf);
  // TensorFlow draws the dropout masks on the native backend, from a seed tensor a traced step takes as an input.
  const dropout = ops === undefined ? undefined : new SeededDropout(model, ops);
  const status = options.log ?? ((line: string) => process.stderr.write(`percept: ${line}\n`));

  const endStage = (): void => {
    if (steps instanceof TracedSteps) {
      tracedSteps += steps.replays;
      eagerReason ??= steps.fallbackReason;
    }
    steps?.dispose();
    optimizer?.dispose();
  };
  const startStage = async (index: number, restore?: Parameters<TrainOptimizer['deserialize']>[0]): Promise<void> => {
    options.onStage?.(p.stages[index]!, index);
    endStage();
    // A traced step updates the slots as tfjs tensors inside its graph; eager steps use TensorFlow's fused kernels.
    optimizer = new TrainOptimizer(
      { ...options.optimizer, lr: p.stages[index]!.lr ?? options.optimizer.lr },
      traced ? 'composite' : (options.optimizerKernels ?? 'auto'),
    );
    optimizerStage = index;
    if (restore !== undefined) await optimizer.deserialize(restore);
    const stepContext: StepContext = {
      model,
      outputs,
      optimizer,
      dropout,
      seed,
      fallbackKernels: options.optimizerKernels ?? 'auto',
    };
    steps = traced ? new TracedSteps(stepContext, status) : new EagerSteps(stepContext);
  };

  const sessionStarted = performance.now();
  const checkpoint =
    options.resume === true && options.checkpointDir !== undefined
      ? loadCheckpoint(options.checkpointDir, options.log)
      : undefined;
  if (checkpoint !== undefined) {
    state = checkpoint.state;
    options.log?.(`resuming from ${checkpoint.folder} after epoch ${state.epoch} of ${p.epochs}`);
    try {
      // The state the uninterrupted run had after this epoch: its stage with that stage's optimizer. A checkpoint at a
      // stage's last epoch is no exception; the loop below then starts the next stage exactly as that run did.
      await startStage(stageOf(p, Math.max(0, state.epoch - 1)), checkpoint.optimizer);
      const weights = decodeNamed(checkpoint.model);
      try {
        assignWeights(model, weights);
      } finally {
        tf.dispose(weights.map((entry) => entry.tensor));
      }
      if (checkpoint.best !== undefined && holder !== undefined) holder.holdWeights(decodeNamed(checkpoint.best));
      callbacks.forEach((callback, i) => {
        if (state.callbacks[i] !== undefined) callback.restore(state.callbacks[i]);
      });
    } catch (error) {
      throw checkpointMismatch(checkpoint.folder, error);
    }
    tensorboard?.restart(state.history);
    context.learningRate = state.learningRate;
    context.stopTraining = state.stopTraining;
    if (state.stopReason !== undefined) context.stopReason = state.stopReason;
  }
  const resumedFrom = state.epoch;
  // Checkpoints of older versions lack the total: their epochs' own seconds are the closest record of it.
  const earlierSeconds = state.trainSeconds ?? state.history.reduce((sum, record) => sum + record.seconds, 0);
  const trainSeconds = (): number => earlierSeconds + (performance.now() - sessionStarted) / 1000;

  for (const callback of ordered) await callback.onTrainBegin(context);
  try {
    for (let epoch = state.epoch; epoch < p.epochs && !context.stopTraining; epoch++) {
      const stage = stageOf(p, epoch);
      const stageLr = p.stages[stage]!.lr ?? options.optimizer.lr;
      if (stage !== optimizerStage) {
        await startStage(stage);
        context.learningRate = stageLr;
      }
      context.epoch = epoch;
      context.stage = { lr: stageLr, epoch: epoch - p.starts[stage]!, epochs: p.stages[stage]!.epochs };
      for (const callback of ordered) await callback.onEpochBegin(epoch, context);
      optimizer!.learningRate = context.learningRate;

      const started = performance.now();
      const averager = new Averager();
      let batchIndex = 0;
      for await (const batch of options.train.batches(epoch)) {
        if (dropout === undefined) seedDropout(model, seed, state.step);
        let logs: Logs;
        try {
          logs = steps!.run(batch, {
            lr: context.learningRate,
            iteration: optimizer!.stepsTaken + 1,
            step: state.step,
          });
        } finally {
          tf.dispose([batch.x, ...batch.targets]);
        }
        state.step++;
        for (const callback of ordered) await callback.onBatchEnd(batchIndex, logs, context);
        averager.add(logs, batch.x.shape[0]);
        batchIndex++;
      }
      const logs: Logs = {
        ...averager.means(),
        ...(options.validation === undefined
          ? {}
          : await evaluateLoss(model, outputs, options.validation, epoch).then((v) => prefixed(v))),
      };
      const lr = context.learningRate;
      for (const callback of ordered) await callback.onEpochEnd(epoch, logs, context);
      state.history.push({ epoch: epoch + 1, stage, lr, seconds: (performance.now() - started) / 1000, logs });
      state.epoch = epoch + 1;
      state.learningRate = context.learningRate;
      state.stopTraining = context.stopTraining;
      if (context.stopReason !== undefined) state.stopReason = context.stopReason;
      state.callbacks = callbacks.map((callback) => callback.state());
      state.trainSeconds = trainSeconds();
      const stepOptimizer = optimizer!;
      for (const callback of ordered)
        await callback.onEpochRecorded(
          () => checkpointOf(model, stepOptimizer, state, holder?.heldWeights()),
          context,
          state.history.at(-1)!,
        );
    }
  } finally {
    endStage();
    dropout?.uninstall();
    tensorboard?.close();
  }
  for (const callback of ordered) await callback.onTrainEnd(context);
  return {
    history: state.history,
    ...(context.stopReason === undefined ? {} : { stopReason: context.stopReason }),
    resumedFrom,
    trainSeconds: trainSeconds(),
    tracedSteps,
    ...(eagerReason === undefined || options.stepMode === 'eager' ? {} : { eagerReason }),
  };
}

function prefixed(logs: Logs): Logs {
  return Object.fromEntries(Object.entries(logs).map(([key, value]) => [`val_${key}`, value]));
}

/** The checkpoint of this moment: the loop's state, the model's and the optimizer's weights, and the held best weights. */
async function checkpointOf(
  model: LayersModel,
  optimizer: TrainOptimizer,
  state: CheckpointState,
  held: NamedTensor[] | undefined,
): Promise<Checkpoint> {
  const weights = snapshotWeights(model);
  try {
    return {
      state,
      model: await encodeNamed(weights),
      optimizer: await optimizer.serialize(),
      ...(held === undefined ? {} : { best: await encodeNamed(held) }),
    };
  } finally {
    tf.dispose(weights.map((entry) => entry.tensor));
  }
}
