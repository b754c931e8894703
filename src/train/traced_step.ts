/**
 * The training step as one TensorFlow function (native backend with percept's binding extension): the first step
 * of each batch shape runs eagerly with tfjs-node's binding recorded (src/native/op_recorder.ts), and the recording
 * becomes a function (src/native/traced_function.ts) that later steps replay in one native call, with the batch, the
 * learning rate, the iteration, the dropout seed and the state (weights, batch-norm statistics, optimizer slots) as
 * inputs and the new state and the batch's figures as outputs.
 *
 * A recording is trusted only when it explains itself: before the real first step, a probe step with a different
 * learning rate, iteration and seed is recorded on the same batch and undone, and the two recordings must run the
 * same ops on the same constants. A value computed in JavaScript from something that changes per step (which a graph
 * would freeze), a value read back to JavaScript mid-step, or a graph TensorFlow refuses sends the stage back to
 * eager steps, and the reason is logged once.
 */
import type { Tensor, Variable } from '@tensorflow/tfjs';
import { tf } from '../tf.ts';
import { errorMessage } from '../errors.ts';
import { nativeOps } from '../kernels/native_op.ts';
import { recordOps, type RecordableBackend, type Recording, type TensorMetadata } from '../native/op_recorder.ts';
import {
  hasGraphFunctions,
  TracedFunction,
  type FunctionBackend,
  type FunctionInput,
} from '../native/traced_function.ts';
import type { Logs } from './callbacks.ts';
import {
  EagerSteps,
  figureLogs,
  scalarInputs,
  scalarList,
  stepTensors,
  trainableVariables,
  type StepContext,
  type StepRunner,
  type StepScalars,
} from './train_step.ts';
import type { Batch } from './types.ts';

/** Why the step cannot be traced on this backend at all, or undefined when it can. */
export function tracingUnavailable(): string | undefined {
  if (tf.getBackend() !== 'tensorflow') return `the ${tf.getBackend()} backend has no TensorFlow functions`;
  if (!hasGraphFunctions(tf.backend() as unknown as RecordableBackend))
    return "tfjs-node's binding lacks percept's graph functions. Fix: npx percept setup --rebuild";
  return undefined;
}

/** The binding's dtype number of a tensor that enters a traced function. */
export function dtypeNumber(backend: FunctionBackend, tensor: Tensor): number {
  const binding = backend.binding as unknown as Record<string, number>;
  const name = { float32: 'TF_FLOAT', int32: 'TF_INT32', bool: 'TF_BOOL' }[
    tensor.dtype as 'float32' | 'int32' | 'bool'
  ];
  if (name === undefined) throw new Error(`a ${tensor.dtype} input cannot enter a traced step`);
  return binding[name]!;
}

/** One op of a recording with its inputs named by role, for comparing two recordings. */
function canonical(recording: Recording, inputIds: readonly number[]): { ops: string[]; constants: Uint8Array[] } {
  const roles = new Map<number, string>(inputIds.map((id, i) => [id, `in${i}`]));
  const constants: Uint8Array[] = [];
  const roleOf = (id: number): string => {
    const known = roles.get(id);
    if (known !== undefined) return known;
    const value = recording.uploads.get(id) ?? recording.captured.get(id);
    if (value === undefined) return `?${id}`;
    constants.push(value.bytes);
    roles.set(id, `c${constants.length - 1}`);
    return `c${constants.length - 1}`;
  };
  const ops = recording.ops.map((op, k) => {
    const text = `${op.op}(${op.inputs.map(roleOf).join(',')})${JSON.stringify(op.attrs)}`;
    op.outputs.forEach((output: TensorMetadata, j: number) => roles.set(output.id, `n${k}:${j}`));
    return text;
  });
  return { ops, constants };
}

/** Why two recordings of the same step differ, or undefined when they run the same ops on the same constants. */
function difference(
  a: Recording,
  aInputs: readonly number[],
  b: Recording,
  bInputs: readonly number[],
): string | undefined {
  const left = canonical(a, aInputs);
  const right = canonical(b, bInputs);
  const length = Math.max(left.ops.length, right.ops.length);
  for (let k = 0; k < length; k++) {
    if (left.ops[k] !== right.ops[k])
      return `the step runs different ops from one step to the next (op ${k}: ${(left.ops[k] ?? 'none').slice(0, 80)})`;
  }
  const changed = left.constants.findIndex((bytes, i) => Buffer.compare(bytes, right.constants[i]!) !== 0);
  if (changed >= 0)
    return `a value computed in JavaScript changes from step to step (constant ${changed} of ${left.constants.length}), which a traced graph would freeze`;
  return undefined;
}

/** One batch shape's function, and the state it takes and returns, in its input order. */
interface Traced {
  fn: TracedFunction;
  state: Variable[];
  /** Indexes into `state` of the variables the function returns new values of, in its output order. */
  changed: number[];
}

/** One recorded eager step. */
interface Recorded {
  recording: Recording;
  /** The function's inputs: the batch, the scalars, the state. */
  inputs: Tensor[];
  inputIds: number[];
  /** The scalar tensors the recording made, to dispose. */
  scalars: Tensor[];
  figures: Tensor;
}

/** Reasons already logged, so that each is said once per process. */
const said = new Set<string>();

/**
 * Steps that replay a traced function per batch shape, falling back to EagerSteps for the stage when tracing fails.
 *
 * @example
 * const steps = new TracedSteps(context, log);
 * const logs = steps.run(batch, { lr, iteration, step });
 */
export class TracedSteps implements StepRunner {
  private readonly backend = tf.backend() as unknown as FunctionBackend;
  private readonly functions = new Map<string, Traced>();
  private fallback: EagerSteps | undefined;
  /** Number of steps that ran as one function call. */
  replays = 0;

  constructor(
    private readonly context: StepContext,
    private readonly log: (line: string) => void,
  ) {}

  /** Why the stage fell back to eager steps, if it did. */
  fallbackReason: string | undefined;

  run(batch: Batch, scalars: StepScalars): Logs {
    if (this.fallback !== undefined) return this.fallback.run(batch, scalars);
    const key = [batch.x, ...batch.targets].map((tensor) => `${tensor.dtype}[${tensor.shape.join(',')}]`).join(' ');
    const traced = this.functions.get(key);
    if (traced === undefined) return this.trace(key, batch, scalars);
    const numbers = tf.tidy(() => {
      const [figures, ...updated] = traced.fn.call([
        batch.x,
        ...batch.targets,
        ...scalarList(scalarInputs(this.context, scalars)),
        ...traced.state,
      ]);
      traced.changed.forEach((index, k) => traced.state[index]!.assign(updated[k]!));
      return figures!.dataSync();
    });
    this.context.optimizer.advance();
    this.replays++;
    return figureLogs(this.context.outputs, numbers);
  }

  /** Everything a step reads and may change, in input order: the model's weights, then the optimizer's slots. */
  private state(): Variable[] {
    const slots = this.context.optimizer.slotVariables();
    if (slots === undefined)
      throw new Error('a traced step needs the optimizer slots as tfjs variables (composite kernels)');
    return [...new Set([...this.context.model.weights.map((weight) => weight.read() as Variable), ...slots])];
  }

  /** The first step of a batch shape: probe, record, compile; falls back to eager steps when any of it fails. */
  private trace(key: string, batch: Batch, scalars: StepScalars): Logs {
    this.context.optimizer.prepare(trainableVariables(this.context.model));
    const state = this.state();
    this.separateSharedTensors(state);
    const record = (values: StepScalars): Recorded => {
      const step = scalarInputs(this.context, values);
      const scalarTensors = scalarList(step);
      const inputs = [batch.x, ...batch.targets, ...scalarTensors, ...state];
      const inputIds = this.backend.getInputTensorIds(inputs);
      const { result, recording } = recordOps(this.backend, new Set(inputIds), () =>
        tf.tidy(() => stepTensors(this.context, batch, step.lr, step.iteration, step.seed)),
      );
      return { recording, inputs, inputIds, scalars: scalarTensors, figures: result };
    };
    // The probe: another rate, iteration and seed on the same batch, then every variable is put back.
    const before = state.map((variable) => tf.keep(tf.clone(variable)));
    const probe = record({
      lr: scalars.lr === 0 ? 1e-3 : scalars.lr / 2,
      iteration: scalars.iteration + 1,
      step: scalars.step + 1,
    });
    state.forEach((variable, i) => variable.assign(before[i]!));
    tf.dispose([...before, probe.figures, ...probe.scalars]);
    const real = record(scalars);
    let reason =
      real.recording.untraceable ??
      probe.recording.untraceable ??
      difference(real.recording, real.inputIds, probe.recording, probe.inputIds);
    const changed: number[] = [];
    if (reason === undefined) {
      try {
        const after = this.backend.getInputTensorIds(state);
        const stateBefore = real.inputIds.slice(real.inputIds.length - state.length);
        state.forEach((_, i) => {
          if (after[i] !== stateBefore[i]) changed.push(i);
        });
        const inputs: FunctionInput[] = real.inputs.map((tensor, i) => ({
          id: real.inputIds[i]!,
          dtype: dtypeNumber(this.backend, tensor),
          shape: tensor.shape,
        }));
        const outputs = [this.backend.getInputTensorIds([real.figures])[0]!, ...changed.map((i) => after[i]!)];
        this.functions.set(key, {
          fn: TracedFunction.compile(this.backend, real.recording, inputs, outputs),
          state,
          changed,
        });
      } catch (error) {
        reason = errorMessage(error);
      }
    }
    const numbers = real.figures.dataSync();
    tf.dispose([real.figures, ...real.scalars]);
    this.context.optimizer.advance();
    if (reason !== undefined) this.fallBack(reason);
    return figureLogs(this.context.outputs, numbers);
  }

  /** Gives variables that share one TensorFlow tensor (equal initial values) their own copies: a graph input per variable. */
  private separateSharedTensors(state: readonly Variable[]): void {
    const ops = nativeOps(tf)!;
    const seen = new Set<number>();
    state.forEach((variable) => {
      const [id] = this.backend.getInputTensorIds([variable]);
      if (!seen.has(id!)) {
        seen.add(id!);
        return;
      }
      // TensorFlow infers Identity's type attribute from its input; the copy is a new tensor (a new id).
      const [copy] = ops.run('Identity', [], [variable], 1);
      variable.assign(copy!);
      copy!.dispose();
      seen.add(this.backend.getInputTensorIds([variable])[0]!);
    });
  }

  private fallBack(reason: string): void {
    this.fallbackReason = reason;
    for (const { fn } of this.functions.values()) fn.dispose();
    this.functions.clear();
    this.context.optimizer.useKernels(this.context.fallbackKernels);
    this.fallback = new EagerSteps(this.context);
    const line = `training steps run eagerly (op by op): ${reason}`;
    if (!said.has(line)) {
      said.add(line);
      this.log(line);
    }
  }

  dispose(): void {
    for (const { fn } of this.functions.values()) fn.dispose();
    this.functions.clear();
  }
}
