/**
 * Batch normalization as Keras runs it, for tfjs-layers' BatchNormalization:
 * - a layer with `trainable = false` runs in inference mode even while the model trains (Keras >= 2.1 semantics,
 *   which freezing a pretrained base relies on; tfjs-layers ignores `trainable` there);
 * - the moving variance is updated with the unbiased batch variance, as TensorFlow's fused kernel (Keras's default
 *   path for conv nets) does;
 * - the moving averages are bias-corrected within each epoch: the t-th update of an epoch mixes in the batch with
 *   weight max(1 - momentum, 1/t), so an epoch's statistics never lean on the previous epoch's stale ones (or on the
 *   initial mean 0 / variance 1). Keras's plain exponential average with momentum 0.99-0.999 needs hundreds to
 *   thousands of updates to forget its start; a from-scratch model trained for a few short epochs on a small set
 *   then predicts from a variance that is mostly the initial 1 (seen here: training accuracy 0.69, inference 0.17);
 * - on the native backend, training uses TensorFlow's `FusedBatchNormV3` / `FusedBatchNormGradV3`: one kernel each
 *   way instead of tfjs's ~30 small ops (moments, normalise, and their gradients).
 */
import type { Tensor, Tensor4D, Variable } from '@tensorflow/tfjs';
import type { Tf } from '../tf.ts';
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

/** Updates of each batch-norm layer since the current epoch began (see `beginBatchNormEpoch`). */
let updatesThisEpoch = new WeakMap<object, number>();

/**
 * Starts a new epoch of moving statistics: the next update of every batch norm takes its batch's statistics whole,
 * later ones average in (see the module comment). The trainer calls it at each epoch's start, so a resumed run gets
 * exactly the statistics of an uninterrupted one.
 */
export function beginBatchNormEpoch(): void {
  updatesThisEpoch = new WeakMap<object, number>();
}

/** The effective momentum of a layer's next update: bias-corrected early in an epoch, the layer's own later. */
function nextMomentum(layer: object, momentum: number): number {
  const updates = (updatesThisEpoch.get(layer) ?? 0) + 1;
  updatesThisEpoch.set(layer, updates);
  return Math.min(momentum, 1 - 1 / updates);
}

/** Training-mode batch norm over all axes but the last, with tfjs ops (any backend). */
export function batchNormTrainingComposite(tf: Tf, x: Tensor, gamma: Tensor, beta: Tensor, movingMean: Tensor, movingVariance: Tensor, args: BatchNormArgs): BatchNormTrainingResult {
  return tf.tidy(() => {
    const axes = x.shape.slice(0, -1).map((_, axis) => axis);
    const { mean, variance } = tf.moments(x, axes);
    const y = tf.batchNorm(x, mean, variance, beta, gamma, args.epsilon);
    const count = x.size / x.shape[x.rank - 1]!;
    const unbiased = tf.mul(variance, count / Math.max(count - 1, 1));
    const decay = 1 - args.momentum;
    return {
      y,
      movingMean: tf.sub(movingMean, tf.mul(tf.sub(movingMean, mean), decay)),
      movingVariance: tf.sub(movingVariance, tf.mul(tf.sub(movingVariance, unbiased), decay)),
    };
  });
}

/** Training-mode batch norm with TensorFlow's fused kernels; same results as the composite version. */
export function batchNormTrainingFused(tf: Tf, ops: NativeOps, x: Tensor, gamma: Tensor, beta: Tensor, movingMean: Tensor, movingVariance: Tensor, args: BatchNormArgs): BatchNormTrainingResult {
  const channels = x.shape[x.rank - 1]!;
  // The fused kernel takes NHWC; dense features [N, C] become [N, 1, 1, C].
  const x4d = (x.rank === 4 ? x : tf.reshape(x, [-1, 1, 1, channels])) as Tensor4D;
  const attrs = [ops.float32('T'), ops.float32('U'), ops.float('epsilon', args.epsilon), ops.string('data_format', 'NHWC'), ops.bool('is_training', true)];
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
  const y4d = normalize(x4d, gamma, beta);
  const y = x.rank === 4 ? y4d : tf.reshape(y4d, x.shape);
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

type LayerCall = (this: BatchNormLayer, inputs: Tensor | Tensor[], kwargs: Record<string, unknown>) => Tensor | Tensor[];

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
      const args = { epsilon: this.epsilon, momentum: nextMomentum(this, this.momentum) };
      const mean = this.movingMean.read();
      const variance = this.movingVariance.read();
      const result = ops !== undefined && (x.rank === 4 || x.rank === 2)
        ? batchNormTrainingFused(tf, ops, x, gamma, beta, mean, variance, args)
        : batchNormTrainingComposite(tf, x, gamma, beta, mean, variance, args);
      this.movingMean.write(result.movingMean);
      this.movingVariance.write(result.movingVariance);
      // The variables now hold their own reference; the fused path's kept tensors would otherwise leak.
      tf.dispose([result.movingMean, result.movingVariance]);
      return result.y;
    });
  };
}
