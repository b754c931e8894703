/**
 * Optimizers with a settable learning rate and saveable state, updating as Keras 2.12's Adam, AdamW, RMSprop and SGD
 * do (formulas in src/train/update_rules.ts). On the native backend each variable's update is one TensorFlow
 * `ResourceApply*` kernel: the model variable is mirrored into a resource variable for it and read back, and the
 * slots live in TensorFlow as resource variables. Elsewhere (pure JS, or `PERCEPT_FUSED_KERNELS=0`) the same
 * formulas run as tfjs ops. AdamW adds decoupled weight decay (Loshchilov & Hutter 2019): each step first shrinks
 * every trainable variable by var·weightDecay·lr, then applies Adam, as keras/optimizers/adamw.py does.
 */
import type { NamedTensorMap, Scalar, Tensor, Variable } from '@tensorflow/tfjs';
import { backendInfo, tf } from '../tf.ts';
import { nativeOps, type NativeOps } from '../kernels/native_op.ts';
import { ResourceVariable } from '../kernels/resource_variable.ts';
import { Constants, updateRule, type OptimizerConfig, type UpdateRule, type VariableUpdate } from './update_rules.ts';
import { decodeNamed, encodeNamed, type EncodedWeights, type NamedTensor } from '../models/weights_io.ts';

/** Where the updates run: TensorFlow's kernels when the fused native kernels are installed, else tfjs ops. */
export type OptimizerKernels = 'auto' | 'composite';

/** TensorFlow's op runner when `kernels` asks for the fused kernels and they are installed, else undefined (tfjs ops). */
function kernelOps(kernels: OptimizerKernels): NativeOps | undefined {
  return kernels === 'auto' && backendInfo.fusedKernels ? nativeOps(tf) : undefined;
}

/** The optimizer's state of one variable: its slots, and how one step updates it. */
interface VariableState {
  update(step: VariableUpdate, variable: Variable, gradient: Tensor): void;
  /** Copies of the slot values, in the rule's slot order; the caller disposes them. */
  slotValues(): Tensor[];
  /** The slots as tfjs variables (the state a traced step takes and returns); undefined when they live in TensorFlow. */
  slotVariables(): Variable[] | undefined;
  dispose(): void;
}

class NativeState implements VariableState {
  private readonly mirror: ResourceVariable;
  private readonly slots: ResourceVariable[];

  constructor(
    private readonly ops: NativeOps,
    variable: Variable,
    initial: readonly Tensor[],
  ) {
    this.mirror = new ResourceVariable(tf, ops, variable);
    this.slots = initial.map((value) => new ResourceVariable(tf, ops, value));
  }

  update(step: VariableUpdate, variable: Variable, gradient: Tensor): void {
    // The model variable may have changed since the last step (AdamW's decay, a restore): mirror it, update, read back.
    this.mirror.assign(variable);
    step.native(this.ops, this.mirror, this.slots, gradient);
    variable.assign(this.mirror.read());
  }

  slotValues(): Tensor[] {
    return this.slots.map((slot) => slot.read());
  }

  slotVariables(): undefined {
    return undefined;
  }

  dispose(): void {
    for (const resource of [this.mirror, ...this.slots]) resource.dispose();
  }
}

class CompositeState implements VariableState {
  private readonly slots: Variable[];

  constructor(initial: readonly Tensor[]) {
    this.slots = initial.map((value) => tf.variable(value, false));
  }

  update(step: VariableUpdate, variable: Variable, gradient: Tensor): void {
    step.composite(variable, this.slots, gradient);
  }

  slotValues(): Tensor[] {
    return this.slots.map((slot) => slot.clone());
  }

  slotVariables(): Variable[] {
    return this.slots;
  }

  dispose(): void {
    tf.dispose(this.slots);
  }
}

/** Checkpoint name of a slot: by the variable's position in the step's list, which is stable across processes (names are not: tfjs suffixes them). */
function slotName(index: number, slot: string): string {
  return `slot/${index}/${slot}`;
}

const ITERATIONS = 'iterations';

/**
 * One optimizer of a training stage.
 *
 * @example
 * const optimizer = new TrainOptimizer({ name: 'adamw', lr: 1e-3, weightDecay: 1e-4 });
 * optimizer.learningRate = 1e-4; // takes effect at the next step
 * optimizer.step(grads, variables);
 */
export class TrainOptimizer {
  readonly config: OptimizerConfig;
  /** Read at every step, so a schedule's change applies to the next one. */
  learningRate: number;
  private readonly rule: UpdateRule;
  /** AdamW's decoupled weight decay. */
  private readonly decay: Constants | undefined;
  private ops: NativeOps | undefined;
  /** Steps taken so far (Keras's `iterations`). */
  private iterations = 0;
  /** Per variable name, in the order the variables were first stepped. */
  private readonly states = new Map<string, { variable: Variable; state: VariableState }>();
  /** Slot values from `deserialize`, by slot name, taken when each variable's state is created. */
  private restored = new Map<string, Tensor>();

  constructor(config: OptimizerConfig, kernels: OptimizerKernels = 'auto') {
    this.config = config;
    this.learningRate = config.lr;
    this.rule = updateRule(config);
    this.decay = config.name === 'adamw' ? new Constants([config.weightDecay ?? 0.004]) : undefined;
    this.ops = kernelOps(kernels);
  }

  /** Whether the updates run as TensorFlow's `ResourceApply*` kernels. */
  get native(): boolean {
    return this.ops !== undefined;
  }

  /** Keras's `iterations`: the steps taken so far. */
  get stepsTaken(): number {
    return this.iterations;
  }

  /** Applies one step of gradients (keyed by variable name) to `variables`; the list must keep its order from step to step. */
  step(gradients: NamedTensorMap, variables: readonly Variable[]): void {
    tf.tidy(() => this.apply(gradients, variables, tf.scalar(this.learningRate), tf.scalar(this.iterations + 1)));
    this.advance();
  }

  /**
   * The tensor half of `step`, for a step traced into a graph: updates `variables` and the slots from the learning
   * rate and the 1-based iteration as tensors (inside tf.tidy); `advance` then counts the step.
   */
  apply(gradients: NamedTensorMap, variables: readonly Variable[], lr: Scalar, iteration: Scalar): void {
    if (this.decay !== undefined) {
      // keras/optimizers/optimizer.py _apply_weight_decay: variable.assign_sub(variable * wd * lr), before the updates.
      const [decay] = this.decay.get();
      for (const variable of variables) variable.assign(tf.sub(variable, tf.mul(tf.mul(variable, decay!), lr)));
    }
    const update = this.rule.begin(lr, iteration);
    for (const variable of variables) this.stateOf(variable).update(update, variable, gradients[variable.name]!);
    this.checkRestoredTaken();
  }

  /** Counts a step that `apply` took. */
  advance(): void {
    this.iterations++;
  }

  /** Creates the state of every variable now (a traced step must see it exist before it runs). */
  prepare(variables: readonly Variable[]): void {
    for (const variable of variables) this.stateOf(variable);
    this.checkRestoredTaken();
  }

  /** Restored slots that no variable took belong to variables this stage does not train: a mismatched checkpoint. */
  private checkRestoredTaken(): void {
    if (this.restored.size > 0)
      throw new Error(
        `optimizer state restored for variables this stage does not train: ${[...this.restored.keys()].join(', ')}`,
      );
  }

  /** The slots as tfjs variables, in state order; undefined when they live in TensorFlow (fused kernels). */
  slotVariables(): Variable[] | undefined {
    const slots: Variable[] = [];
    for (const { state } of this.states.values()) {
      const own = state.slotVariables();
      if (own === undefined) return undefined;
      slots.push(...own);
    }
    return slots;
  }

  /** Moves every slot to where `kernels` keeps it (TensorFlow resource variables, or tfjs variables), values unchanged. */
  useKernels(kernels: OptimizerKernels): void {
    this.ops = kernelOps(kernels);
    for (const [name, entry] of this.states) {
      const values = entry.state.slotValues();
      entry.state.dispose();
      this.states.set(name, { variable: entry.variable, state: this.newState(entry.variable, values) });
      tf.dispose(values);
    }
  }

  /** A variable's state with slots holding copies of `initial` (which stays the caller's), where the kernels keep them. */
  private newState(variable: Variable, initial: readonly Tensor[]): VariableState {
    return this.ops === undefined ? new CompositeState(initial) : new NativeState(this.ops, variable, initial);
  }

  private stateOf(variable: Variable): VariableState {
    const known = this.states.get(variable.name);
    if (known !== undefined) return known.state;
    const index = this.states.size;
    const initial = this.rule.slots.map((slot) => {
      const name = slotName(index, slot);
      const value = this.restored.get(name) ?? tf.zerosLike(variable);
      this.restored.delete(name);
      return value;
    });
    const state = this.newState(variable, initial);
    tf.dispose(initial);
    this.states.set(variable.name, { variable, state });
    return state;
  }

  /** Every slot and the step count, encoded for a checkpoint (tfjs saves no optimizer state itself: tfjs#5138). */
  async serialize(): Promise<EncodedWeights> {
    const named: NamedTensor[] = [{ name: ITERATIONS, tensor: tf.scalar(this.iterations, 'int32') }];
    [...this.states.values()].forEach(({ state }, index) => {
      state.slotValues().forEach((tensor, i) => named.push({ name: slotName(index, this.rule.slots[i]!), tensor }));
    });
    try {
      return await encodeNamed(named);
    } finally {
      tf.dispose(named.map((entry) => entry.tensor));
    }
  }

  /** Restores what `serialize` returned; call before the first step. */
  async deserialize(encoded: EncodedWeights): Promise<void> {
    for (const { name, tensor } of decodeNamed(encoded)) {
      if (name === ITERATIONS) {
        this.iterations = tensor.dataSync()[0]!;
        tensor.dispose();
      } else {
        this.restored.set(name, tensor);
      }
    }
  }

  dispose(): void {
    for (const { state } of this.states.values()) state.dispose();
    this.states.clear();
    tf.dispose([...this.restored.values()]);
    this.restored.clear();
    this.rule.dispose();
    this.decay?.dispose();
  }
}
