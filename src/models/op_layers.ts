/**
 * Weightless layers for what Keras builds from plain tensor operations inside keras.applications' MobileNetV3
 * (`x + 3.0` and `x * (1/6)` become TFOpLambda layers named `tf.__operators__.add`, `tf.math.multiply`) and for
 * `GlobalAveragePooling2D(keepdims=True)`, which tfjs lacks. Registered for serialization, so saved runs reload.
 */
import type { Tensor } from '@tensorflow/tfjs';
import { tf } from '../tf.ts';

type Shape = (number | null)[];

interface ScalarOpArgs {
  value: number;
  name?: string;
}

function single(inputs: Tensor | Tensor[]): Tensor {
  return Array.isArray(inputs) ? inputs[0]! : inputs;
}

/** `x + value` (Keras: TFOpLambda `tf.__operators__.add`). */
export class ScalarAdd extends tf.layers.Layer {
  static readonly className = 'PerceptScalarAdd';
  /** The class Keras gives the same layer (summaries and the parity test show it). */
  static readonly kerasClassName = 'TFOpLambda';
  private readonly value: number;

  constructor(args: ScalarOpArgs) {
    super(args);
    this.value = args.value;
  }

  override call(inputs: Tensor | Tensor[]): Tensor {
    return tf.add(single(inputs), this.value);
  }

  override getConfig() {
    return { ...super.getConfig(), value: this.value };
  }
}

/** `x * value` (Keras: TFOpLambda `tf.math.multiply`). */
export class ScalarMultiply extends tf.layers.Layer {
  static readonly className = 'PerceptScalarMultiply';
  static readonly kerasClassName = 'TFOpLambda';
  private readonly value: number;

  constructor(args: ScalarOpArgs) {
    super(args);
    this.value = args.value;
  }

  override call(inputs: Tensor | Tensor[]): Tensor {
    return tf.mul(single(inputs), this.value);
  }

  override getConfig() {
    return { ...super.getConfig(), value: this.value };
  }
}

/** Keras `GlobalAveragePooling2D(keepdims=True)`: [n, h, w, c] -> [n, 1, 1, c]. */
export class GlobalAveragePoolingKeepDims extends tf.layers.Layer {
  static readonly className = 'PerceptGlobalAveragePoolingKeepDims';
  static readonly kerasClassName = 'GlobalAveragePooling2D';

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
    return [shape[0] ?? null, 1, 1, shape[3] ?? null];
  }

  override call(inputs: Tensor | Tensor[]): Tensor {
    return tf.mean(single(inputs), [1, 2], true);
  }
}

tf.serialization.registerClass(ScalarAdd);
tf.serialization.registerClass(ScalarMultiply);
tf.serialization.registerClass(GlobalAveragePoolingKeepDims);
