/**
 * Training throughput (images/s after warm-up) of percept's architectures against Keras on the same
 * tensorflow-cpu wheel, same architecture, batch and threads, against PyTorch's torchvision implementation of it
 * (bench/torch_peer.ts), and against pure-JS percept.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LayersModel } from '@tensorflow/tfjs';
import { tf, backendInfo } from '../../src/tf.ts';
import { buildArchitecture } from '../../src/models/index.ts';
import { Callback } from '../../src/train/callbacks.ts';
import { train } from '../../src/train/trainer.ts';
import { type Batch, type BatchSource } from '../../src/train/types.ts';
import type { BenchCase, BenchContext } from '../case.ts';
import { perceptOnPureJs, runPythonPeer } from '../harness.ts';
import { budgetArgs, modelArgs, type StepBudget } from '../peer_args.ts';
import { torchTrainPeer } from '../torch_peer.ts';

export interface TrainingCaseSpec {
  arch: 'mobilenet_v2' | 'simple_cnn' | 'resnet50' | 'densenet121' | 'vgg16';
  input: number;
  batch: number;
  /** Peers beyond Keras: pure-JS percept where a step takes seconds, not minutes. */
  pureJsPeer: boolean;
}

const CLASSES = 10;

/**
 * Pure-JS steps take minutes at these sizes (train/simple_cnn/32 batch 32: ~2 min a step here), so the pure-JS peer
 * times one step of a batch of 4 after one warm-up step: the CPU backend runs one op at a time on one thread, so its
 * images/s does not depend on the batch size the way a parallel backend's does.
 */
const PURE_JS_BATCH = 4;

/** What a fixed-batch training measurement builds and feeds: architecture, input side and batch. */
export type StepSpec = Pick<TrainingCaseSpec, 'arch' | 'input' | 'batch'>;

/** Warm-up and measuring budget. */
function stepBudget(context: BenchContext, pureJs: boolean): StepBudget {
  if (pureJs) return { warmup: 1, minSteps: 1, minSeconds: 0 };
  return context.profile === 'quick'
    ? { warmup: 2, minSteps: 3, minSeconds: 1 }
    : { warmup: 3, minSteps: 5, minSeconds: 8 };
}

function buildBenchModel(spec: Pick<TrainingCaseSpec, 'arch' | 'input'>): LayersModel {
  return buildArchitecture(spec.arch, { inputSize: spec.input, classes: CLASSES, includeTop: true, seed: 1 });
}

/**
 * Counts the steps of a training run after its warm-up and ends the run's batches once the budget is spent. It reads
 * the clock in onBatchEnd, after each step's figures came back to JavaScript (the step is synchronous).
 */
class StepTimer extends Callback {
  private started = 0;
  private ended = 0;
  steps = 0;
  done = false;

  constructor(private readonly budget: StepBudget) {
    super();
  }

  override async onBatchEnd(batch: number): Promise<void> {
    const now = performance.now();
    if (batch + 1 === this.budget.warmup) this.started = now;
    if (batch + 1 <= this.budget.warmup) return;
    this.steps++;
    this.ended = now;
    this.done = this.steps >= this.budget.minSteps && now - this.started >= this.budget.minSeconds * 1000;
  }

  get seconds(): number {
    return (this.ended - this.started) / 1000;
  }
}

/**
 * Images/s of the trainer's own Adam steps (what `percept train` runs: traced into one TensorFlow function on the
 * native backend) on one fixed random batch of `spec.batch` images, timed after the budget's warm-up steps, which
 * include the step's tracing. The memory cases run it in a child process for its peak RSS.
 *
 * @example
 * await trainerImagesPerSecond({ arch: 'resnet50', input: 224, batch: 32 }, { warmup: 1, minSteps: 3, minSeconds: 0 });
 */
export async function trainerImagesPerSecond(spec: StepSpec, budget: StepBudget): Promise<number> {
  const model = buildBenchModel(spec);
  const channels = model.inputs[0]!.shape[3]!;
  const x = tf.randomUniform([spec.batch, spec.input, spec.input, channels], 0, 1, 'float32', 1);
  const y = tf.randomUniform([spec.batch], 0, CLASSES, 'int32', 2);
  // Every budget warms up at least one step, which traces the batch's shape.
  const timer = new StepTimer(budget);
  const source: BatchSource = {
    *batches(): Iterable<Batch> {
      while (!timer.done) yield { x: x.clone(), targets: [y.clone()] };
    },
  };
  await train({
    model,
    outputs: [{ name: 'class', loss: 'sparse_categorical_crossentropy' }],
    train: source,
    epochs: 1,
    optimizer: { name: 'adam', lr: 1e-3 },
    callbacks: [timer],
    log: () => {},
  });
  tf.dispose([x, y]);
  model.dispose();
  return (spec.batch * timer.steps) / timer.seconds;
}

function measurePercept(spec: TrainingCaseSpec, context: BenchContext): Promise<number> {
  const pureJs = backendInfo.kind === 'js';
  const batch = pureJs ? Math.min(spec.batch, PURE_JS_BATCH) : spec.batch;
  return trainerImagesPerSecond({ ...spec, batch }, stepBudget(context, pureJs));
}

/**
 * bench/peers/keras_train.py's arguments for the same steps as `trainerImagesPerSecond` (a keras.applications
 * architecture; simple_cnn needs its topology file too).
 *
 * @example
 * runPythonPeer(context, 'keras_train.py', [...kerasTrainArgs(spec, budget), '--report', 'peak-rss']);
 */
export function kerasTrainArgs(spec: StepSpec, budget: StepBudget): string[] {
  return [...modelArgs({ ...spec, classes: CLASSES }), ...budgetArgs(budget)];
}

function measureKeras(spec: TrainingCaseSpec, context: BenchContext): number {
  const args = kerasTrainArgs(spec, stepBudget(context, false));
  if (spec.arch === 'simple_cnn') {
    // Keras has no simple_cnn: give it percept's own topology, which tfjs writes in Keras's JSON format.
    const model = buildBenchModel(spec);
    const file = join(context.workDir, 'simple_cnn.json');
    writeFileSync(file, JSON.stringify(model.toJSON(null, false)));
    model.dispose();
    args.push('--model-json', file);
  }
  return runPythonPeer(context, 'keras_train.py', args);
}

function trainingCase(spec: TrainingCaseSpec): BenchCase {
  const name = `train/${spec.arch}/${spec.input}`;
  return {
    name,
    unit: 'images/s',
    higherIsBetter: true,
    percept: (context) => measurePercept(spec, context),
    peers: {
      keras: async (context) => measureKeras(spec, context),
      // torch has no simple_cnn either: torch_common.py rebuilds percept's layer for layer.
      torch: torchTrainPeer({ ...spec, classes: CLASSES }, (context) => stepBudget(context, false)),
      ...(spec.pureJsPeer ? { 'percept-js': perceptOnPureJs(name) } : {}),
    },
  };
}

export const TRAINING_CASES: BenchCase[] = [
  trainingCase({ arch: 'mobilenet_v2', input: 96, batch: 32, pureJsPeer: true }),
  trainingCase({ arch: 'simple_cnn', input: 32, batch: 32, pureJsPeer: true }),
  // Fashion-MNIST's shape (28×28×1) at the demo's batch: the compute-bound case behind its Fashion-MNIST minutes.
  trainingCase({ arch: 'simple_cnn', input: 28, batch: 128, pureJsPeer: false }),
  ...(['mobilenet_v2', 'resnet50', 'densenet121', 'vgg16'] as const).map((arch) =>
    trainingCase({ arch, input: 224, batch: 8, pureJsPeer: false }),
  ),
];
