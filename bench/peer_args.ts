/**
 * The command-line arguments every model peer script under bench/peers takes (keras_train.py, torch_train.py,
 * torch_predict.py, torch_epoch.py), built in one place so each peer measures the same model and budget as percept.
 */
import { architectures } from '../src/models/index.ts';

/** One model as the bench cases measure it. */
export interface PeerModelSpec {
  /** A percept architecture name; the peers build their library's implementation of it. */
  arch: string;
  /** Input side in pixels. */
  input: number;
  classes: number;
  batch: number;
}

/** Warm-up and measuring budget of a timed loop: at least `minSteps` steps and `minSeconds` after `warmup` steps. */
export interface StepBudget {
  warmup: number;
  minSteps: number;
  minSeconds: number;
}

/**
 * `--arch --input --channels --classes --batch`, with the architecture's channel count from percept's registry
 * (simple_cnn takes 1, keras.applications' models 3).
 *
 * @example
 * modelArgs({ arch: 'mobilenet_v2', input: 96, classes: 10, batch: 32 }); // ['--arch', 'mobilenet_v2', '--input', '96', '--channels', '3', ...]
 */
export function modelArgs(spec: PeerModelSpec): string[] {
  const channels = architectures.get(spec.arch).channels;
  return [
    '--arch',
    spec.arch,
    '--input',
    String(spec.input),
    '--channels',
    String(channels),
    '--classes',
    String(spec.classes),
    '--batch',
    String(spec.batch),
  ];
}

/**
 * `--warmup --min-steps --min-seconds` of a training peer.
 *
 * @example
 * budgetArgs({ warmup: 3, minSteps: 5, minSeconds: 8 }); // ['--warmup', '3', '--min-steps', '5', '--min-seconds', '8']
 */
export function budgetArgs(budget: StepBudget): string[] {
  return [
    '--warmup',
    String(budget.warmup),
    '--min-steps',
    String(budget.minSteps),
    '--min-seconds',
    String(budget.minSeconds),
  ];
}
