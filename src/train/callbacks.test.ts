/**
 * percept's EarlyStopping and ReduceLrOnPlateau against tf-keras 2.16's, in `.venv`: the same sequences of monitored
 * values go to both, and both must stop at the same epoch, restore the weights of the same epoch and set the same
 * learning rates. Each epoch's weights carry the epoch's number, so the restored weights say which epoch they are.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { tf } from '../tf.ts';
import { venvPython } from '../setup/python_env.ts';
import { needsPython } from '../testing.ts';
import { EarlyStopping, ReduceLrOnPlateau, type TrainingContext } from './callbacks.ts';

interface EarlyCase {
  values: number[];
  patience: number;
  minDelta: number;
  mode: 'min' | 'max' | 'auto';
  monitor: string;
}

interface PlateauCase {
  values: number[];
  patience: number;
  minDelta: number;
  factor: number;
  cooldown: number;
  minLr: number;
  monitor: string;
}

const EARLY: EarlyCase[] = [
  { values: [1.0, 0.9, 0.95, 0.97, 0.96, 0.8], patience: 2, minDelta: 0, mode: 'auto', monitor: 'val_loss' },
  { values: [1.0, 0.9, 0.89, 0.885, 0.88, 0.7], patience: 2, minDelta: 0.02, mode: 'min', monitor: 'val_loss' },
  { values: [0.5, 0.6, 0.6, 0.55, 0.7, 0.71], patience: 1, minDelta: 0, mode: 'auto', monitor: 'val_acc' },
  {
    values: [Number.NaN, Number.NaN, 0.9, Number.NaN, 0.95, 0.96],
    patience: 1,
    minDelta: 0,
    mode: 'min',
    monitor: 'val_loss',
  },
  { values: [Number.NaN, Number.NaN, Number.NaN], patience: 1, minDelta: 0, mode: 'min', monitor: 'val_loss' },
  {
    values: [0.3, 0.31, 0.29, 0.28, 0.285, 0.3, 0.31],
    patience: 3,
    minDelta: 0,
    mode: 'max',
    monitor: 'val_classification_acc',
  },
  { values: [1, 0.5, 0.4, 0.3, 0.2], patience: 1, minDelta: 0, mode: 'min', monitor: 'val_loss' },
];

const PLATEAU: PlateauCase[] = [
  {
    values: [1.0, 0.9, 0.9, 0.9, 0.9, 0.85, 0.85, 0.85, 0.85, 0.85],
    patience: 2,
    minDelta: 0,
    factor: 0.5,
    cooldown: 0,
    minLr: 0,
    monitor: 'val_loss',
  },
  {
    values: [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5],
    patience: 1,
    minDelta: 0,
    factor: 0.1,
    cooldown: 2,
    minLr: 1e-5,
    monitor: 'val_loss',
  },
  {
    values: [1.0, 0.99995, 0.9999, 0.9, 0.8999, 0.8998],
    patience: 1,
    minDelta: 1e-3,
    factor: 0.2,
    cooldown: 0,
    minLr: 0,
    monitor: 'val_loss',
  },
  {
    values: [0.2, 0.3, 0.3, 0.3, 0.4, 0.4, 0.4],
    patience: 2,
    minDelta: 0,
    factor: 0.5,
    cooldown: 1,
    minLr: 0,
    monitor: 'val_acc',
  },
];

const LR = 0.01;

/** Runs percept's callback over `values`, one epoch each, with the model's weights set to the epoch's number. */
async function perceptRun(
  values: number[],
  monitor: string,
  callback: EarlyStopping | ReduceLrOnPlateau,
): Promise<{ stopped: number | null; restored: number; lrs: number[] }> {
  const model = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [1], useBias: false })] });
  const context: TrainingContext = {
    model,
    epochs: values.length,
    batchesPerEpoch: 1,
    learningRate: LR,
    stopTraining: false,
    epoch: 0,
    stage: { lr: LR, epoch: 0, epochs: values.length },
  };
  const lrs: number[] = [];
  let stopped: number | null = null;
  await callback.onTrainBegin(context);
  for (const [epoch, value] of values.entries()) {
    context.epoch = epoch;
    model.setWeights([tf.tensor2d([[epoch]])]);
    await callback.onEpochEnd(epoch, { [monitor]: value }, context);
    lrs.push(context.learningRate);
    if (context.stopTraining) {
      stopped = epoch;
      break;
    }
  }
  await callback.onTrainEnd(context);
  const restored = (model.getWeights()[0]!.dataSync() as Float32Array)[0]!;
  model.dispose();
  return { stopped, restored, lrs };
}

const KERAS_SCRIPT = `
import json, sys
import numpy as np
import tensorflow as tf
keras = tf.keras
cases = json.load(sys.stdin)
out = []
for case in cases:
    model = keras.Sequential([keras.layers.Dense(1, input_shape=(1,), use_bias=False)])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=case["lr"]), loss="mse")
    if case["kind"] == "early":
        cb = keras.callbacks.EarlyStopping(monitor=case["monitor"], patience=case["patience"], min_delta=case["minDelta"], mode=case["mode"], restore_best_weights=True)
    else:
        cb = keras.callbacks.ReduceLROnPlateau(monitor=case["monitor"], patience=case["patience"], min_delta=case["minDelta"], factor=case["factor"], cooldown=case["cooldown"], min_lr=case["minLr"])
    cb.set_model(model)
    model.stop_training = False
    cb.on_train_begin()
    stopped, lrs = None, []
    for epoch, value in enumerate(case["values"]):
        model.set_weights([np.array([[epoch]], dtype=np.float32)])
        cb.on_epoch_end(epoch, {case["monitor"]: float("nan") if value is None else value})
        lrs.append(float(keras.backend.get_value(model.optimizer.learning_rate)))
        if model.stop_training:
            stopped = epoch
            break
    cb.on_train_end()
    out.append({"stopped": stopped, "restored": float(model.get_weights()[0][0][0]), "lrs": lrs})
print(json.dumps(out))
`;

function kerasRuns(cases: object[]): { stopped: number | null; restored: number; lrs: number[] }[] {
  // JSON has no NaN: null stands for it and the script turns it back.
  const result = spawnSync(venvPython(), ['-c', KERAS_SCRIPT], {
    input: JSON.stringify(cases),
    encoding: 'utf8',
    env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3' },
  });
  assert.equal(result.status, 0, result.stderr);
  return JSON.parse(result.stdout.trim().split('\n').pop()!) as {
    stopped: number | null;
    restored: number;
    lrs: number[];
  }[];
}

function assertSameRates(ours: number[], keras: number[], where: string): void {
  assert.equal(ours.length, keras.length, `${where}: epochs`);
  // Keras keeps the rate in a float32 variable.
  ours.forEach((lr, i) =>
    assert.ok(Math.abs(lr - keras[i]!) <= 1e-6 * keras[i]!, `${where}, epoch ${i}: percept ${lr}, Keras ${keras[i]}`),
  );
}

test(
  "EarlyStopping stops at Keras's epoch and restores the weights of Keras's best epoch, NaNs and minDelta included",
  needsPython('tensorflow'),
  async () => {
    const keras = kerasRuns(EARLY.map((c) => ({ kind: 'early', lr: LR, ...c })));
    for (const [i, c] of EARLY.entries()) {
      const ours = await perceptRun(
        c.values,
        c.monitor,
        new EarlyStopping({
          monitor: c.monitor,
          patience: c.patience,
          minDelta: c.minDelta,
          mode: c.mode,
          restoreBestWeights: true,
        }),
      );
      assert.deepEqual(
        [ours.stopped, ours.restored],
        [keras[i]!.stopped, keras[i]!.restored],
        `case ${i} ${JSON.stringify(c.values)}: [stopped, restored] percept vs Keras`,
      );
    }
  },
);

test(
  "ReduceLrOnPlateau sets Keras's learning rates epoch by epoch, with cooldown, minLr and minDelta",
  needsPython('tensorflow'),
  async () => {
    const keras = kerasRuns(PLATEAU.map((c) => ({ kind: 'plateau', lr: LR, ...c })));
    for (const [i, c] of PLATEAU.entries()) {
      const ours = await perceptRun(
        c.values,
        c.monitor,
        new ReduceLrOnPlateau({
          monitor: c.monitor,
          patience: c.patience,
          minDelta: c.minDelta,
          factor: c.factor,
          cooldown: c.cooldown,
          minLr: c.minLr,
        }),
      );
      assertSameRates(ours.lrs, keras[i]!.lrs, `case ${i}`);
      assert.ok(new Set(ours.lrs).size > 1, `case ${i} never reduces the rate: it tests nothing`);
    }
  },
);
