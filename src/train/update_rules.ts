/**
 * The update formulas of Keras 2.12's optimizers (keras/optimizers/{adam,rmsprop,sgd}.py, what tf.keras.optimizers.*
 * are in 2.12), each twice: as one TensorFlow `ResourceApply*` kernel per variable on the native backend, and as
 * tfjs ops on any backend. Both compute the same float32 formula in the same order as Keras:
 * - Adam: m += (g − m)(1 − β1); v += (g² − v)(1 − β2); var −= m·α / (√v + ε) with α = lr·√(1 − β2ᵗ)/(1 − β1ᵗ)
 *   (ε outside the bias correction, unlike tfjs's lr·m̂/(√v̂ + ε));
 * - RMSprop: ms = ρ·ms + (1 − ρ)g²; mom = momentum·mom + lr·g/√(ms + ε); var −= mom (ε inside the root);
 * - SGD: m = momentum·m − lr·g; var += m, or with Nesterov var += momentum·m − lr·g; without momentum var −= lr·g.
 * AdamW's decoupled decay happens before the rule (src/train/optimizers.ts).
 */
import type { Scalar, Tensor, Variable } from '@tensorflow/tfjs';
import { tf } from '../tf.ts';
import type { NativeOps } from '../kernels/native_op.ts';
import type { ResourceVariable } from '../kernels/resource_variable.ts';

/** An optimizer and its hyper-parameters, with Keras's names and defaults. */
export interface OptimizerConfig {
  name: 'adam' | 'adamw' | 'sgd' | 'rmsprop';
  /** Base learning rate. */
  lr: number;
  /** AdamW's decoupled weight decay. Default 0.004 (Keras's AdamW default) for adamw, ignored otherwise. */
  weightDecay?: number;
  /** SGD and RMSprop momentum. Default 0 (Keras's default). */
  momentum?: number;
  /** SGD with Nesterov momentum. Default false. */
  nesterov?: boolean;
  /** Adam, AdamW and RMSprop's epsilon. Default 1e-7 (Keras's; tfjs's is 1e-8). */
  epsilon?: number;
}

/** One step's update of one variable, with the step's shared scalars already computed. */
export interface VariableUpdate {
  /** Updates `variable` and its slots with tfjs ops (inside tf.tidy). */
  composite(variable: Variable, slots: readonly Variable[], gradient: Tensor): void;
  /** Updates the resource mirror of the variable and its slots with one TensorFlow kernel. */
  native(ops: NativeOps, variable: ResourceVariable, slots: readonly ResourceVariable[], gradient: Tensor): void;
}

export interface UpdateRule {
  /** Names of each variable's slots, in the order the updates take them (and checkpoints store them). */
  slots: readonly string[];
  /**
   * The step's scalars (call inside tf.tidy), from float32 scalar tensors: the learning rate and the iteration,
   * which counts from 1 as Keras's `iterations + 1`. Tensors, not numbers, so that a traced step
   * (src/train/traced_step.ts) takes both as inputs instead of freezing them into its graph.
   */
  begin(lr: Scalar, iteration: Scalar): VariableUpdate;
  /** Frees the rule's constant hyper-parameter tensors. */
  dispose(): void;
}

/**
 * Constant hyper-parameters as tensors, uploaded to TensorFlow once (on first use, kept past that step's tidy) instead
 * of once per step: the kernels take them as tensor inputs.
 */
export class Constants {
  private tensors: Scalar[] | undefined;

  constructor(private readonly values: readonly number[]) {}

  get(): Scalar[] {
    this.tensors ??= this.values.map((value) => tf.keep(tf.scalar(value)));
    return this.tensors;
  }

  dispose(): void {
    tf.dispose(this.tensors ?? []);
    this.tensors = undefined;
  }
}

/** Keras's default epsilon for Adam and RMSprop (tfjs uses 1e-8). */
const KERAS_EPSILON = 1e-7;

function handles(variable: ResourceVariable, slots: readonly ResourceVariable[]): Tensor[] {
  return [variable.handle, ...slots.map((slot) => slot.handle)];
}

function adam(beta1: number, beta2: number, epsilon: number): UpdateRule {
  const constants = new Constants([beta1, beta2, epsilon]);
  return {
    slots: ['m', 'v'],
    dispose: () => constants.dispose(),
    begin(lr, step) {
      const [beta1Tensor, beta2Tensor, epsilonTensor] = constants.get();
      // Keras: beta_1_power = tf.pow(beta_1, local_step) in float32.
      const beta1Power = tf.pow(beta1Tensor!, step);
      const beta2Power = tf.pow(beta2Tensor!, step);
      const alpha = tf.div(tf.mul(lr, tf.sqrt(tf.sub(1, beta2Power))), tf.sub(1, beta1Power));
      // Once per step, not per variable.
      const scalars = [beta1Power, beta2Power, lr, beta1Tensor!, beta2Tensor!, epsilonTensor!];
      return {
        composite(variable, [m, v], gradient) {
          m!.assign(tf.add(m!, tf.mul(tf.sub(gradient, m!), 1 - beta1)));
          v!.assign(tf.add(v!, tf.mul(tf.sub(tf.square(gradient), v!), 1 - beta2)));
          variable.assign(tf.sub(variable, tf.div(tf.mul(m!, alpha), tf.add(tf.sqrt(v!), epsilon))));
        },
        native(ops, variable, slots, gradient) {
          const attrs = [ops.float32('T'), ops.bool('use_locking', false), ops.bool('use_nesterov', false)];
          ops.run('ResourceApplyAdam', attrs, [...handles(variable, slots), ...scalars, gradient], 0);
        },
      };
    },
  };
}

/** RMSprop always keeps its momentum slot (Keras only with momentum > 0): TensorFlow's kernel takes one either way. */
function rmsprop(momentum: number, rho: number, epsilon: number): UpdateRule {
  const constants = new Constants([rho, momentum, epsilon]);
  return {
    slots: ['ms', 'mom'],
    dispose: () => constants.dispose(),
    begin(lr) {
      const scalars = [lr, ...constants.get()];
      return {
        composite(variable, [ms, mom], gradient) {
          ms!.assign(tf.add(tf.mul(ms!, rho), tf.mul(tf.square(gradient), 1 - rho)));
          mom!.assign(tf.add(tf.mul(mom!, momentum), tf.mul(tf.mul(lr, gradient), tf.rsqrt(tf.add(ms!, epsilon)))));
          variable.assign(tf.sub(variable, mom!));
        },
        native(ops, variable, slots, gradient) {
          ops.run(
            'ResourceApplyRMSProp',
            [ops.float32('T'), ops.bool('use_locking', false)],
            [...handles(variable, slots), ...scalars, gradient],
            0,
          );
        },
      };
    },
  };
}

function sgd(momentum: number, nesterov: boolean): UpdateRule {
  if (momentum === 0) {
    return {
      slots: [],
      dispose: () => {},
      begin(lr) {
        return {
          composite: (variable, _slots, gradient) => variable.assign(tf.sub(variable, tf.mul(gradient, lr))),
          native: (ops, variable, _slots, gradient) =>
            ops.run(
              'ResourceApplyGradientDescent',
              [ops.float32('T'), ops.bool('use_locking', false)],
              [variable.handle, lr, gradient],
              0,
            ),
        };
      },
    };
  }
  const constants = new Constants([momentum]);
  return {
    slots: ['m'],
    dispose: () => constants.dispose(),
    begin(lr) {
      const [momentumScalar] = constants.get();
      return {
        composite(variable, [m], gradient) {
          const step = tf.mul(gradient, lr);
          m!.assign(tf.sub(tf.mul(m!, momentum), step));
          variable.assign(tf.add(variable, nesterov ? tf.sub(tf.mul(m!, momentum), step) : m!));
        },
        native(ops, variable, slots, gradient) {
          const attrs = [ops.float32('T'), ops.bool('use_locking', false), ops.bool('use_nesterov', nesterov)];
          ops.run('ResourceApplyKerasMomentum', attrs, [...handles(variable, slots), lr, gradient, momentumScalar!], 0);
        },
      };
    },
  };
}

/** The update rule of an optimizer config (AdamW: Adam's; its decay is the optimizer's). */
export function updateRule(config: OptimizerConfig): UpdateRule {
  switch (config.name) {
    case 'adam':
    case 'adamw':
      return adam(0.9, 0.999, config.epsilon ?? KERAS_EPSILON);
    case 'rmsprop':
      return rmsprop(config.momentum ?? 0, 0.9, config.epsilon ?? KERAS_EPSILON);
    case 'sgd':
      return sgd(config.momentum ?? 0, config.nesterov ?? false);
  }
}
