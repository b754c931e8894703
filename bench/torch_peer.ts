/**
 * The PyTorch peer (issue 17): torchvision's implementation of each bench architecture (percept's simple_cnn rebuilt
 * layer for layer), random weights, Adam, the same batch and as many threads as TensorFlow uses, in channels_last or
 * contiguous layout, whichever the script measures faster. The scripts bench/peers/torch_{train,predict,epoch}.py run
 * with `.venv-torch`'s python, which only `npx percept setup --python torch` installs (several GB).
 */
import type { BenchCase, BenchContext } from './case.ts';
import { runPythonPeer } from './harness.ts';
import { budgetArgs, modelArgs, type PeerModelSpec, type StepBudget } from './peer_args.ts';

/** A peer's measurement, as a case lists it under `peers`. */
export type PeerMeasure = BenchCase['peers'][string];

/**
 * Training images/s on one fixed random batch after warm-up: torch_train.py, keras_train.py's contract.
 *
 * @example
 * peers: { torch: torchTrainPeer({ arch: 'mobilenet_v2', input: 96, classes: 10, batch: 32 }, (ctx) => budget(ctx)) }
 */
export function torchTrainPeer(spec: PeerModelSpec, budget: (context: BenchContext) => StepBudget): PeerMeasure {
  return async (context) => runPythonPeer(context, 'torch_train.py', [...modelArgs(spec), ...budgetArgs(budget(context))], 'torch');
}

/** What an inference case runs: `images` random images predicted in batches of `batch`. */
export interface TorchPredictSpec extends PeerModelSpec {
  images: number;
  /** Batches predicted before timing. */
  warmup: number;
  /** The shortest time measured, in whole passes over the images. */
  minSeconds: (context: BenchContext) => number;
}

/**
 * Inference images/s in model.eval() under torch.inference_mode(): torch_predict.py.
 *
 * @example
 * peers: { torch: torchPredictPeer({ arch: 'resnet50', input: 224, classes: 1000, batch: 32, images: 256, warmup: 2, minSeconds: () => 5 }) }
 */
export function torchPredictPeer(spec: TorchPredictSpec): PeerMeasure {
  return async (context) => {
    const args = [...modelArgs(spec), '--images', String(spec.images), '--warmup', String(spec.warmup), '--min-seconds', String(spec.minSeconds(context))];
    return runPythonPeer(context, 'torch_predict.py', args, 'torch');
  };
}

/** What an epoch case runs: one training epoch over the image files in `data(context)`. */
export interface TorchEpochSpec extends PeerModelSpec {
  /** An ImageFolder root (one subfolder per class) or a flat folder of images, usually made by the case in its workDir. */
  data: (context: BenchContext) => string;
  /** Batches trained before the clock starts. */
  warmup: number;
  /** DataLoader worker processes; default 0, the fastest measured on 2 cores (torch_epoch.py says why). */
  workers?: number;
}

/**
 * Images/s of one training epoch read, decoded, resized and flipped by a DataLoader: torch_epoch.py.
 *
 * @example
 * peers: { torch: torchEpochPeer({ arch: 'mobilenet_v2', input: 96, classes: 10, batch: 32, warmup: 3, data: (ctx) => join(ctx.workDir, 'images') }) }
 */
export function torchEpochPeer(spec: TorchEpochSpec): PeerMeasure {
  return async (context) => {
    const args = [...modelArgs(spec), '--data', spec.data(context), '--warmup', String(spec.warmup), '--workers', String(spec.workers ?? 0)];
    return runPythonPeer(context, 'torch_epoch.py', args, 'torch');
  };
}
