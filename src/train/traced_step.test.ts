/**
 * The traced step (src/train/traced_step.ts) against the eager step it replaces: for every architecture of the zoo,
 * with a schedule and a stage change, with a partial last batch, and where tracing must refuse (the fallback).
 * The eager side runs the optimizer's composite kernels, the formula the traced graph holds, so both compute the
 * same float32 ops; fused-kernel parity with Keras is src/train/keras_training_parity.test.ts's.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LayersModel, Tensor } from '@tensorflow/tfjs';
import { tf } from '../tf.ts';
import { needsNative } from '../testing.ts';
import { ARCHITECTURES, buildArchitecture } from '../models/index.ts';
import { seedWeights } from '../models/init.ts';
import { Callback, type Logs } from './callbacks.ts';
import { train, type TrainOptions, type TrainResult } from './trainer.ts';
import type { Batch } from './types.ts';

const TOLERANCE = 1e-5;
const CLASSES = 3;

interface Run {
  result: TrainResult;
  weights: Float32Array[];
  losses: number[];
}

class LossRecorder extends Callback {
  losses: number[] = [];
  override async onBatchEnd(_batch: number, logs: Logs): Promise<void> {
    this.losses.push(logs['loss']!);
  }
}

/** Trains a fresh model from `build` on copies of `batches`, in one step mode, and reads everything back. */
async function runWith(
  build: () => LayersModel,
  batches: readonly Batch[],
  stepMode: 'auto' | 'eager',
  extra: (model: LayersModel) => Partial<TrainOptions> = () => ({}),
): Promise<Run> {
  const model = build();
  const recorder = new LossRecorder();
  const result = await train({
    model,
    outputs: [{ name: 'class', loss: 'sparse_categorical_crossentropy' }],
    train: {
      batches: () =>
        batches.map((batch) => ({ x: batch.x.clone(), targets: batch.targets.map((target) => target.clone()) })),
      batchCount: batches.length,
    },
    epochs: 1,
    optimizer: { name: 'adam', lr: 1e-3 },
    seed: 3,
    stepMode,
    optimizerKernels: 'composite',
    log: () => {},
    callbacks: [recorder],
    ...extra(model),
  });
  const weights = model.weights.map((weight) => weight.read().dataSync() as Float32Array);
  model.dispose();
  return { result, weights, losses: recorder.losses };
}

function worstDifference(a: Run, b: Run): number {
  let worst = 0;
  a.weights.forEach((values, i) =>
    values.forEach((value, j) => (worst = Math.max(worst, Math.abs(value - b.weights[i]![j]!)))),
  );
  a.losses.forEach((loss, i) => (worst = Math.max(worst, Math.abs(loss - b.losses[i]!))));
  return worst;
}

function imageBatches(
  count: number,
  size: number,
  channels: number,
  sizes: readonly number[] = Array(count).fill(4),
): Batch[] {
  return sizes.map((n, i) => ({
    x: tf.randomUniform([n, size, size, channels], 0, 1, 'float32', 10 + i),
    targets: [
      tf.tensor1d(
        Array.from({ length: n }, (_, k) => (k + i) % CLASSES),
        'int32',
      ),
    ],
  }));
}

for (const spec of ARCHITECTURES) {
  test(`${spec.name}: 3 traced steps end where 3 eager steps end`, needsNative(), async (t) => {
    const recurrent = spec.family === 'recurrent';
    const size = recurrent ? 6 : Math.max(spec.minInput, 32);
    const channels = recurrent ? 2 : spec.channels;
    const batches = recurrent
      ? Array.from({ length: 4 }, (_, i) => ({
          x: tf.randomNormal([4, size, channels], 0, 1, 'float32', 10 + i),
          targets: [tf.tensor1d([0, 1, 2, i % CLASSES], 'int32')],
        }))
      : imageBatches(4, size, channels);
    const build = (): LayersModel =>
      buildArchitecture(spec.name, { inputSize: size, channels, includeTop: true, classes: CLASSES, seed: 1 });
    // The first step of the shape traces it; the next three replay the function.
    const traced = await runWith(build, batches, 'auto');
    const eager = await runWith(build, batches, 'eager');
    tf.dispose(batches.flatMap((batch) => [batch.x, ...batch.targets]));
    assert.equal(traced.result.eagerReason, undefined);
    assert.equal(traced.result.tracedSteps, 3);
    assert.equal(eager.result.tracedSteps, 0);
    const worst = worstDifference(traced, eager);
    t.diagnostic(`largest traced-eager difference in a weight or loss: ${worst}`);
    assert.ok(worst <= TOLERANCE, `largest difference in a weight or loss: ${worst}`);
  });
}

/** A dense model small enough to run many steps, with dropout (the traced mask must be the eager one). */
function denseModel(): LayersModel {
  const input = tf.input({ shape: [6] });
  let h = tf.layers.dense({ units: 12, activation: 'relu', name: 'hidden' }).apply(input) as ReturnType<
    typeof tf.input
  >;
  h = tf.layers.dropout({ rate: 0.4, name: 'drop' }).apply(h) as ReturnType<typeof tf.input>;
  const output = tf.layers.dense({ units: CLASSES, activation: 'softmax', name: 'out' }).apply(h) as ReturnType<
    typeof tf.input
  >;
  const model = tf.model({ inputs: input, outputs: output });
  seedWeights(model, 2);
  return model;
}

function denseBatches(sizes: readonly number[]): Batch[] {
  return sizes.map((n, i) => ({
    x: tf.randomNormal([n, 6], 0, 1, 'float32', 40 + i),
    targets: [
      tf.tensor1d(
        Array.from({ length: n }, (_, k) => (k * 7 + i) % CLASSES),
        'int32',
      ),
    ],
  }));
}

test(
  'a cosine schedule and a stage that freezes the first layer run traced, and end where eager steps end',
  needsNative(),
  async () => {
    const batches = denseBatches([8, 8, 8, 8]);
    const run = (stepMode: 'auto' | 'eager'): Promise<Run> =>
      runWith(denseModel, batches, stepMode, (model) => ({
        stages: [
          { epochs: 2, lr: 1e-2 },
          { epochs: 2, lr: 1e-3 },
        ],
        schedule: { name: 'cosine', minLr: 1e-4 },
        optimizer: { name: 'adamw', lr: 1e-2, weightDecay: 0.01 },
        // The second stage freezes the first layer, as a fine-tuning stage's trainableTop does.
        onStage: (_stage, index) => {
          model.getLayer('hidden').trainable = index === 0;
        },
      }));
    const traced = await run('auto');
    const eager = await run('eager');
    tf.dispose(batches.flatMap((batch) => [batch.x, ...batch.targets]));
    // 16 steps in two stages; each stage traces its first step.
    assert.equal(traced.result.tracedSteps, 14);
    assert.deepEqual(
      traced.result.history.map((record) => record.lr),
      eager.result.history.map((record) => record.lr),
    );
    assert.ok(
      new Set(traced.result.history.map((record) => record.lr)).size === 4,
      'the schedule changes the rate every epoch',
    );
    const worst = worstDifference(traced, eager);
    assert.ok(worst <= TOLERANCE, `largest difference in a weight or loss: ${worst}`);
  },
);

test('a partial last batch gets its own traced function, and ends where eager steps end', needsNative(), async () => {
  const batches = denseBatches([8, 8, 3, 8, 3]);
  const traced = await runWith(denseModel, batches, 'auto', () => ({ epochs: 2 }));
  const eager = await runWith(denseModel, batches, 'eager', () => ({ epochs: 2 }));
  tf.dispose(batches.flatMap((batch) => [batch.x, ...batch.targets]));
  // 10 steps, two shapes traced once each.
  assert.equal(traced.result.tracedSteps, 8);
  const worst = worstDifference(traced, eager);
  assert.ok(worst <= TOLERANCE, `largest difference in a weight or loss: ${worst}`);
});

test('a Sequential model not called before training traces from its first step', needsNative(), async () => {
  const sequential = (): LayersModel => {
    const model = tf.sequential({
      layers: [
        tf.layers.dense({ inputShape: [6], units: 12, activation: 'relu' }),
        tf.layers.dropout({ rate: 0.4 }),
        tf.layers.dense({ units: CLASSES, activation: 'softmax' }),
      ],
    });
    seedWeights(model, 2);
    return model;
  };
  const batches = denseBatches([8, 8, 8]);
  const traced = await runWith(sequential, batches, 'auto');
  const eager = await runWith(sequential, batches, 'eager');
  tf.dispose(batches.flatMap((batch) => [batch.x, ...batch.targets]));
  assert.equal(traced.result.eagerReason, undefined);
  assert.equal(traced.result.tracedSteps, 2);
  const worst = worstDifference(traced, eager);
  assert.ok(worst <= TOLERANCE, `largest difference in a weight or loss: ${worst}`);
});

/** A layer whose output depends on something tracing cannot see: a value read back to JavaScript, or a fresh JS random draw. */
class Opaque extends tf.layers.Layer {
  static className = 'PerceptTestOpaque';
  constructor(private readonly behaviour: 'reads back' | 'js random') {
    super({});
  }
  override call(inputs: Tensor | Tensor[]): Tensor {
    const x = Array.isArray(inputs) ? inputs[0]! : inputs;
    if (this.behaviour === 'reads back') return tf.mul(x, tf.scalar(tf.mean(x).dataSync()[0]! > 0 ? 1 : 0.5));
    return tf.add(x, tf.mul(tf.randomUniform(x.shape), 0));
  }
}

for (const [behaviour, reason] of [
  ['reads back', /reads the value of a .* back to JavaScript/],
  ['js random', /a value computed in JavaScript changes from step to step/],
] as const) {
  test(
    `a step that ${behaviour === 'reads back' ? 'reads a value back to JavaScript' : 'draws a JavaScript random number'} falls back to eager steps, says why once, and trains as eager`,
    needsNative(),
    async () => {
      const build = (): LayersModel => {
        const input = tf.input({ shape: [6] });
        const h = new Opaque(behaviour).apply(tf.layers.dense({ units: 8, name: 'hidden' }).apply(input)) as ReturnType<
          typeof tf.input
        >;
        const model = tf.model({
          inputs: input,
          outputs: tf.layers.dense({ units: CLASSES, activation: 'softmax', name: 'out' }).apply(h) as ReturnType<
            typeof tf.input
          >,
        });
        seedWeights(model, 4);
        return model;
      };
      const batches = denseBatches([8, 8, 8]);
      const logged: string[] = [];
      const traced = await runWith(build, batches, 'auto', () => ({ log: (line) => logged.push(line) }));
      const eager = await runWith(build, batches, 'eager');
      tf.dispose(batches.flatMap((batch) => [batch.x, ...batch.targets]));
      assert.equal(traced.result.tracedSteps, 0);
      assert.match(traced.result.eagerReason ?? '', reason);
      assert.ok(worstDifference(traced, eager) <= TOLERANCE);
      // Said at most once per process and reason: the first test of each reason sees it.
      assert.ok(logged.filter((line) => /training steps run eagerly/.test(line)).length <= 1);
    },
  );
}
