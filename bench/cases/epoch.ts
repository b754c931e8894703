/**
 * `epoch/imagefolder/<arch>/<input>`: images/s of one training epoch read from a folder of JPEGs (stored larger than
 * the input): decode and resize, flip augmentation, the architecture's preprocessing and Adam steps. percept goes the
 * way `percept train` does for an imagefolder config: loadImageData, buildExperimentModel, imageTraining's streamed
 * batch source and `train()`; the epoch's seconds are the trainer's own (history), after a warm-up of a few batches
 * that traces the step. Keras runs image_dataset_from_directory + RandomFlip + preprocess_input + prefetch +
 * `fit` on the same files (bench/peers/keras_epoch.py).
 */
import { buildExperimentModel } from '../../src/runs/experiment_model.ts';
import { parseExperimentConfig } from '../../src/runs/config.ts';
import { imageTraining, loadImageData } from '../../src/runs/image_pipeline.ts';
import { ProblemLog } from '../../src/data/problem_log.ts';
import { train } from '../../src/train/trainer.ts';
import { type Batch, type BatchSource } from '../../src/train/types.ts';
import type { BenchCase, BenchContext } from '../case.ts';
import { imageFolder, type BenchImageFolder } from '../fixtures.ts';
import { runPythonPeer } from '../harness.ts';
import { torchScriptPeer } from '../torch_peer.ts';

interface EpochCaseSpec {
  arch: 'mobilenet_v2' | 'resnet50';
  input: number;
  batch: number;
  /** Side of the stored JPEGs: larger than the input, so that every image is resized as a photo would be. */
  stored: number;
  /** Images of the epoch, a whole number of batches (a last partial batch would trace a second step shape). */
  images: { quick: number; full: number };
}

const CLASSES = 10;
/** The config's seed: the shuffle and augmentation seed on both sides. */
const SEED = 1;

/** Batches before the measured epoch: the first traces the step, the next ones run the traced function once. */
function warmupBatches(context: BenchContext): number {
  return context.profile === 'quick' ? 2 : 3;
}

function folderOf(spec: EpochCaseSpec, context: BenchContext): Promise<BenchImageFolder> {
  return imageFolder(context, { images: spec.images[context.profile], size: spec.stored, classes: CLASSES });
}

/** The first `count` batches of `batches`; returning early ends the stream (and its decoding ahead). */
async function* firstBatches(batches: AsyncIterable<Batch> | Iterable<Batch>, count: number): AsyncGenerator<Batch> {
  let taken = 0;
  for await (const batch of batches) {
    yield batch;
    if (++taken >= count) return;
  }
}

/** Epoch 0 is the warm-up's few batches, epoch 1 the whole of `source`'s epoch. */
function afterWarmup(source: BatchSource, warmup: number): BatchSource {
  return {
    ...source,
    batches: (epoch) => (epoch === 0 ? firstBatches(source.batches(0), warmup) : source.batches(epoch)),
  };
}

async function measurePercept(spec: EpochCaseSpec, context: BenchContext): Promise<number> {
  const folder = await folderOf(spec, context);
  const config = parseExperimentConfig(
    {
      name: 'bench-epoch',
      seed: SEED,
      // The folder's val/ holds one image per class (a run needs a val split); the epoch reads only train/.
      data: {
        format: 'imagefolder',
        path: folder.root,
        imageSize: spec.input,
        split: { train: 1, val: 0, test: 0 },
        augment: { flip: true },
      },
      model: { arch: spec.arch },
      train: { batchSize: spec.batch, epochs: 1, optimizer: { name: 'adam', lr: 1e-3 } },
    },
    `bench ${spec.arch}`,
  );
  const problems = new ProblemLog();
  const data = await loadImageData(config, problems);
  const model = buildExperimentModel(config, {
    classes: data.dataset.classes.length,
    inputSize: spec.input,
    runsRoot: context.workDir,
  });
  const setup = await imageTraining(config, data, model, problems);
  try {
    // No validation source: Keras's fit is timed without validation data too.
    const result = await train({
      model: setup.trainModel,
      outputs: model.outputs,
      train: afterWarmup(setup.train, warmupBatches(context)),
      epochs: 2,
      optimizer: config.train.optimizer,
      seed: config.seed,
      stepMode: config.train.step,
      log: (line) => context.log(line),
    });
    const epoch = result.history[1]!;
    context.log(
      `percept: ${data.split.train.length} images in ${epoch.seconds.toFixed(2)} s (${result.tracedSteps} traced steps)`,
    );
    return data.split.train.length / epoch.seconds;
  } finally {
    setup.dispose();
    model.model.dispose();
    model.head.dispose();
  }
}

/** The arguments every peer of an epoch case takes: the training folder and the run's shape. */
async function peerArgs(spec: EpochCaseSpec, context: BenchContext): Promise<string[]> {
  const folder = await folderOf(spec, context);
  return [
    '--data',
    folder.train,
    '--arch',
    spec.arch,
    '--input',
    String(spec.input),
    '--batch',
    String(spec.batch),
    '--seed',
    String(SEED),
    '--warmup',
    String(warmupBatches(context)),
  ];
}

function epochCase(spec: EpochCaseSpec): BenchCase {
  return {
    name: `epoch/imagefolder/${spec.arch}/${spec.input}`,
    unit: 'images/s',
    higherIsBetter: true,
    percept: (context) => measurePercept(spec, context),
    peers: {
      keras: async (context) => runPythonPeer(context, 'keras_epoch.py', await peerArgs(spec, context)),
      torch: torchScriptPeer('torch_epoch.py', (context) => peerArgs(spec, context)),
    },
  };
}

export const EPOCH_CASES: BenchCase[] = [
  epochCase({ arch: 'mobilenet_v2', input: 96, batch: 32, stored: 160, images: { quick: 64, full: 1280 } }),
  // Batch 16: a ResNet50 step at 224 px takes seconds on 2 cores, so 320 images (20 steps) keep an epoch near a
  // minute a side while each step still fills both cores; batch 32 would need twice the images for as many steps.
  epochCase({ arch: 'resnet50', input: 224, batch: 16, stored: 256, images: { quick: 32, full: 320 } }),
];
