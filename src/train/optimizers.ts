/**
 * Optimizers with a settable learning rate and saveable state. Adam, SGD (with momentum) and RMSprop are tfjs's
 * own; AdamW adds decoupled weight decay (Loshchilov & Hutter 2019): each step first shrinks every trainable
 * variable by lr · weightDecay, then applies Adam, as keras/optimizers/adamw.py does.
 */
import type { NamedTensorMap, Optimizer, Variable } from '@tensorflow/tfjs';
import { tf } from '../tf.ts';
import { decodeNamed, encodeNamed, type EncodedWeights } from './weights_io.ts';

export interface OptimizerConfig {
  name: 'adam' | 'adamw' | 'sgd' | 'rmsprop';
  /** Base learning rate. */
  lr: number;
  /** AdamW's decoupled weight decay. Default 0.004 (Keras's AdamW default) for adamw, ignored otherwise. */
  weightDecay?: number;
  /** SGD momentum. Default 0 (plain SGD). */
  momentum?: number;
}

/** Keras's default epsilon for Adam and RMSprop (tfjs uses 1e-8). */
const KERAS_EPSILON = 1e-7;

/**
 * One optimizer of a training stage.
 *
 * @example
 * const optimizer = new TrainOptimizer({ name: 'adamw', lr: 1e-3, weightDecay: 1e-4 });
 * optimizer.learningRate = 1e-4;
 * optimizer.step(grads, variables);
 */
export class TrainOptimizer {
  readonly config: OptimizerConfig;
  private readonly inner: Optimizer;
  private rate: number;

  constructor(config: OptimizerConfig) {
    this.config = config;
    this.rate = config.lr;
    switch (config.name) {
      case 'adam':
      case 'adamw':
        this.inner = tf.train.adam(config.lr, 0.9, 0.999, KERAS_EPSILON);
        break;
      case 'sgd':
        this.inner = (config.momentum ?? 0) > 0 ? tf.train.momentum(config.lr, config.momentum!) : tf.train.sgd(config.lr);
        break;
      case 'rmsprop':
        this.inner = tf.train.rmsprop(config.lr, 0.9, 0, KERAS_EPSILON);
        break;
    }
  }

  get learningRate(): number {
    return this.rate;
  }

  set learningRate(value: number) {
    this.rate = value;
    // tfjs keeps learningRate protected (DESIGN.md §7): SGD and momentum cache -lr in a setter; Adam and RMSprop read the field each step.
    const inner = this.inner as unknown as { learningRate: number; setLearningRate?: (lr: number) => void };
    if (inner.setLearningRate !== undefined) inner.setLearningRate(value);
    else inner.learningRate = value;
  }

  /** Applies one step of gradients (keyed by variable name) to `variables`, in their order. */
  step(gradients: NamedTensorMap, variables: readonly Variable[]): void {
    if (this.config.name === 'adamw') {
      const decay = this.rate * (this.config.weightDecay ?? 0.004);
      tf.tidy(() => {
        for (const variable of variables) variable.assign(tf.sub(variable, tf.mul(variable, decay)));
      });
    }
    // An ordered list keeps tfjs's index-based slot variables aligned across steps and restores.
    this.inner.applyGradients(variables.map((variable) => ({ name: variable.name, tensor: gradients[variable.name]! })));
  }

  /** Slot variables and iteration count, encoded for a checkpoint (tfjs saves no optimizer state itself: tfjs#5138). */
  async serialize(): Promise<EncodedWeights> {
    const [iterations, ...slots] = await this.inner.getWeights();
    try {
      return await encodeNamed([iterations!, ...slots]);
    } finally {
      iterations!.tensor.dispose();
    }
  }

  /** Restores what `serialize` returned; call before the first step. */
  async deserialize(encoded: EncodedWeights): Promise<void> {
    const named = decodeNamed(encoded);
    await this.inner.setWeights(named);
    tf.dispose(named.map((entry) => entry.tensor));
  }

  dispose(): void {
    this.inner.dispose();
  }
}
