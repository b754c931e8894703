/**
 * Gradients of ReLU and ReLU6 through TensorFlow's `ReluGrad` / `Relu6Grad` kernels on the native backend.
 * tfjs-core composes them from step/compare/multiply ops, several kernel launches per activation; MobileNetV2 has
 * 35 ReLU6 layers, so these alone were ~15% of a training step (tf.profile, train/mobilenet_v2/96).
 *
 * They read the activation's output, not its input, as TensorFlow's own gradients of Relu and Relu6 do: the output
 * is positive (and below 6) exactly where the input is, so the values are the same, and the output is the next
 * layer's input, which backprop keeps anyway, while the input (a batch norm's output) can then be freed after the
 * forward pass: one activation-sized tensor less per ReLU until backprop (src/kernels/release_intermediates.ts).
 */
import type { Tensor } from '@tensorflow/tfjs';
import type { Tf } from '../tf_type.ts';
import type { NativeOps } from './native_op.ts';

/** Replaces tfjs's gradients of the `Relu` and `Relu6` kernels by the fused TensorFlow ones. */
export function registerNativeActivationGradients(tf: Tf, ops: NativeOps): void {
  for (const [kernelName, gradKernel] of [
    ['Relu', 'ReluGrad'],
    ['Relu6', 'Relu6Grad'],
  ] as const) {
    tf.registerGradient({
      kernelName,
      outputsToSave: [true],
      gradFunc: (dy: Tensor | Tensor[], saved: Tensor[]) => ({
        x: () => ops.run(gradKernel, [ops.float32('T')], [dy as Tensor, saved[0]!], 1)[0]!,
      }),
    });
  }
}
