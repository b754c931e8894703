import { tf } from '../tf.ts';
import { apply, type Node } from './layers.ts';
import type { GlobalPooling } from './types.ts';

/** keras.applications' `include_top=True` classifier: GlobalAveragePooling2D + Dense(classes, softmax) named 'predictions'. */
export function classifierTop(features: Node, classes: number): Node {
  const pooled = apply(tf.layers.globalAveragePooling2d({ name: 'global_average_pooling2d' }), features);
  return apply(tf.layers.dense({ units: classes, activation: 'softmax', name: 'predictions' }), pooled);
}

/** The name of `pooling`'s layer per kind. */
export type PoolingNames = Readonly<Record<GlobalPooling, string>>;

/** The names keras.applications' ResNet, DenseNet and MobileNetV3 give `pooling`'s layer (and percept's own models). */
export const NAMED_POOLING: PoolingNames = { avg: 'avg_pool', max: 'max_pool' };

/** MobileNetV2 and VGG16 leave `pooling`'s layer unnamed: Keras's automatic names, first of their kind in a fresh session. */
export const AUTO_NAMED_POOLING: PoolingNames = { avg: 'global_average_pooling2d', max: 'global_max_pooling2d' };

/**
 * keras.applications' `include_top=False, pooling=…`: the feature map pooled to [batch, channels] by
 * GlobalAveragePooling2D or GlobalMaxPooling2D, named as `names` says; with `pooling` undefined, the feature map itself.
 *
 * @example
 * x = options.includeTop ? classifierTop(x, classes) : globalPooling(x, options.pooling, NAMED_POOLING);
 */
export function globalPooling(features: Node, pooling: GlobalPooling | undefined, names: PoolingNames): Node {
  if (pooling === undefined) return features;
  const layer =
    pooling === 'avg'
      ? tf.layers.globalAveragePooling2d({ name: names.avg })
      : tf.layers.globalMaxPooling2d({ name: names.max });
  return apply(layer, features);
}
