/**
 * Turns a recording of eager ops (src/native/op_recorder.ts) into one TensorFlow function, registered in the
 * binding's eager context (src/native/graph_function.cc), that computes the same outputs from the same inputs in
 * one `executeOp` call. Tensors JavaScript uploaded while recording, and tensors the ops read that are neither
 * inputs nor made by the recorded ops, become the graph's constants.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Tensor } from '@tensorflow/tfjs';
import type { OpAttr } from '../kernels/native_op.ts';
import { encodeGraphDef, type AttrValue, type NodeDef } from './graph_def.ts';
import type { RecordableBackend, RecordableBinding, Recording } from './op_recorder.ts';

/** The binding with percept's extension and the attribute type numbers it uses. */
interface FunctionBinding extends RecordableBinding {
  registerGraphFunction(name: string, graphDef: Uint8Array, inputs: string[], outputs: string[]): void;
  removeGraphFunction(name: string): void;
  TF_ATTR_STRING: number;
  TF_ATTR_INT: number;
  TF_ATTR_FLOAT: number;
  TF_ATTR_BOOL: number;
  TF_ATTR_TYPE: number;
  TF_ATTR_SHAPE: number;
}

export interface FunctionBackend extends RecordableBackend {
  executeMultipleOutputs(name: string, attrs: OpAttr[], inputs: Tensor[], numOutputs: number): Tensor[];
}

/** Whether tfjs-node's binding was built with percept's graph functions (`percept setup`). */
export function hasGraphFunctions(backend: RecordableBackend): boolean {
  return typeof (backend.binding as Partial<FunctionBinding>).registerGraphFunction === 'function';
}

/** One input of the function: the id it had while recording, and its type. */
export interface FunctionInput {
  id: number;
  dtype: number;
  shape: number[];
}

let registered = 0;

/**
 * With `PERCEPT_TRACE_DUMP=<folder>`, each compiled function's GraphDef (`<name>.pb`) and its inputs' types and shapes
 * (`<name>.json`) are written there, so that bench/peers/profile_train_ops.py can replay percept's own step under
 * TensorFlow's profiler (the C API has no per-op timings of a function call).
 */
function dumpGraph(
  name: string,
  graphDef: Uint8Array,
  inputs: readonly FunctionInput[],
  outputRefs: readonly string[],
): void {
  const folder = process.env['PERCEPT_TRACE_DUMP'];
  if (folder === undefined || folder === '') return;
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(folder, `${name}.pb`), graphDef);
  const inputSpecs = inputs.map((input, i) => ({ name: `in${i}`, dtype: input.dtype, shape: input.shape }));
  writeFileSync(join(folder, `${name}.json`), JSON.stringify({ inputs: inputSpecs, outputs: outputRefs }));
}

function attrValue(binding: FunctionBinding, attr: OpAttr): AttrValue {
  switch (attr.type) {
    case binding.TF_ATTR_STRING:
      return { kind: 'string', value: attr.value as string };
    case binding.TF_ATTR_INT:
      return { kind: 'int', value: attr.value as number | number[] };
    case binding.TF_ATTR_FLOAT:
      return { kind: 'float', value: attr.value as number | number[] };
    case binding.TF_ATTR_BOOL:
      return { kind: 'bool', value: attr.value as boolean };
    case binding.TF_ATTR_TYPE:
      return { kind: 'type', value: attr.value as number | number[] };
    case binding.TF_ATTR_SHAPE:
      return { kind: 'shape', value: attr.value as number[] };
    default:
      throw new Error(`attribute ${attr.name} has a type (${attr.type}) a traced graph does not support`);
  }
}

/** The graph of `recording` from `inputs` to the ids `outputs`, as GraphDef nodes and the function's output refs. */
export function graphOf(
  binding: FunctionBinding,
  recording: Recording,
  inputs: readonly FunctionInput[],
  outputs: readonly number[],
): { nodes: NodeDef[]; outputRefs: string[] } {
  const refs = new Map<number, string>();
  const nodes: NodeDef[] = [];
  inputs.forEach((input, i) => {
    if (refs.has(input.id)) throw new Error(`input ${i} is the same tensor as an earlier input`);
    refs.set(input.id, `in${i}`);
    nodes.push({
      name: `in${i}`,
      op: 'Placeholder',
      inputs: [],
      attrs: { dtype: { kind: 'type', value: input.dtype }, shape: { kind: 'shape', value: input.shape } },
    });
  });
  const constant = (id: number): string | undefined => {
    const value = recording.uploads.get(id) ?? recording.captured.get(id);
    if (value === undefined) return undefined;
    const name = `c${id}`;
    refs.set(id, name);
    nodes.push({
      name,
      op: 'Const',
      inputs: [],
      attrs: { dtype: { kind: 'type', value: value.dtype }, value: { kind: 'tensor', value } },
    });
    return name;
  };
  const refOf = (id: number, user: string): string => {
    const ref = refs.get(id) ?? constant(id);
    if (ref === undefined) throw new Error(`${user} reads a tensor the recording does not explain (id ${id})`);
    return ref;
  };
  recording.ops.forEach((op, k) => {
    const name = `n${k}`;
    const attrs = Object.fromEntries(op.attrs.map((attr) => [attr.name, attrValue(binding, attr)]));
    nodes.push({ name, op: op.op, inputs: op.inputs.map((id) => refOf(id, `${op.op} (op ${k})`)), attrs });
    op.outputs.forEach((output, j) => refs.set(output.id, j === 0 ? name : `${name}:${j}`));
  });
  const outputRefs = outputs.map((id, i) => {
    const ref = refOf(id, `output ${i}`);
    if (!ref.startsWith('in')) return ref;
    // A function cannot return its own argument: pass it through an identity.
    nodes.push({ name: `out${i}`, op: 'Identity', inputs: [ref], attrs: {} });
    return `out${i}`;
  });
  return { nodes, outputRefs };
}

/**
 * A registered TensorFlow function: `call` runs it on tensors in the inputs' order and returns its outputs.
 *
 * @example
 * const fn = TracedFunction.compile(backend, recording, inputs, [lossId]);
 * const [loss] = fn.call([x]);
 */
export class TracedFunction {
  private constructor(
    private readonly backend: FunctionBackend,
    readonly name: string,
    readonly outputCount: number,
    /** Nodes in the graph, for `doctor` and the logs. */
    readonly nodeCount: number,
  ) {}

  static compile(
    backend: FunctionBackend,
    recording: Recording,
    inputs: readonly FunctionInput[],
    outputs: readonly number[],
  ): TracedFunction {
    const binding = backend.binding as FunctionBinding;
    const { nodes, outputRefs } = graphOf(binding, recording, inputs, outputs);
    const name = `percept_traced_${process.pid}_${registered++}`;
    const graphDef = encodeGraphDef(nodes);
    dumpGraph(name, graphDef, inputs, outputRefs);
    binding.registerGraphFunction(
      name,
      graphDef,
      inputs.map((_, i) => `in${i}`),
      outputRefs,
    );
    return new TracedFunction(backend, name, outputs.length, nodes.length);
  }

  /**
   * Runs the function. With `optimize`, TensorFlow's graph optimizer (grappler: constant folding, the remapper's
   * fused convolution + batch norm + activation kernels) rewrites it at its first call, as for Keras's tf.function:
   * eager TensorFlow runs grappler on a called function only when the call carries a `config_proto` attribute
   * (KernelAndDeviceFunc::InstantiateFunc), which tf.function's calls do and tfjs-node's do not. An empty string is
   * the default ConfigProto.
   */
  call(inputs: Tensor[], options: { optimize?: boolean } = {}): Tensor[] {
    const binding = this.backend.binding as FunctionBinding;
    const attrs =
      options.optimize === true
        ? ['config_proto', 'executor_type'].map((name) => ({ name, type: binding.TF_ATTR_STRING, value: '' }))
        : [];
    return this.backend.executeMultipleOutputs(this.name, attrs, inputs, this.outputCount);
  }

  dispose(): void {
    (this.backend.binding as FunctionBinding).removeGraphFunction(this.name);
  }
}
