/**
 * Training callbacks (docs/ARCHITECTURE.md §6): a base class with do-nothing async hooks, and one shared `Monitor`
 * (`monitor`, `mode`, `minDelta`) that early stopping and the plateau schedule reuse, as Keras's callbacks do
 * (keras/callbacks.py). A callback with state that must survive `--resume` implements `state()`/`restore()`.
 */
import type { LayersModel } from '@tensorflow/tfjs';
import { tf } from '../tf.ts';
import { monitorMode } from '../metrics/registry.ts';
import { assignWeights, snapshotWeights, type NamedTensor } from '../models/weights_io.ts';
import { UserError } from '../errors.ts';
import { saveCheckpoint, type Checkpoint, type EpochRecord } from './checkpoint.ts';
import { scheduledRate, type ScheduleConfig } from './schedules.ts';

/** Numbers logged for one batch or epoch: `loss`, `acc`, `val_loss`, `lr`, ... */
export type Logs = Record<string, number>;

/** What a callback may read and steer while training runs. */
export interface TrainingContext {
  model: LayersModel;
  /** Total epochs planned (all stages). */
  epochs: number;
  /** Batches per epoch when known (for ETAs). */
  batchesPerEpoch: number | undefined;
  /** Learning rate of the next step; writing it changes the optimizer's rate. */
  learningRate: number;
  /** Set to true to stop after the current epoch. */
  stopTraining: boolean;
  /** Why training stopped early, for the summary ('early stopping at epoch 7'). */
  stopReason?: string;
  /** The epoch running (0-based, over all stages). */
  epoch: number;
  /** The running stage: its base learning rate, the epoch within it (0-based) and its length. */
  stage: { lr: number; epoch: number; epochs: number };
}

/**
 * Base class of every callback: each hook does nothing unless overridden.
 *
 * @example
 * class PrintLoss extends Callback {
 *   override async onEpochEnd(epoch: number, logs: Logs) { console.log(epoch, logs.loss); }
 * }
 */
export class Callback {
  /** Called once before the first epoch (also on resume, after `restore`). */
  async onTrainBegin(_context: TrainingContext): Promise<void> {}
  async onEpochBegin(_epoch: number, _context: TrainingContext): Promise<void> {}
  async onBatchEnd(_batch: number, _logs: Logs, _context: TrainingContext): Promise<void> {}
  /** `epoch` counts from 0; `logs` holds the epoch's training and validation figures. */
  async onEpochEnd(_epoch: number, _logs: Logs, _context: TrainingContext): Promise<void> {}
  /**
   * After every callback's onEpochEnd, once the trainer has recorded the epoch (history, learning rate, callbacks'
   * states): `checkpoint()` gives this moment's complete checkpoint, for a callback that writes one; `record` is the
   * epoch as history.json has it.
   */
  async onEpochRecorded(
    _checkpoint: () => Promise<Checkpoint>,
    _context: TrainingContext,
    _record: EpochRecord,
  ): Promise<void> {}
  async onTrainEnd(_context: TrainingContext): Promise<void> {}
  /** JSON state saved in each checkpoint; undefined when the callback keeps none. */
  state(): unknown {
    return undefined;
  }
  /** Restores what `state()` returned. */
  restore(_state: unknown): void {}
  /**
   * Whether this callback holds weights between epochs (early stopping's best epoch): the trainer then saves
   * `heldWeights()` with each checkpoint and gives them back through `holdWeights` on --resume. One callback at most.
   */
  get holdsWeights(): boolean {
    return false;
  }
  heldWeights(): NamedTensor[] | undefined {
    return undefined;
  }
  /** Takes weights from a checkpoint (the callback keeps them, and disposes them when done). */
  holdWeights(_weights: NamedTensor[]): void {}
}

export interface MonitorArgs {
  /** Logged quantity to watch. Default 'val_loss'. */
  monitor?: string;
  /** 'min': lower is better; 'max': higher is better; 'auto': the direction src/metrics/registry.ts declares (a loss goes down; an unknown name too, as in Keras). Default 'auto'. */
  mode?: 'min' | 'max' | 'auto';
  /** Smallest change that counts as an improvement. Default 0. */
  minDelta?: number;
}

/**
 * The shared "did it improve?" logic of Keras's EarlyStopping, ModelCheckpoint and ReduceLROnPlateau.
 *
 * @example
 * const monitor = new Monitor({ monitor: 'val_acc' }); // mode 'max'
 * monitor.improved(0.8, -Infinity); // true
 */
export class Monitor {
  readonly monitor: string;
  readonly mode: 'min' | 'max';
  readonly minDelta: number;

  constructor(args: MonitorArgs = {}) {
    this.monitor = args.monitor ?? 'val_loss';
    const mode = args.mode ?? 'auto';
    // A name the registry cannot place goes down, as in Keras ('min' unless told otherwise).
    this.mode = mode === 'auto' ? (monitorMode(this.monitor) ?? 'min') : mode;
    this.minDelta = Math.abs(args.minDelta ?? 0);
  }

  /** The worst possible value, where tracking starts. */
  get initial(): number {
    return this.mode === 'min' ? Infinity : -Infinity;
  }

  /** The monitored value in `logs`; throws naming the logged keys when it is missing. */
  read(logs: Logs): number {
    const value = logs[this.monitor];
    if (value === undefined)
      throw new Error(`monitor '${this.monitor}' is not logged; logged: ${Object.keys(logs).join(', ')}`);
    return value;
  }

  improved(current: number, best: number): boolean {
    return this.mode === 'min' ? current < best - this.minDelta : current > best + this.minDelta;
  }
}

export interface EarlyStoppingArgs extends MonitorArgs {
  /** Epochs without improvement before stopping. Default 5. */
  patience?: number;
  /** Put back the weights of the best epoch when training ends (tfjs lacks this: tfjs#8488). Default true. */
  restoreBestWeights?: boolean;
}

interface EarlyStoppingState {
  best: number | null;
  bestEpoch: number;
  wait: number;
}

/**
 * Stops when the monitored value has not improved for `patience` epochs, and restores the best weights.
 * The best weights live in memory here; the trainer's checkpoint saves them for `--resume`.
 *
 * @example
 * const stop = earlyStopping({ monitor: 'val_loss', patience: 3 });
 */
export class EarlyStopping extends Callback {
  readonly monitor: Monitor;
  readonly patience: number;
  readonly restoreBestWeights: boolean;
  best: number;
  bestEpoch = -1;
  wait = 0;
  /** Weights of the best epoch (kept tensors, by weight name), or undefined. */
  bestWeights: NamedTensor[] | undefined;

  constructor(args: EarlyStoppingArgs = {}) {
    super();
    this.monitor = new Monitor(args);
    this.patience = args.patience ?? 5;
    this.restoreBestWeights = args.restoreBestWeights ?? true;
    this.best = this.monitor.initial;
  }

  override async onEpochEnd(epoch: number, logs: Logs, context: TrainingContext): Promise<void> {
    const current = this.monitor.read(logs);
    if (this.monitor.improved(current, this.best)) {
      this.best = current;
      this.bestEpoch = epoch;
      this.wait = 0;
      if (this.restoreBestWeights) this.keepWeights(snapshotWeights(context.model));
      return;
    }
    // As Keras: a first epoch that does not improve (a NaN) is still kept, so that there is always a best to restore.
    if (this.restoreBestWeights && this.bestWeights === undefined) {
      this.keepWeights(snapshotWeights(context.model));
      this.bestEpoch = epoch;
    }
    this.wait++;
    // As Keras: never stop after the first epoch.
    if (this.wait >= this.patience && epoch > 0) {
      context.stopTraining = true;
      context.stopReason = `early stopping: ${this.monitor.monitor} did not improve for ${this.patience} epochs after epoch ${this.bestEpoch + 1}`;
    }
  }

  override async onTrainEnd(context: TrainingContext): Promise<void> {
    if (this.restoreBestWeights && this.bestWeights !== undefined) assignWeights(context.model, this.bestWeights);
    this.keepWeights(undefined);
  }

  /** Replaces the held best weights (disposing the old ones). */
  keepWeights(weights: NamedTensor[] | undefined): void {
    if (this.bestWeights !== undefined) tf.dispose(this.bestWeights.map((entry) => entry.tensor));
    this.bestWeights = weights?.map((entry) => ({ name: entry.name, tensor: tf.keep(entry.tensor) }));
  }

  override get holdsWeights(): boolean {
    return this.restoreBestWeights;
  }

  override heldWeights(): NamedTensor[] | undefined {
    return this.bestWeights;
  }

  override holdWeights(weights: NamedTensor[]): void {
    this.keepWeights(weights);
  }

  override state(): EarlyStoppingState {
    return { best: Number.isFinite(this.best) ? this.best : null, bestEpoch: this.bestEpoch, wait: this.wait };
  }

  override restore(state: unknown): void {
    const s = state as EarlyStoppingState;
    this.best = s.best ?? this.monitor.initial;
    this.bestEpoch = s.bestEpoch;
    this.wait = s.wait;
  }
}

/** Factory of `EarlyStopping`. */
export function earlyStopping(args: EarlyStoppingArgs = {}): EarlyStopping {
  return new EarlyStopping(args);
}

export interface ReduceLrOnPlateauArgs extends MonitorArgs {
  /** Multiplier applied to the learning rate. Default 0.1. */
  factor?: number;
  /** Epochs without improvement before reducing. Default 3. */
  patience?: number;
  /** Lower bound of the learning rate. Default 0. */
  minLr?: number;
  /** Epochs to wait after a reduction before counting again. Default 0. */
  cooldown?: number;
}

interface PlateauState {
  best: number | null;
  wait: number;
  cooldown: number;
}

/**
 * Keras's ReduceLROnPlateau: multiplies the learning rate by `factor` after `patience` epochs without improvement.
 *
 * @example
 * const plateau = reduceLrOnPlateau({ monitor: 'val_loss', factor: 0.5, patience: 2 });
 */
export class ReduceLrOnPlateau extends Callback {
  readonly monitor: Monitor;
  readonly factor: number;
  readonly patience: number;
  readonly minLr: number;
  readonly cooldown: number;
  private best: number;
  private wait = 0;
  private cooldownLeft = 0;

  constructor(args: ReduceLrOnPlateauArgs = {}) {
    super();
    this.monitor = new Monitor(args);
    this.factor = args.factor ?? 0.1;
    this.patience = args.patience ?? 3;
    this.minLr = args.minLr ?? 0;
    this.cooldown = args.cooldown ?? 0;
    this.best = this.monitor.initial;
  }

  override async onEpochEnd(_epoch: number, logs: Logs, context: TrainingContext): Promise<void> {
    const current = this.monitor.read(logs);
    if (this.cooldownLeft > 0) this.cooldownLeft--;
    if (this.monitor.improved(current, this.best)) {
      this.best = current;
      this.wait = 0;
      return;
    }
    if (this.cooldownLeft > 0) return;
    this.wait++;
    if (this.wait >= this.patience && context.learningRate > this.minLr) {
      context.learningRate = Math.max(context.learningRate * this.factor, this.minLr);
      this.cooldownLeft = this.cooldown;
      this.wait = 0;
    }
  }

  override state(): PlateauState {
    return { best: Number.isFinite(this.best) ? this.best : null, wait: this.wait, cooldown: this.cooldownLeft };
  }

  override restore(state: unknown): void {
    const s = state as PlateauState;
    this.best = s.best ?? this.monitor.initial;
    this.wait = s.wait;
    this.cooldownLeft = s.cooldown;
  }
}

/** Factory of `ReduceLrOnPlateau`. */
export function reduceLrOnPlateau(args: ReduceLrOnPlateauArgs = {}): ReduceLrOnPlateau {
  return new ReduceLrOnPlateau(args);
}

/** The loss became NaN or infinite: a user error (learning rate, inputs), with the epoch, batch and rate. */
export class DivergedError extends UserError {}

/**
 * Ends training with a DivergedError at the first batch whose loss is not finite (Keras's TerminateOnNaN, as an
 * error that says what to change). The trainer runs it before every other callback, so none sees that batch.
 */
export class DivergenceStop extends Callback {
  override async onBatchEnd(batch: number, logs: Logs, context: TrainingContext): Promise<void> {
    if (Number.isFinite(logs['loss'])) return;
    throw new DivergedError(
      `loss became ${logs['loss']} at epoch ${context.epoch + 1}, batch ${batch + 1} (learning rate ${context.learningRate}). ` +
        'Fix: lower train.optimizer.lr, or check the data for NaN inputs; the last finished epoch is in the checkpoint.',
    );
  }
}

/**
 * Sets each epoch's learning rate from a schedule of the epoch within its stage (schedules.ts: constant, step,
 * cosine); `plateau` is ReduceLrOnPlateau's. The trainer runs it before the other callbacks' onEpochBegin.
 *
 * @example
 * const schedule = new LearningRateSchedule({ name: 'cosine', minLr: 0 });
 */
export class LearningRateSchedule extends Callback {
  constructor(private readonly schedule: ScheduleConfig) {
    super();
  }

  override async onEpochBegin(_epoch: number, context: TrainingContext): Promise<void> {
    const rate = scheduledRate(this.schedule, context.stage.lr, context.stage.epoch, context.stage.epochs);
    if (rate !== undefined) context.learningRate = rate;
  }
}

/**
 * Writes a checkpoint into `dir` after every recorded epoch (checkpoint.ts keeps the two newest), so that --resume
 * continues where a killed run stopped.
 *
 * @example
 * const writer = new CheckpointWriter('runs/a/checkpoint');
 */
export class CheckpointWriter extends Callback {
  constructor(private readonly dir: string) {
    super();
  }

  override async onEpochRecorded(checkpoint: () => Promise<Checkpoint>): Promise<void> {
    saveCheckpoint(this.dir, await checkpoint());
  }
}
