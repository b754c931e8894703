import type { Tensor } from '@tensorflow/tfjs';
import type { Tf } from '../tf_type.ts';

interface AddLayer {
  mergeFunction: (this: AddLayer, inputs: Tensor[]) => Tensor;
}

/**
 * Makes tfjs-layers' `Add` (ResNet's and MobileNetV2's residual sums) keep nothing for backprop when its inputs have
 * one shape: the gradient of a sum passes the upstream gradient to every input unchanged. tfjs's `Add` kernel keeps
 * both inputs until backprop to read their shapes for broadcasting, so each block's last batch-norm output stayed
 * alive through the forward pass; now it is freed once the sum is taken (src/kernels/release_intermediates.ts).
 * The sum is the layer's own: the inputs added left to right, as Keras's `Add` does.
 */
export function installAdd(tf: Tf): void {
  const prototype = Object.getPrototypeOf(tf.layers.add({})) as AddLayer;
  const broadcastingMerge = prototype.mergeFunction;
  prototype.mergeFunction = function (inputs) {
    const shape = inputs[0]!.shape.join(',');
    if (inputs.some((input) => input.shape.join(',') !== shape)) return broadcastingMerge.call(this, inputs);
    const sum = tf.customGrad((...args) => {
      const tensors = args.slice(0, inputs.length) as Tensor[];
      return {
        value: tensors.slice(1).reduce((total, input) => tf.add(total, input), tensors[0]!.clone()),
        // A copy per input (no data is copied): tfjs disposes an input's gradient when it adds another to it.
        gradFunc: (dy: Tensor) => tensors.map(() => dy.clone()),
      };
    });
    return sum(...inputs);
  };
}
