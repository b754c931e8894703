/**
 * What the trainer takes, shared by the trainer and the step runners (eager, traced) without their importing each
 * other: the model's outputs with their losses, and the batches.
 */
import type { Tensor } from '@tensorflow/tfjs';
import type { LossName } from './losses.ts';

/** One model output and how it is trained. */
export interface OutputSpec {
  /** Name used in the logs ('classification', 'valence_arousal'). */
  name: string;
  loss: LossName;
  /** Weight of this output's loss in the total. Default 1. */
  weight?: number;
}

/** One batch: inputs and one target per output. The trainer disposes both after use. */
export interface Batch {
  x: Tensor;
  targets: Tensor[];
}

/** Where batches come from; `batches(epoch)` must give the same order for the same epoch (seeded shuffles). */
export interface BatchSource {
  batches(epoch: number): AsyncIterable<Batch> | Iterable<Batch>;
  /** Batches per epoch, when known (progress ETA). */
  batchCount?: number;
}
