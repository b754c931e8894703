import { tf } from '../tf.ts';
import { apply, type Node } from './layers.ts';

/** keras.applications' `include_top=True` classifier: GlobalAveragePooling2D + Dense(classes, softmax) named 'predictions'. */
export function classifierTop(features: Node, classes: number): Node {
  const pooled = apply(tf.layers.globalAveragePooling2d({ name: 'global_average_pooling2d' }), features);
  return apply(tf.layers.dense({ units: classes, activation: 'softmax', name: 'predictions' }), pooled);
}
