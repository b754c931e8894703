/**
 * Dropout masks drawn by TensorFlow from a per-step seed tensor, on the native backend. tfjs's own Dropout draws its
 * mask in JavaScript (seedrandom), which a traced step (src/train/traced_step.ts) would freeze into its graph as a
 * constant; TensorFlow's `StatelessRandomUniform` takes the seed as an input instead, so the traced and the eager
 * step draw the same masks from the same seed. The mask follows Keras's tf.nn.dropout: x · 1/(1 − rate) · [u ≥ rate].
 */
import type { LayersModel, Tensor } from '@tensorflow/tfjs';
import { tf } from '../tf.ts';
import type { NativeOps } from '../kernels/native_op.ts';

/** The parts of tfjs's Dropout layer this replaces and reads. */
interface DropoutLayer {
  rate: number;
  call(inputs: Tensor | Tensor[], kwargs: Record<string, unknown>): Tensor | Tensor[];
  /** null without a noise shape (the mask then has the input's shape). */
  getNoiseShape(input: Tensor): number[] | null;
}

/** Spreads layers' seeds apart in the first seed word; the second is the step. */
const LAYER_STRIDE = 131;

/**
 * While installed, every Dropout layer of `model` draws its training-mode mask from `seed` (int32 [2]: the run's
 * seed word, the step), plus its own index. Set `seed` before each training forward pass.
 *
 * @example
 * const dropout = new SeededDropout(model, ops);
 * dropout.seed = SeededDropout.stepSeed(runSeed, step);
 * ...
 * dropout.uninstall();
 */
export class SeededDropout {
  seed: Tensor | undefined;
  private readonly restore: (() => void)[] = [];

  constructor(
    model: LayersModel,
    private readonly ops: NativeOps,
  ) {
    model.layers.forEach((layer, index) => {
      if (layer.getClassName() !== 'Dropout') return;
      const dropout = layer as unknown as DropoutLayer;
      const own = Object.prototype.hasOwnProperty.call(dropout, 'call') ? dropout.call.bind(dropout) : undefined;
      dropout.call = (inputs, kwargs) =>
        this.apply(dropout, index, Array.isArray(inputs) ? inputs[0]! : inputs, kwargs['training'] === true);
      this.restore.push(() => {
        if (own === undefined) delete (dropout as Partial<DropoutLayer>).call;
        else dropout.call = own;
      });
    });
  }

  /** Whether the model has any Dropout layer. */
  get active(): boolean {
    return this.restore.length > 0;
  }

  /** The seed tensor of one step (the caller disposes it). */
  static stepSeed(runSeed: number, step: number): Tensor {
    return tf.tensor1d([Math.imul(runSeed, LAYER_STRIDE * LAYER_STRIDE) | 0, step | 0], 'int32');
  }

  private apply(layer: DropoutLayer, index: number, x: Tensor, training: boolean): Tensor {
    if (!training || layer.rate <= 0 || layer.rate >= 1) return tf.clone(x);
    if (this.seed === undefined) throw new Error('SeededDropout: no seed set for this training step');
    return tf.tidy(() => {
      const seed = tf.add(this.seed!, tf.tensor1d([index * LAYER_STRIDE, 0], 'int32'));
      const shape = tf.tensor1d(layer.getNoiseShape(x) ?? x.shape, 'int32');
      const attrs = [this.ops.float32('dtype'), this.ops.int32('T'), this.ops.int32('Tseed')];
      const [uniform] = this.ops.run('StatelessRandomUniform', attrs, [shape, seed], 1);
      const keep = tf.cast(tf.greaterEqual(uniform!, layer.rate), x.dtype);
      return tf.mul(tf.mul(x, 1 / (1 - layer.rate)), keep);
    });
  }

  uninstall(): void {
    for (const undo of this.restore) undo();
    this.restore.length = 0;
  }
}
