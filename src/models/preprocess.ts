/**
 * Per-family input preprocessing, as keras.applications' `preprocess_input` (keras/applications/imagenet_utils.py)
 * does it. Inputs are float RGB in 0..255, as the data readers produce them.
 */
import type { Tensor4D } from '@tensorflow/tfjs';
import { tf } from '../tf.ts';
import type { PreprocessName } from './types.ts';

/** ImageNet channel means in BGR order ('caffe' mode). */
const CAFFE_BGR_MEAN = [103.939, 116.779, 123.68];
/** ImageNet RGB mean and std of 0..1 pixels ('torch' mode). */
const TORCH_MEAN = [0.485, 0.456, 0.406];
const TORCH_STD = [0.229, 0.224, 0.225];

/**
 * Applies the named preprocessing to a 0..255 RGB batch.
 *
 * @example
 * const ready = preprocess('mobilenet', images); // in [-1, 1]
 */
export function preprocess(name: PreprocessName, images: Tensor4D): Tensor4D {
  return tf.tidy(() => {
    switch (name) {
      case 'mobilenet':
        return tf.sub(tf.div(images, 127.5), 1);
      case 'caffe':
        return tf.sub(tf.reverse(images, -1), CAFFE_BGR_MEAN);
      case 'torch':
        return tf.div(tf.sub(tf.div(images, 255), TORCH_MEAN), TORCH_STD);
      case 'unit':
        return tf.div(images, 255);
      case 'none':
        return tf.clone(images);
    }
  });
}
