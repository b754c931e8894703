/**
 * Installs percept's training semantics, fast kernels and memory savings into TensorFlow.js once per process (called
 * by src/tf.ts right after the backend is chosen). `PERCEPT_FUSED_KERNELS=0` keeps Keras's batch-norm and optimizer semantics but
 * uses tfjs's own composite ops everywhere (src/train/optimizers.ts reads `fused` too), for comparison and debugging.
 */
import type { Tf } from '../tf_type.ts';
import { installAdd } from './add.ts';
import { registerNativeActivationGradients } from './activation_gradients.ts';
import { installBatchNormalization } from './batch_norm.ts';
import { installBiasAdd } from './bias_add.ts';
import { nativeOps } from './native_op.ts';
import { installReleasingGraphRun } from './release_intermediates.ts';
import { installRelu6 } from './relu.ts';

/** Whether fused native kernels are in use in this process (for run summaries and benchmarks). */
export interface KernelInstall {
  fused: boolean;
}

export function installKernels(tf: Tf): KernelInstall {
  const ops = process.env['PERCEPT_FUSED_KERNELS'] === '0' ? undefined : nativeOps(tf);
  installBatchNormalization(tf, ops);
  installRelu6(tf);
  installAdd(tf);
  installReleasingGraphRun(tf);
  if (ops !== undefined) {
    registerNativeActivationGradients(tf, ops);
    installBiasAdd(tf, ops);
  }
  return { fused: ops !== undefined };
}
