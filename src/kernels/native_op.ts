/**
 * Direct access to TensorFlow's own kernels through tfjs-node's binding, for the few training ops where tfjs
 * composes many small ops (batch-norm and activation gradients) and TensorFlow has one fused kernel, and for the
 * optimizers' `ResourceApply*` kernels, which need resource variables (src/kernels/resource_variable.ts).
 * Typed here because tfjs-node does not export these internals from its public API.
 */
import type { Tensor } from '@tensorflow/tfjs';
import type { Tf } from '../tf_type.ts';

/** One attribute of a TensorFlow op, as tfjs-node's binding takes it. */
export interface OpAttr {
  name: string;
  type: number;
  value: number | boolean | string | number[];
}

interface Binding {
  TF_ATTR_TYPE: number;
  TF_ATTR_FLOAT: number;
  TF_ATTR_BOOL: number;
  TF_ATTR_STRING: number;
  TF_ATTR_INT: number;
  TF_ATTR_SHAPE: number;
  TF_FLOAT: number;
  TF_INT32: number;
}

interface NodeBackend {
  binding: Binding;
  executeMultipleOutputs(name: string, attrs: OpAttr[], inputs: Tensor[], numOutputs: number): Tensor[];
}

/** Runs TensorFlow ops by name on the native backend. */
export interface NativeOps {
  run(name: string, attrs: OpAttr[], inputs: Tensor[], numOutputs: number): Tensor[];
  /** `T`-style dtype attribute for float32. */
  float32(name: string): OpAttr;
  /** `T`-style dtype attribute for int32. */
  int32(name: string): OpAttr;
  float(name: string, value: number): OpAttr;
  bool(name: string, value: boolean): OpAttr;
  string(name: string, value: string): OpAttr;
  int(name: string, value: number): OpAttr;
  /** A shape attribute (`VarHandleOp`'s `shape`). */
  shape(name: string, value: number[]): OpAttr;
}

/**
 * The native op runner when the active backend is tfjs-node's 'tensorflow', else undefined.
 *
 * @example
 * const ops = nativeOps(tf);
 * if (ops) ops.run('Relu6Grad', [ops.float32('T')], [dy, x], 1);
 */
export function nativeOps(tf: Tf): NativeOps | undefined {
  if (tf.getBackend() !== 'tensorflow') return undefined;
  const backend = tf.backend() as unknown as NodeBackend;
  const binding = backend.binding;
  return {
    run: (name, attrs, inputs, numOutputs) => backend.executeMultipleOutputs(name, attrs, inputs, numOutputs),
    float32: (name) => ({ name, type: binding.TF_ATTR_TYPE, value: binding.TF_FLOAT }),
    int32: (name) => ({ name, type: binding.TF_ATTR_TYPE, value: binding.TF_INT32 }),
    float: (name, value) => ({ name, type: binding.TF_ATTR_FLOAT, value }),
    bool: (name, value) => ({ name, type: binding.TF_ATTR_BOOL, value }),
    string: (name, value) => ({ name, type: binding.TF_ATTR_STRING, value }),
    int: (name, value) => ({ name, type: binding.TF_ATTR_INT, value }),
    shape: (name, value) => ({ name, type: binding.TF_ATTR_SHAPE, value }),
  };
}
