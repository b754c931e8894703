/**
 * Records what tfjs-node's binding executes while a function runs: every op with its attributes and the binding's
 * tensor ids it reads and makes, every tensor JavaScript uploads (createTensor), and every value read back to
 * JavaScript. It only observes: the function runs eagerly as usual, so its results are real. A recording is what
 * src/native/traced_function.ts turns into a TensorFlow graph.
 */
import type { Tensor } from '@tensorflow/tfjs';
import type { OpAttr } from '../kernels/native_op.ts';
import type { ConstTensor } from './graph_def.ts';

/** What the binding returns for each output of an op. */
export interface TensorMetadata {
  id: number;
  shape: number[];
  dtype: number;
}

/** The parts of tfjs-node's binding the recorder wraps (its own property names). */
export interface RecordableBinding {
  executeOp(name: string, attrs: OpAttr[], inputs: number[], numOutputs: number): TensorMetadata[];
  createTensor(shape: number[], dtype: number, values: ArrayLike<unknown>): number;
  tensorDataSync(id: number): ArrayBufferView;
  TF_STRING: number;
}

/** tfjs-node's backend object, as far as recording needs it. */
export interface RecordableBackend {
  binding: RecordableBinding;
  getInputTensorIds(tensors: Tensor[]): number[];
}

export interface RecordedOp {
  op: string;
  attrs: OpAttr[];
  inputs: number[];
  outputs: TensorMetadata[];
}

export interface Recording {
  ops: RecordedOp[];
  /** Tensors JavaScript uploaded while recording, with their values: constants of the traced graph. */
  uploads: Map<number, ConstTensor>;
  /** Ids made before recording that ops read and that are not among `known`: their values, read at first use. */
  captured: Map<number, ConstTensor>;
  /** Why the recording cannot become a graph (a value read back mid-step, a string upload), if it cannot. */
  untraceable?: string;
}

function bytesOf(values: ArrayBufferView): Uint8Array {
  return new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength));
}

/**
 * Runs `fn` with the binding recorded. `known` are ids whose values the caller supplies as the graph's inputs (the
 * batch, the state); any other id made before recording and read by an op is captured as a constant.
 *
 * @example
 * const { result, recording } = recordOps(backend, new Set(ids), () => step());
 */
export function recordOps<T>(
  backend: RecordableBackend,
  known: ReadonlySet<number>,
  fn: () => T,
): { result: T; recording: Recording } {
  const original = backend.binding;
  const recording: Recording = { ops: [], uploads: new Map(), captured: new Map() };
  const made = new Set<number>();
  const flag = (reason: string): void => {
    recording.untraceable ??= reason;
  };
  const capture = (id: number): void => {
    if (known.has(id) || made.has(id) || recording.uploads.has(id) || recording.captured.has(id)) return;
    // An identity gives the tensor's shape and dtype, which the binding keeps to itself.
    const [meta] = original.executeOp('Identity', [], [id], 1);
    if (meta!.dtype === original.TF_STRING) flag('the step reads a string tensor made before it');
    recording.captured.set(id, {
      dtype: meta!.dtype,
      shape: meta!.shape,
      bytes: bytesOf(original.tensorDataSync(meta!.id)),
    });
    (original as unknown as { deleteTensor(id: number): void }).deleteTensor(meta!.id);
  };
  const wrapper = Object.create(original) as RecordableBinding;
  Object.defineProperties(wrapper, {
    executeOp: {
      value(name: string, attrs: OpAttr[], inputs: number[], numOutputs: number): TensorMetadata[] {
        inputs.forEach(capture);
        const outputs = original.executeOp(name, attrs, inputs, numOutputs);
        for (const output of outputs) made.add(output.id);
        recording.ops.push({ op: name, attrs, inputs: [...inputs], outputs });
        return outputs;
      },
    },
    createTensor: {
      value(shape: number[], dtype: number, values: ArrayLike<unknown>): number {
        const id = original.createTensor(shape, dtype, values);
        if (dtype === original.TF_STRING || !ArrayBuffer.isView(values))
          flag(`the step uploads a ${dtype === original.TF_STRING ? 'string' : 'non-typed-array'} tensor`);
        else recording.uploads.set(id, { dtype, shape: [...shape], bytes: bytesOf(values) });
        return id;
      },
    },
    tensorDataSync: {
      value(id: number): ArrayBufferView {
        const op = recording.ops.find((entry) => entry.outputs.some((output) => output.id === id));
        if (op !== undefined) flag(`the step reads the value of a ${op.op} back to JavaScript while it runs`);
        return original.tensorDataSync(id);
      },
    },
  });
  backend.binding = wrapper;
  try {
    return { result: fn(), recording };
  } finally {
    backend.binding = original;
  }
}
