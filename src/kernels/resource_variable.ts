/**
 * TensorFlow resource variables on the native backend, which the `ResourceApply*` optimizer kernels update in place.
 * tfjs-node's binding returns a resource handle as a tfjs tensor of dtype 'string' that stays in its handle map and
 * can be passed back as an op input; the variable itself lives in TensorFlow until `DestroyResourceOp`.
 */
import type { Tensor } from '@tensorflow/tfjs';
import type { Tf } from '../tf_type.ts';
import type { NativeOps } from './native_op.ts';

/** Resources with the same shared_name alias each other: every variable of the process gets its own. */
let created = 0;

/**
 * A float32 TensorFlow variable of a fixed shape.
 *
 * @example
 * const slot = new ResourceVariable(tf, ops, zeros);
 * ops.run('ResourceApplyGradientDescent', [...], [slot.handle, lr, grad], 0);
 * const value = slot.read(); // the caller disposes it
 * slot.dispose();
 */
export class ResourceVariable {
  /** The resource handle, an op input of `ResourceApply*` kernels. */
  readonly handle: Tensor;
  private readonly ops: NativeOps;

  /** Creates the variable holding a copy of `initial` (which stays the caller's); safe inside tf.tidy. */
  constructor(tf: Tf, ops: NativeOps, initial: Tensor) {
    this.ops = ops;
    const attrs = [
      ops.float32('dtype'),
      ops.shape('shape', initial.shape),
      ops.string('shared_name', `percept_variable_${created++}`),
      ops.string('container', ''),
    ];
    this.handle = tf.keep(ops.run('VarHandleOp', attrs, [], 1)[0]!);
    this.assign(initial);
  }

  /** Overwrites the value with `value` (which stays the caller's). */
  assign(value: Tensor): void {
    this.ops.run('AssignVariableOp', [this.ops.float32('dtype')], [this.handle, value], 0);
  }

  /** The current value as a new tensor; the caller disposes it. */
  read(): Tensor {
    return this.ops.run('ReadVariableOp', [this.ops.float32('dtype')], [this.handle], 1)[0]!;
  }

  /** Frees the variable in TensorFlow and the handle in tfjs. */
  dispose(): void {
    this.ops.run('DestroyResourceOp', [this.ops.bool('ignore_lookup_error', true)], [this.handle], 0);
    this.handle.dispose();
  }
}
