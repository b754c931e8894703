/**
 * `memory/train/resnet50/224`: peak resident memory (MB, lower is better) of a process that builds ResNet50 and trains
 * a few steps at batch 32 through percept's trainer (bench/train_peak_rss.ts), against a Keras process doing the same
 * in `fit`. Each side runs in a fresh process, so the figure is the whole process's: runtime, model,
 * optimizer slots and the step's activations.
 */
import { join } from 'node:path';
import { projectRoot } from '../../src/paths.ts';
import type { BenchCase, BenchContext } from '../case.ts';
import { runMeasurementProcess, runPythonPeer } from '../harness.ts';
import { kerasTrainArgs, type StepSpec } from './training.ts';
import type { StepBudget } from '../peer_args.ts';

/**
 * What each side trains. Both reach their peak in the first step (percept's is the eager step its trace is recorded
 * from; measured on ResNet50/224 at batch 32, steps 2 and 3 did not raise it), so four steps suffice. The quick
 * profile shrinks the input and the batch.
 */
function plan(spec: StepSpec, context: BenchContext): { spec: StepSpec; budget: StepBudget } {
  return context.profile === 'quick'
    ? { spec: { ...spec, input: 64, batch: 8 }, budget: { warmup: 1, minSteps: 1, minSeconds: 0 } }
    : { spec, budget: { warmup: 1, minSteps: 3, minSeconds: 0 } };
}

function measurePercept(spec: StepSpec, context: BenchContext): number {
  const run = plan(spec, context);
  const child = join(projectRoot(), 'bench', 'train_peak_rss.ts');
  const args = ['--import', 'tsx', child, JSON.stringify(run.spec), JSON.stringify(run.budget)];
  return runMeasurementProcess('train_peak_rss.ts', process.execPath, args, {
    cwd: projectRoot(),
    env: { ...process.env, PERCEPT_QUIET_BACKEND: '1' },
  });
}

function memoryCase(spec: StepSpec): BenchCase {
  return {
    name: `memory/train/${spec.arch}/${spec.input}`,
    unit: 'MB',
    higherIsBetter: false,
    percept: async (context) => measurePercept(spec, context),
    peers: {
      keras: async (context) => {
        const run = plan(spec, context);
        return runPythonPeer(context, 'keras_train.py', [
          ...kerasTrainArgs(run.spec, run.budget),
          '--report',
          'peak-rss',
        ]);
      },
    },
  };
}

export const MEMORY_CASES: BenchCase[] = [memoryCase({ arch: 'resnet50', input: 224, batch: 32 })];
