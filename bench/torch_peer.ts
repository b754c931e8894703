/**
 * The PyTorch peer (issue 17): torchvision's implementation of each bench architecture (percept's simple_cnn rebuilt
 * layer for layer), random weights, Adam, the same batch and as many threads as TensorFlow uses, in channels_last or
 * contiguous layout, whichever the script measures faster. The scripts bench/peers/torch_{train,predict,epoch}.py run
 * with `.venv-torch`'s python, which only `npx percept setup --python torch` installs (several GB).
 */
import type { BenchCase, BenchContext } from './case.ts';
import { peerPython, runPythonPeer } from './harness.ts';
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
  return async (context) =>
    runPythonPeer(context, 'torch_train.py', [...modelArgs(spec), ...budgetArgs(budget(context))], 'torch');
}

/**
 * A torch peer script of a case whose percept side fixes the arguments (the predict and epoch cases): `args(context)`
 * may do work (write the case's image folder), so a missing torch venv is reported before it runs.
 *
 * @example
 * peers: { torch: torchScriptPeer('torch_predict.py', (context) => peerArgs(spec, context)) }
 */
export function torchScriptPeer(
  script: 'torch_predict.py' | 'torch_epoch.py',
  args: (context: BenchContext) => string[] | Promise<string[]>,
): PeerMeasure {
  return async (context) => {
    peerPython(context, 'torch');
    return runPythonPeer(context, script, await args(context), 'torch');
  };
}
