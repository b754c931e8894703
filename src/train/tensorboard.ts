/**
 * TensorBoard event files, written by TensorFlow's own summary writer (the `CreateSummaryFileWriter`,
 * `WriteScalarSummary`, `WriteSummary` and `CloseSummaryWriter` ops through tfjs-node's backend), laid out as
 * Keras's TensorBoard callback lays them out: `DIR/train/` holds `epoch_loss`, `epoch_<metric>` and
 * `epoch_learning_rate`, `DIR/validation/` the same figures without their `val_` prefix, each at step = the 0-based
 * epoch, so that TensorBoard draws train and validation curves on one chart. Weight histograms
 * (`<weight>/histogram`) go to `train/` when asked.
 *
 * tfjs-node's own `tf.node.summaryFileWriter` keeps every writer open for the life of the process, keyed by folder:
 * a run folder cleaned and trained again in one process (a notebook, the demo) would write into a deleted file.
 * This writer closes its files when training ends.
 */
import type { LayersModel, Tensor } from '@tensorflow/tfjs';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tf, backendInfo } from '../tf.ts';
import { Callback, type TrainingContext } from './callbacks.ts';
import type { Checkpoint, EpochRecord } from './checkpoint.ts';

/** The parts of tfjs-node's backend that write summaries (nodejs_kernel_backend.js). */
interface SummaryBackend {
  summaryWriter(logdir: string): Tensor;
  createSummaryFileWriter(handle: Tensor, logdir: string, maxQueue?: number, flushMillis?: number): void;
  writeScalarSummary(handle: Tensor, step: number, name: string, value: number): void;
  writeHistogramSummary(handle: Tensor, step: number, name: string, data: Tensor, buckets?: number): void;
  flushSummaryWriter(handle: Tensor): void;
  executeMultipleOutputs(name: string, attrs: never[], inputs: Tensor[], numOutputs: number): Tensor[];
}

/** Why no event file can be written here, or undefined when it can (the native backend). */
export function tensorboardUnavailable(): string | undefined {
  return backendInfo.kind === 'js'
    ? 'TensorBoard event files need the native backend (TensorFlow writes them); pure-JS TensorFlow.js has no summary writer'
    : undefined;
}

/**
 * One event file in `logdir`, open until `close`.
 *
 * @example
 * const writer = new EventFileWriter('runs/a/tensorboard/train');
 * writer.scalar('epoch_loss', 0.42, 0);
 * writer.close();
 */
export class EventFileWriter {
  private readonly backend = tf.backend() as unknown as SummaryBackend;
  private handle: Tensor | undefined;

  constructor(readonly logdir: string) {
    const handle = this.backend.summaryWriter(logdir);
    // Flushed by hand after each epoch; the queue and timer only bound what a crash mid-epoch loses. In a tidy: tfjs-node
    // makes its four arguments scalar tensors and never frees them.
    tf.tidy(() => this.backend.createSummaryFileWriter(handle, logdir, 100, 60_000));
    this.handle = handle;
  }

  private open(): Tensor {
    if (this.handle === undefined) throw new Error(`EventFileWriter: ${this.logdir} is closed`);
    return this.handle;
  }

  scalar(tag: string, value: number, step: number): void {
    this.backend.writeScalarSummary(this.open(), step, tag, value);
  }

  /** TensorBoard's histogram of every element of `values` (30 buckets, as TensorFlow's default). */
  histogram(tag: string, values: Tensor, step: number): void {
    this.backend.writeHistogramSummary(this.open(), step, tag, values, 30);
  }

  flush(): void {
    this.backend.flushSummaryWriter(this.open());
  }

  /** Flushes and closes the file; the next writer on the same folder starts a new one. */
  close(): void {
    if (this.handle === undefined) return;
    this.backend.executeMultipleOutputs('CloseSummaryWriter', [], [this.handle], 0);
    this.handle.dispose();
    this.handle = undefined;
  }
}

const FOLDERS = ['train', 'validation'] as const;

/** TensorFlow's event file names: `events.out.tfevents.<seconds>.<host>...`. */
export const EVENT_FILE = /^events\.out\.tfevents\./;

/** The tag of a log key in its folder: `val_acc` is `epoch_acc` under validation/, `loss` is `epoch_loss` under train/. */
export function tensorboardTag(key: string): { folder: 'train' | 'validation'; tag: string } {
  return key.startsWith('val_')
    ? { folder: 'validation', tag: `epoch_${key.slice('val_'.length)}` }
    : { folder: 'train', tag: `epoch_${key}` };
}

export interface TensorBoardOptions {
  /** Where `train/` and `validation/` go, e.g. `runs/NAME/tensorboard`. */
  dir: string;
  /** Also a histogram of every weight after each epoch. Default false. */
  histograms?: boolean;
}

/**
 * Writes each recorded epoch (its figures and learning rate, and weight histograms when asked) into event files.
 * The trainer runs it after the checkpoint writer, so no epoch is logged that a resume would run again, and calls
 * `restart` on resume.
 *
 * @example
 * new TensorBoardLogger({ dir: 'runs/a/tensorboard', histograms: true });
 */
export class TensorBoardLogger extends Callback {
  private writers: Partial<Record<'train' | 'validation', EventFileWriter>> = {};

  constructor(private readonly options: TensorBoardOptions) {
    super();
  }

  private writer(folder: 'train' | 'validation'): EventFileWriter {
    return (this.writers[folder] ??= new EventFileWriter(join(this.options.dir, folder)));
  }

  override async onEpochRecorded(
    _checkpoint: () => Promise<Checkpoint>,
    context: TrainingContext,
    record: EpochRecord,
  ): Promise<void> {
    this.writeScalars(record);
    if (this.options.histograms === true) writeHistograms(this.writer('train'), context.model, record.epoch - 1);
    this.flush();
  }

  /**
   * On resume: the files of the killed session may lack its last checkpointed epoch (killed between the checkpoint
   * and the log) or, never, hold a later one; they are replaced by the checkpoint's history, so every epoch is logged
   * once. The weight histograms of the earlier sessions' epochs are not kept (their weights are gone).
   */
  restart(history: readonly EpochRecord[]): void {
    this.close();
    for (const folder of FOLDERS) {
      const dir = join(this.options.dir, folder);
      if (!existsSync(dir)) continue;
      for (const name of readdirSync(dir)) if (EVENT_FILE.test(name)) rmSync(join(dir, name));
    }
    for (const record of history) this.writeScalars(record);
    this.flush();
  }

  private writeScalars(record: EpochRecord): void {
    const step = record.epoch - 1;
    for (const [key, value] of Object.entries(record.logs)) {
      if (!Number.isFinite(value)) continue;
      const { folder, tag } = tensorboardTag(key);
      this.writer(folder).scalar(tag, value, step);
    }
    this.writer('train').scalar('epoch_learning_rate', record.lr, step);
  }

  private flush(): void {
    for (const writer of Object.values(this.writers)) writer.flush();
  }

  /** Closes the event files; the trainer calls it when training ends, also by an error. */
  close(): void {
    for (const writer of Object.values(this.writers)) writer.close();
    this.writers = {};
  }
}

function writeHistograms(writer: EventFileWriter, model: LayersModel, step: number): void {
  for (const weight of model.weights) writer.histogram(`${weight.originalName}/histogram`, weight.read(), step);
}
