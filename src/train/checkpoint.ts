/**
 * The run's checkpoint after every epoch (DESIGN.md §3 `checkpoint/`): model weights, optimizer slots, the best
 * weights early stopping holds, and the JSON state of the loop and its callbacks. Each epoch is written into its
 * own folder and only then published by rewriting `latest.json` atomically, so a kill at any moment leaves the
 * previous complete checkpoint readable; older folders are removed after publishing.
 */
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeJsonAtomic } from '../runs/atomic.ts';
import { readEncoded, writeEncoded, type EncodedWeights } from './weights_io.ts';

/** One epoch's record in history.json. */
export interface EpochRecord {
  /** 1-based epoch number over all stages. */
  epoch: number;
  /** 0-based stage index (0 without stages). */
  stage: number;
  lr: number;
  seconds: number;
  /** loss, acc, val_loss, val_acc, per-output figures ... */
  logs: Record<string, number>;
}

/** JSON part of a checkpoint. */
export interface CheckpointState {
  /** Epochs finished. */
  epoch: number;
  /** Optimizer steps taken (seeds the per-step dropout masks). */
  step: number;
  learningRate: number;
  history: EpochRecord[];
  /** `state()` of each callback, in the order the trainer holds them. */
  callbacks: unknown[];
  stopTraining: boolean;
  stopReason?: string;
}

export interface CheckpointFiles {
  model: EncodedWeights;
  optimizer: EncodedWeights;
  best?: EncodedWeights;
}

export interface Checkpoint extends CheckpointFiles {
  state: CheckpointState;
}

const LATEST = 'latest.json';

function epochFolder(epoch: number): string {
  return `epoch-${String(epoch).padStart(4, '0')}`;
}

/**
 * Writes the checkpoint of a finished epoch and publishes it.
 *
 * @example
 * saveCheckpoint('runs/a/checkpoint', { state, model: await encodeNamed(...), optimizer: await optimizer.serialize() });
 */
export function saveCheckpoint(dir: string, checkpoint: Checkpoint): void {
  const folder = epochFolder(checkpoint.state.epoch);
  const target = join(dir, folder);
  rmSync(target, { recursive: true, force: true });
  writeEncoded(join(target, 'model'), checkpoint.model);
  writeEncoded(join(target, 'optimizer'), checkpoint.optimizer);
  if (checkpoint.best !== undefined) writeEncoded(join(target, 'best'), checkpoint.best);
  writeJsonAtomic(join(target, 'state.json'), checkpoint.state);
  writeJsonAtomic(join(dir, LATEST), { folder, epoch: checkpoint.state.epoch });
  for (const entry of readdirSync(dir)) {
    if (entry.startsWith('epoch-') && entry !== folder) rmSync(join(dir, entry), { recursive: true, force: true });
  }
}

/** The last published checkpoint, or undefined when there is none. */
export function loadCheckpoint(dir: string): Checkpoint | undefined {
  const latest = join(dir, LATEST);
  if (!existsSync(latest)) return undefined;
  const { folder } = JSON.parse(readFileSync(latest, 'utf8')) as { folder: string };
  const source = join(dir, folder);
  return {
    state: JSON.parse(readFileSync(join(source, 'state.json'), 'utf8')) as CheckpointState,
    model: readEncoded(join(source, 'model')),
    optimizer: readEncoded(join(source, 'optimizer')),
    ...(existsSync(join(source, 'best.json')) ? { best: readEncoded(join(source, 'best')) } : {}),
  };
}
