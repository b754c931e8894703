import type { Tensor } from '@tensorflow/tfjs';
import type { Tf } from '../tf_type.ts';

interface ReluLayer {
  maxValue?: number;
}

type LayerCall = (this: ReluLayer, inputs: Tensor | Tensor[], kwargs: Record<string, unknown>) => Tensor | Tensor[];

/**
 * Makes tfjs-layers' `ReLU({maxValue: 6})` (Keras `ReLU(6.)`, MobileNetV2/V3) run the single `Relu6` kernel instead of
 * relu followed by clipByValue: same values, one op forward and one (`Relu6Grad`) backward on the native backend.
 */
export function installRelu6(tf: Tf): void {
  const prototype = Object.getPrototypeOf(tf.layers.reLU({})) as { call: LayerCall };
  const generalCall = prototype.call;
  prototype.call = function (this: ReluLayer, inputs, kwargs) {
    if (this.maxValue !== 6) return generalCall.call(this, inputs, kwargs);
    return tf.relu6(Array.isArray(inputs) ? inputs[0]! : inputs);
  };
}
