/**
 * The type of the TensorFlow.js namespace, apart from src/tf.ts, which loads it: src/kernels/ installs its kernels
 * into the namespace tf.ts loads, and takes its type from here so that the two do not import each other.
 */
import type * as TfModule from '@tensorflow/tfjs';

export type Tf = typeof TfModule;
