/**
 * `predict/<arch>/224`: images/s of inference at batch 32 on random images, through the function a run predicts its
 * val and test items with (src/runs/predict_batches.ts: the model's predict per batch, outputs read back to
 * JavaScript), against Keras's `model.predict(x, batch_size=32)`. Both sides warm up until their predict function is
 * traced and optimized, outside the timing: Keras's first `predict` call traces its function; percept's predictor
 * (kept with the model between calls) runs a shape's first batch eagerly, records the second, and has grappler
 * optimize the function on its first replay, so percept warms up on three batches.
 */
import { tf } from '../../src/tf.ts';
import { buildArchitecture } from '../../src/models/index.ts';
import { predictBatches, tensorBatches } from '../../src/runs/predict_batches.ts';
import type { BenchCase, BenchContext } from '../case.ts';
import { runPythonPeer } from '../harness.ts';
import { modelArgs } from '../peer_args.ts';
import { torchScriptPeer } from '../torch_peer.ts';

interface PredictCaseSpec {
  arch: 'mobilenet_v2' | 'resnet50';
  input: number;
}

const BATCH = 32;
const CLASSES = 10;

/** Batches percept predicts before the timing: eager, recorded, first replay (see above). */
const WARMUP_BATCHES = 3;

/** Images predicted after the warm-up: 8 batches measure; the quick profile only checks that the case runs. */
function imageCount(context: BenchContext): number {
  return context.profile === 'quick' ? BATCH : 8 * BATCH;
}

async function measurePercept(spec: PredictCaseSpec, context: BenchContext): Promise<number> {
  const model = buildArchitecture(spec.arch, { inputSize: spec.input, classes: CLASSES, includeTop: true, seed: 1 });
  const images = imageCount(context);
  const x = tf.randomUniform([images, spec.input, spec.input, 3], 0, 1, 'float32', 1);
  const ids = Array.from({ length: images }, (_, i) => String(i));
  try {
    const warmup = Array.from({ length: WARMUP_BATCHES }, () => ({
      ids: ids.slice(0, BATCH),
      x: tf.slice(x, 0, BATCH),
    }));
    await predictBatches(model, warmup);
    const start = performance.now();
    const outputs = await predictBatches(model, tensorBatches(x, ids, BATCH));
    const seconds = (performance.now() - start) / 1000;
    return outputs.ids.length / seconds;
  } finally {
    x.dispose();
    model.dispose();
  }
}

/** The arguments every peer of a predict case takes: the same architecture, input, classes, images and batch. */
function peerArgs(spec: PredictCaseSpec, context: BenchContext): string[] {
  return [...modelArgs({ ...spec, classes: CLASSES, batch: BATCH }), '--images', String(imageCount(context))];
}

function predictCase(spec: PredictCaseSpec): BenchCase {
  return {
    name: `predict/${spec.arch}/${spec.input}`,
    unit: 'images/s',
    higherIsBetter: true,
    percept: (context) => measurePercept(spec, context),
    peers: {
      keras: async (context) => runPythonPeer(context, 'keras_predict.py', peerArgs(spec, context)),
      // One timed pass over the images, as Keras's predict makes; its layout probe warms it up first.
      torch: torchScriptPeer('torch_predict.py', (context) => [
        ...peerArgs(spec, context),
        '--warmup',
        '1',
        '--min-seconds',
        '0',
      ]),
    },
  };
}

export const PREDICT_CASES: BenchCase[] = [
  predictCase({ arch: 'mobilenet_v2', input: 224 }),
  predictCase({ arch: 'resnet50', input: 224 }),
];
