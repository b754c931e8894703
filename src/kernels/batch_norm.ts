/**
 * Batch normalization as Keras 2.12 runs it, for tfjs-layers' BatchNormalization:
 * - a layer with `trainable = false` runs in inference mode even while the model trains (Keras >= 2.1 semantics,
 *   which freezing a pretrained base relies on; tfjs-layers ignores `trainable` there);
 * - the moving averages take every batch with the layer's momentum, from the first step on:
 *   moving −= (moving − batch)·(1 − momentum). A from-scratch model trained for a few hundred steps keeps most of
 *   its initial mean 0 / variance 1 at Keras's 0.99 (0.999 for MobileNetV2), as in Keras; `model.batchNormMomentum`
 *   (src/runs/experiment_model.ts) sets a lower momentum for every layer, as a Keras user sets `layer.momentum`;
 * - the moving variance takes the batch variance as Keras computes it: unbiased on rank-4 inputs (Keras's fused
 *   path, TensorFlow's FusedBatchNormV3), biased on other ranks (Keras's non-fused path, tf.nn.moments), e.g. a
 *   batch norm after a dense layer;
 * - on the native backend, training on rank-4 inputs uses TensorFlow's `FusedBatchNormV3` / `FusedBatchNormGradV3`:
 *   one kernel each way instead of tfjs's ~30 small ops (moments, normalise, and their gradients).
 */
import type { Tensor, Tensor4D, Variable } from '@tensorflow/tfjs';
import type { Tf } from '../tf_type.ts';
import type { NativeOps } from './native_op.ts';

export interface BatchNormTrainingResult {
  y: Tensor;
  /** Moving mean and variance after this batch's update (momentum applied); the caller disposes them. */
  movingMean: Tensor;
  movingVariance: Tensor;
}

export interface BatchNormArgs {
  epsilon: number;
  momentum: number;
}

/** Training-mode batch norm over all axes but the last, with tfjs ops (any backend); unbiased variance on rank 4, as Keras. */
export function batchNormTrainingComposite(
  tf: Tf,
  x: Tensor,
  gamma: Tensor,
  beta: Tensor,
  movingMean: Tensor,
  movingVariance: Tensor,
  args: BatchNormArgs,
): BatchNormTrainingResult {
  return tf.tidy(() => {
    const axes = x.shape.slice(0, -1).map((_, axis) => axis);
    const { mean, variance } = tf.moments(x, axes);
    const y = tf.batchNorm(x, mean, variance, beta, gamma, args.epsilon);
    const count = x.size / x.shape[x.rank - 1]!;
    const batchVariance = x.rank === 4 ? tf.mul(variance, count / Math.max(count - 1, 1)) : variance;
    const decay = 1 - args.momentum;
    return {
      y,
      movingMean: tf.sub(movingMean, tf.mul(tf.sub(movingMean, mean), decay)),
      movingVariance: tf.sub(movingVariance, tf.mul(tf.sub(movingVariance, batchVariance), decay)),
    };
  });
}

/** Training-mode batch norm of NHWC inputs with TensorFlow's fused kernels; same results as the composite version. */
export function batchNormTrainingFused(
  tf: Tf,
  ops: NativeOps,
  x: Tensor4D,
  gamma: Tensor,
  beta: Tensor,
  movingMean: Tensor,
  movingVariance: Tensor,
  args: BatchNormArgs,
): BatchNormTrainingResult {
  const attrs = [
    ops.float32('T'),
    ops.float32('U'),
    ops.float('epsilon', args.epsilon),
    ops.string('data_format', 'NHWC'),
    ops.bool('is_training', true),
  ];
  let running: Tensor[] = [];
  const normalize = tf.customGrad((input, scale, offset, save) => {
    // exponential_avg_factor = 1 - momentum makes outputs 1 and 2 the updated moving averages (with the unbiased variance).
    const [y, mean, variance, reserve1, reserve2, reserve3] = ops.run(
      'FusedBatchNormV3',
      [...attrs, ops.float('exponential_avg_factor', 1 - args.momentum)],
      [input as Tensor, scale as Tensor, offset as Tensor, movingMean, movingVariance],
      6,
    );
    // customGrad runs this inside a tidy that would dispose the moving averages: keep them, the caller disposes them.
    running = [tf.keep(mean!), tf.keep(variance!)];
    (save as (tensors: Tensor[]) => void)([input as Tensor, scale as Tensor, reserve1!, reserve2!, reserve3!]);
    return {
      value: y!,
      gradFunc: (dy: Tensor, saved: Tensor[]) => {
        const [dx, dScale, dOffset, ...unused] = ops.run('FusedBatchNormGradV3', attrs, [dy, ...saved], 5);
        tf.dispose(unused);
        return [dx!, dScale!, dOffset!];
      },
    };
  });
  const y = normalize(x, gamma, beta);
  return { y, movingMean: running[0]!, movingVariance: running[1]! };
}

/** The parts of tfjs-layers' BatchNormalization that the training path reads. */
interface BatchNormLayer {
  axis: number | number[];
  epsilon: number;
  momentum: number;
  trainable: boolean;
  gamma: { read(): Variable } | null;
  beta: { read(): Variable } | null;
  movingMean: { read(): Variable; write(value: Tensor): void };
  movingVariance: { read(): Variable; write(value: Tensor): void };
}

type LayerCall = (
  this: BatchNormLayer,
  inputs: Tensor | Tensor[],
  kwargs: Record<string, unknown>,
) => Tensor | Tensor[];

/**
 * Replaces BatchNormalization.call so that every percept model trains its batch norms as Keras does
 * (see the module comment). Installed once by src/kernels/install.ts.
 */
export function installBatchNormalization(tf: Tf, ops: NativeOps | undefined): void {
  const prototype = Object.getPrototypeOf(tf.layers.batchNormalization({})) as { call: LayerCall };
  const inferenceCall = prototype.call;
  prototype.call = function (this: BatchNormLayer, inputs, kwargs) {
    const x = Array.isArray(inputs) ? inputs[0]! : inputs;
    const lastAxis = [x.rank - 1, -1];
    const axis = Array.isArray(this.axis) ? this.axis : [this.axis];
    if (kwargs['training'] !== true || !this.trainable || axis.length !== 1 || !lastAxis.includes(axis[0]!)) {
      return inferenceCall.call(this, inputs, { ...kwargs, training: kwargs['training'] === true && this.trainable });
    }
    return tf.tidy(() => {
      const channels = x.shape[x.rank - 1]!;
      const gamma = this.gamma?.read() ?? tf.ones([channels]);
      const beta = this.beta?.read() ?? tf.zeros([channels]);
      const args = { epsilon: this.epsilon, momentum: this.momentum };
      const mean = this.movingMean.read();
      const variance = this.movingVariance.read();
      // Other ranks stay composite: Keras's non-fused path, whose biased variance the fused kernel cannot give.
      const result =
        ops !== undefined && x.rank === 4
          ? batchNormTrainingFused(tf, ops, x as Tensor4D, gamma, beta, mean, variance, args)
          : batchNormTrainingComposite(tf, x, gamma, beta, mean, variance, args);
      this.movingMean.write(result.movingMean);
      this.movingVariance.write(result.movingVariance);
      // The variables now hold their own reference; the fused path's kept tensors would otherwise leak.
      tf.dispose([result.movingMean, result.movingVariance]);
      return result.y;
    });
  };
}
