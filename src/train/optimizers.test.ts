import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Tensor, Variable } from '@tensorflow/tfjs';
import { tf } from '../tf.ts';
import { needsNative } from '../testing.ts';
import { TrainOptimizer, type OptimizerKernels } from './optimizers.ts';
import type { OptimizerConfig } from './update_rules.ts';

const START = [0.5, -1.5, 2];
const GRADIENTS = [
  [0.1, -0.2, 0.3],
  [-0.4, 0.05, 0.2],
  [0.3, 0.3, -0.1],
];

/** Keras 2.12's update formulas (keras/optimizers/*.py) in float64, one variable, for the three gradients above. */
function kerasReference(config: OptimizerConfig, lr = config.lr): number[] {
  return START.map((start, i) => {
    let value = start;
    let [a, b] = [0, 0];
    GRADIENTS.forEach((gradients, step) => {
      const g = gradients[i]!;
      const t = step + 1;
      const momentum = config.momentum ?? 0;
      const epsilon = config.epsilon ?? 1e-7;
      if (config.name === 'adamw') value -= value * (config.weightDecay ?? 0.004) * lr;
      switch (config.name) {
        case 'adamw':
        case 'adam': {
          a += (g - a) * 0.1;
          b += (g * g - b) * 0.001;
          value -= (a * (lr * Math.sqrt(1 - 0.999 ** t))) / (1 - 0.9 ** t) / (Math.sqrt(b) + epsilon);
          break;
        }
        case 'rmsprop':
          a = 0.9 * a + 0.1 * g * g;
          b = momentum * b + (lr * g) / Math.sqrt(a + epsilon);
          value -= b;
          break;
        case 'sgd':
          a = momentum * a - lr * g;
          value += config.nesterov === true ? momentum * a - lr * g : momentum > 0 ? a : -lr * g;
          break;
      }
    });
    return value;
  });
}

const CONFIGS: OptimizerConfig[] = [
  { name: 'adam', lr: 0.01 },
  // ε of the order of √v, where its place (outside Keras's bias correction, inside tfjs's) changes the step most.
  { name: 'adam', lr: 0.01, epsilon: 0.1 },
  { name: 'adamw', lr: 0.01, weightDecay: 0.1 },
  { name: 'rmsprop', lr: 0.01 },
  { name: 'rmsprop', lr: 0.01, momentum: 0.9 },
  { name: 'rmsprop', lr: 0.01, epsilon: 0.01 },
  { name: 'sgd', lr: 0.1 },
  { name: 'sgd', lr: 0.1, momentum: 0.9 },
  { name: 'sgd', lr: 0.1, momentum: 0.9, nesterov: true },
];

function runSteps(optimizer: TrainOptimizer, variable: Variable, steps: readonly number[][]): void {
  for (const values of steps) {
    const gradient = tf.tensor1d(values);
    optimizer.step({ [variable.name]: gradient }, [variable]);
    gradient.dispose();
  }
}

function trained(config: OptimizerConfig, kernels: OptimizerKernels): number[] {
  const variable = tf.tidy(() => tf.variable(tf.tensor1d(START)));
  const optimizer = new TrainOptimizer(config, kernels);
  runSteps(optimizer, variable, GRADIENTS);
  const values = Array.from(variable.dataSync());
  optimizer.dispose();
  variable.dispose();
  return values;
}

function assertClose(actual: number[], expected: number[], tolerance: number, label: string): void {
  actual.forEach((value, i) =>
    assert.ok(Math.abs(value - expected[i]!) <= tolerance, `${label}: ${value} vs ${expected[i]} at ${i}`),
  );
}

test("every optimizer follows Keras 2.12's update formula, through tfjs ops (composite path)", () => {
  for (const config of CONFIGS)
    assertClose(trained(config, 'composite'), kerasReference(config), 2e-6, JSON.stringify(config));
});

test(
  "on the native backend every optimizer runs TensorFlow's ResourceApply kernels with the same results",
  needsNative(),
  () => {
    for (const config of CONFIGS) {
      assert.equal(new TrainOptimizer(config).native, true);
      assertClose(trained(config, 'auto'), kerasReference(config), 2e-6, JSON.stringify(config));
      assertClose(
        trained(config, 'auto'),
        trained(config, 'composite'),
        1e-6,
        `${JSON.stringify(config)} native vs composite`,
      );
    }
  },
);

test('a learning-rate change takes effect at the next step', () => {
  for (const kernels of ['auto', 'composite'] as const) {
    const variable = tf.tidy(() => tf.variable(tf.tensor1d([1])));
    const optimizer = new TrainOptimizer({ name: 'sgd', lr: 0.1 }, kernels);
    runSteps(optimizer, variable, [[1]]);
    optimizer.learningRate = 0.01;
    runSteps(optimizer, variable, [[1]]);
    assertClose(Array.from(variable.dataSync()), [0.89], 1e-7, kernels);
    optimizer.dispose();
    variable.dispose();
  }
});

test('serialize and deserialize carry every slot and the step count: a resumed optimizer continues bit-identically, and no step leaks a tensor', async () => {
  for (const config of CONFIGS) {
    for (const kernels of ['auto', 'composite'] as const) {
      const label = `${JSON.stringify(config)} ${kernels}`;
      const baseline = tf.memory().numTensors;
      const straight = tf.tidy(() => tf.variable(tf.tensor1d(START)));
      const whole = new TrainOptimizer(config, kernels);
      runSteps(whole, straight, GRADIENTS);

      const resumed = tf.tidy(() => tf.variable(tf.tensor1d(START)));
      const first = new TrainOptimizer(config, kernels);
      runSteps(first, resumed, GRADIENTS.slice(0, 2));
      const saved = await first.serialize();
      first.dispose();
      const second = new TrainOptimizer(config, kernels);
      await second.deserialize(saved);
      runSteps(second, resumed, GRADIENTS.slice(2));
      const settled = tf.memory().numTensors;
      runSteps(second, resumed, GRADIENTS);
      assert.equal(tf.memory().numTensors, settled, `${label}: tensors grow per step`);
      runSteps(whole, straight, GRADIENTS);
      assert.deepEqual(Array.from(resumed.dataSync()), Array.from(straight.dataSync()), label);
      for (const item of [whole, second]) item.dispose();
      tf.dispose([straight, resumed] as Tensor[]);
      assert.equal(tf.memory().numTensors, baseline, `${label}: dispose leaves tensors (slots or resource handles)`);
    }
  }
});
