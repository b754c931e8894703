import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LayersModel, Tensor } from '@tensorflow/tfjs';
import { tf } from '../tf.ts';
import { seedWeights } from '../models/init.ts';
import { Callback, DivergedError, earlyStopping, type Logs, type TrainingContext } from './callbacks.ts';
import { train, type TrainOptions } from './trainer.ts';
import { tensorSource } from './tensor_source.ts';
import { TrainOptimizer } from './optimizers.ts';

/** Two Gaussian blobs per class in 4-D, 3 classes, and a valence target with some NaN (unlabelled). */
function toyData(n: number, seed: number): { x: Tensor; labels: Tensor; valence: Tensor } {
  return tf.tidy(() => {
    const labels = tf.randomUniform([n], 0, 3, 'int32', seed);
    const centers = tf.tensor2d([
      [2, 0, 0, 1],
      [0, 2, 0, -1],
      [0, 0, 2, 0],
    ]);
    const x = tf.add(tf.gather(centers, labels), tf.randomNormal([n, 4], 0, 0.5, 'float32', seed + 1));
    const raw = tf.sub(tf.div(tf.cast(labels, 'float32'), 2), 0.5).reshape([n, 1]);
    const unlabelled = tf.less(tf.randomUniform([n, 1], 0, 1, 'float32', seed + 2), 0.2);
    return { x, labels, valence: tf.where(unlabelled, tf.fill([n, 1], Number.NaN), raw) };
  });
}

function toyModel(seed: number, multiTask = false): LayersModel {
  const input = tf.input({ shape: [4] });
  let h = tf.layers.dense({ units: 16, activation: 'relu', name: 'hidden' }).apply(input) as ReturnType<
    typeof tf.input
  >;
  h = tf.layers.dropout({ rate: 0.3, name: 'drop' }).apply(h) as ReturnType<typeof tf.input>;
  const expression = tf.layers.dense({ units: 3, activation: 'softmax', name: 'expression' }).apply(h) as ReturnType<
    typeof tf.input
  >;
  const valence = tf.layers.dense({ units: 1, name: 'valence' }).apply(h) as ReturnType<typeof tf.input>;
  const model = tf.model({ inputs: input, outputs: multiTask ? [expression, valence] : expression });
  seedWeights(model, seed);
  return model;
}

const data = toyData(96, 5);
const validation = toyData(48, 50);

function options(model: LayersModel, extra: Partial<TrainOptions> = {}): TrainOptions {
  return {
    model,
    outputs: [{ name: 'expression', loss: 'sparse_categorical_crossentropy' }],
    train: tensorSource(data.x, [data.labels], { batchSize: 16, shuffle: true, seed: 3 }),
    validation: tensorSource(validation.x, [validation.labels], { batchSize: 32 }),
    epochs: 6,
    optimizer: { name: 'adam', lr: 0.01 },
    seed: 7,
    ...extra,
  };
}

class Recorder extends Callback {
  tensors: number[] = [];
  override async onEpochEnd(): Promise<void> {
    this.tensors.push(tf.memory().numTensors);
  }
}

test('learns a separable problem, and live tensors do not grow from one epoch to the next', async () => {
  const model = toyModel(1);
  const recorder = new Recorder();
  const { history } = await train(options(model, { callbacks: [recorder, earlyStopping({ patience: 100 })] }));
  assert.equal(history.length, 6);
  assert.ok(history[5]!.logs['loss']! < history[0]!.logs['loss']!, 'loss decreases');
  assert.ok(history[5]!.logs['val_acc']! > 0.9, `val_acc ${history[5]!.logs['val_acc']}`);
  assert.deepEqual(new Set(recorder.tensors.slice(1)).size, 1, `numTensors per epoch: ${recorder.tensors.join(', ')}`);
  model.dispose();
});

test('seeded: two runs from the same seed give the same history (dropout masks included)', async () => {
  const runs = [];
  for (let i = 0; i < 2; i++) {
    const model = toyModel(2);
    runs.push((await train(options(model, { epochs: 2 }))).history.map((h) => h.logs));
    model.dispose();
  }
  assert.deepEqual(runs[0], runs[1]);
});

class KillAt extends Callback {
  constructor(private readonly epoch: number) {
    super();
  }
  override async onEpochBegin(epoch: number): Promise<void> {
    if (epoch === this.epoch) throw new Error('killed');
  }
}

test('resume after an interruption continues from the last checkpoint with optimizer state; history matches an uninterrupted run', async () => {
  const schedule = { name: 'step' as const, stepSize: 2, gamma: 0.5 };
  const stages = [
    { epochs: 2, lr: 0.02 },
    { epochs: 3, lr: 0.005 },
  ];
  const stageCalls: number[] = [];
  const full = toyModel(3);
  const reference = await train(
    options(full, { schedule, stages, optimizer: { name: 'adamw', lr: 0.01, weightDecay: 0.01 } }),
  );
  const dir = mkdtempSync(join(tmpdir(), 'percept-ckpt-'));
  const first = toyModel(3);
  await assert.rejects(
    train(
      options(first, {
        schedule,
        stages,
        optimizer: { name: 'adamw', lr: 0.01, weightDecay: 0.01 },
        checkpointDir: dir,
        callbacks: [new KillAt(3)],
      }),
    ),
    /killed/,
  );
  assert.deepEqual(
    readdirSync(dir).sort(),
    ['epoch-0002', 'epoch-0003', 'latest.json'],
    'the previous checkpoint is kept to fall back to',
  );
  const resumed = toyModel(99);
  const result = await train(
    options(resumed, {
      schedule,
      stages,
      optimizer: { name: 'adamw', lr: 0.01, weightDecay: 0.01 },
      checkpointDir: dir,
      resume: true,
      onStage: (_stage, index) => stageCalls.push(index),
    }),
  );
  assert.equal(result.resumedFrom, 3);
  assert.deepEqual(stageCalls, [1], 'the current stage is re-applied on resume');
  assert.deepEqual(
    result.history.map((h) => [h.epoch, h.stage, h.lr]),
    reference.history.map((h) => [h.epoch, h.stage, h.lr]),
  );
  result.history.forEach((h, i) => {
    for (const [key, value] of Object.entries(h.logs)) {
      assert.ok(
        Math.abs(value - reference.history[i]!.logs[key]!) < 1e-5,
        `epoch ${i + 1} ${key}: ${value} vs ${reference.history[i]!.logs[key]}`,
      );
    }
  });
  assert.deepEqual(
    reference.history.map((h) => h.lr),
    [0.02, 0.02, 0.005, 0.005, 0.0025],
  );
  for (const model of [full, first, resumed]) model.dispose();
});

test('multi-task: weighted sum of cross-entropy and NaN-masked MSE', async () => {
  const model = toyModel(4, true);
  const outputs = [
    { name: 'expression', loss: 'sparse_categorical_crossentropy' as const, weight: 1 },
    { name: 'valence', loss: 'mse' as const, weight: 0.5 },
  ];
  const { history } = await train(
    options(model, {
      outputs,
      train: tensorSource(data.x, [data.labels, data.valence], { batchSize: 16, shuffle: true, seed: 3 }),
      validation: tensorSource(validation.x, [validation.labels, validation.valence], { batchSize: 48 }),
      epochs: 3,
    }),
  );
  const logs = history.at(-1)!.logs;
  assert.ok(Number.isFinite(logs['valence_loss']!), 'NaN targets are masked');
  assert.ok(Math.abs(logs['val_loss']! - (logs['val_expression_loss']! + 0.5 * logs['val_valence_loss']!)) < 1e-5);
  assert.ok(logs['val_valence_mae']! < 0.5, `val_valence_mae ${logs['val_valence_mae']}`);
  model.dispose();
});

test('a NaN loss stops training with a message naming the epoch, the batch and the fix', async () => {
  const model = toyModel(5);
  const bad = tf.tidy(() => tf.concat([data.x.slice(0, 20), tf.fill([1, 4], Number.NaN), data.x.slice(21)]));
  await assert.rejects(
    train(options(model, { train: tensorSource(bad, [data.labels], { batchSize: 16 }) })),
    (error: unknown) =>
      error instanceof DivergedError && /epoch 1, batch 2 .*Fix: lower train\.optimizer\.lr/.test(error.message),
  );
  bad.dispose();
  model.dispose();
});

test('early stopping stops after patience epochs without improvement and restores the best weights', async () => {
  const model = toyModel(6);
  let bestLoss = Infinity;
  let bestKernel: number[] = [];
  class Watch extends Callback {
    override async onEpochEnd(_epoch: number, logs: Logs, context: { model: LayersModel }): Promise<void> {
      if (logs['val_loss']! < bestLoss) {
        bestLoss = logs['val_loss']!;
        bestKernel = Array.from(context.model.getLayer('expression').getWeights()[0]!.dataSync());
      }
    }
  }
  // A rate this high makes validation loss bounce, so the last epoch is rarely the best one.
  const result = await train(
    options(model, {
      epochs: 30,
      optimizer: { name: 'sgd', lr: 3, momentum: 0.9 },
      callbacks: [new Watch(), earlyStopping({ patience: 2 })],
    }),
  );
  const last = result.history.length;
  // Stopped before the 30th epoch exactly when early stopping says so (never silently, never without the reason).
  assert.equal(
    /early stopping: val_loss did not improve for 2 epochs/.test(result.stopReason ?? ''),
    last < 30,
    `${last} epochs, stop reason: ${result.stopReason}`,
  );
  assert.deepEqual(Array.from(model.getLayer('expression').getWeights()[0]!.dataSync()), bestKernel);
  model.dispose();
});

test('AdamW decays weights decoupled from the gradient: a zero gradient shrinks w by lr * weightDecay', () => {
  const variable = tf.variable(tf.tensor1d([1, -2]), true, 'adamw_probe');
  const optimizer = new TrainOptimizer({ name: 'adamw', lr: 0.1, weightDecay: 0.5 });
  const zero = tf.zeros([2]);
  optimizer.step({ adamw_probe: zero }, [variable]);
  assert.deepEqual(
    Array.from(variable.dataSync()).map((v) => +v.toFixed(6)),
    [0.95, -1.9],
  );
  optimizer.learningRate = 0.2;
  optimizer.step({ adamw_probe: zero }, [variable]);
  assert.deepEqual(
    Array.from(variable.dataSync()).map((v) => +v.toFixed(6)),
    [0.855, -1.71],
  );
  tf.dispose([variable, zero]);
  optimizer.dispose();
});

test('resumed from the checkpoint at a stage boundary, a plateau schedule starts the next stage at its own rate, as an uninterrupted run does', async () => {
  const schedule = { name: 'plateau' as const, monitor: 'val_loss', factor: 0.5, patience: 1, minLr: 0 };
  const stages = [
    { epochs: 2, lr: 0.05 },
    { epochs: 2, lr: 0.004 },
  ];
  const optimizer = { name: 'sgd' as const, lr: 0.05, momentum: 0.9 };
  const full = toyModel(8);
  const reference = await train(options(full, { schedule, stages, optimizer }));
  const dir = mkdtempSync(join(tmpdir(), 'percept-ckpt-'));
  const first = toyModel(8);
  await assert.rejects(
    train(options(first, { schedule, stages, optimizer, checkpointDir: dir, callbacks: [new KillAt(2)] })),
    /killed/,
  );
  const resumed = toyModel(98);
  const result = await train(options(resumed, { schedule, stages, optimizer, checkpointDir: dir, resume: true }));
  assert.equal(result.resumedFrom, 2);
  assert.equal(reference.history[2]!.lr, 0.004);
  assert.deepEqual(
    result.history.map((h) => h.lr),
    reference.history.map((h) => h.lr),
  );
  assert.deepEqual(
    result.history.map((h) => h.logs),
    reference.history.map((h) => h.logs),
  );
  for (const model of [full, first, resumed]) model.dispose();
});

test("a caller's callback steers training through the context alone: it sees each epoch's scheduled rate and stops the run", async () => {
  const model = toyModel(11);
  class StopAtThird extends Callback {
    readonly seen: { epoch: number; stageEpoch: number; lr: number }[] = [];
    override async onEpochBegin(epoch: number, context: TrainingContext): Promise<void> {
      this.seen.push({ epoch, stageEpoch: context.stage.epoch, lr: context.learningRate });
    }
    override async onEpochEnd(epoch: number, _logs: Logs, context: TrainingContext): Promise<void> {
      if (epoch === 2) context.stopTraining = true;
    }
  }
  const stopper = new StopAtThird();
  const { history } = await train(
    options(model, { schedule: { name: 'step', stepSize: 1, gamma: 0.5 }, callbacks: [stopper] }),
  );
  assert.deepEqual(
    history.map((record) => record.epoch),
    [1, 2, 3],
  );
  // The schedule's callback runs before the caller's: each epoch begins at its halved rate.
  assert.deepEqual(stopper.seen, [
    { epoch: 0, stageEpoch: 0, lr: 0.01 },
    { epoch: 1, stageEpoch: 1, lr: 0.005 },
    { epoch: 2, stageEpoch: 2, lr: 0.0025 },
  ]);
  assert.deepEqual(
    history.map((record) => record.lr),
    [0.01, 0.005, 0.0025],
  );
  model.dispose();
});
