/**
 * Frees a model's intermediate tensors during a training call as tfjs-layers already does outside training: each
 * layer's output is disposed once the last layer reading it has run, as TensorFlow's executor frees a graph's
 * tensors. In training, tfjs-layers' `execute` keeps every intermediate until the model's call returns, so a
 * training step's forward pass peaked at every activation at once, including those backprop does not read
 * (batch-norm outputs before a ReLU, residual sums before one). Tensors a gradient needs are not lost: tfjs's tape
 * keeps its own references (clones) to them. Outputs, masks and the model's inputs are never disposed here.
 */
import type { Tensor } from '@tensorflow/tfjs';
import type { Tf } from '../tf_type.ts';

/** The parts of a tfjs-layers layer this calls (tfjs-layers' Layer). */
interface GraphLayer {
  apply(inputs: Tensor | Tensor[], kwargs: Record<string, unknown>): Tensor | Tensor[];
  computeMask(inputs: Tensor | Tensor[], mask?: Tensor | Tensor[] | null): Tensor | Tensor[] | null;
  supportsMasking: boolean;
  stateful?: boolean;
  getClassName(): string;
}

/** The parts of a tfjs-layers graph node this reads (tfjs-layers' Node). */
interface GraphNode {
  outboundLayer: GraphLayer;
  inputTensors: { id: number }[];
  outputTensors: { id: number }[];
}

type Kwargs = Record<string, unknown>;

/** The parts of tfjs-layers' Container (every LayersModel) this reads. */
interface Container {
  inputs: { id: number }[];
  outputs: { id: number; name: string }[];
  nodesByDepth: Record<string, GraphNode[]>;
}

type ContainerCall = (this: Container, inputs: Tensor | Tensor[], kwargs: Kwargs) => Tensor | Tensor[];

interface Computed {
  tensor: Tensor;
  mask: Tensor | null;
}

function asList<T>(value: T | T[]): T[] {
  return Array.isArray(value) ? value : [value];
}

/** Readers per container: its graph does not change once built, so they are counted at its first training call. */
const readersByContainer = new WeakMap<Container, Map<number, number>>();

/** How many nodes read each symbolic tensor of the container (its outputs count as one more reader each). */
function readersOf(container: Container): Map<number, number> {
  const known = readersByContainer.get(container);
  if (known !== undefined) return known;
  const readers = new Map<number, number>();
  const count = (id: number): void => {
    readers.set(id, (readers.get(id) ?? 0) + 1);
  };
  for (const nodes of Object.values(container.nodesByDepth))
    for (const node of nodes) node.inputTensors.forEach((x) => count(x.id));
  container.outputs.forEach((x) => count(x.id));
  readersByContainer.set(container, readers);
  return readers;
}

/**
 * The container's outputs on `inputs`, layer by layer as tfjs-layers' `execute` runs them in inference (the same
 * `apply`, kwargs and masks), freeing each layer output after its last reader.
 */
function runReleasing(container: Container, inputs: Tensor[], kwargs: Kwargs): Tensor[] {
  const readers = readersOf(container);
  const computed = new Map<number, Computed>();
  // Per tensor object: the reads still to come. A layer may return its input (an identity), so one object can stand
  // for several symbolic tensors; it is freed when all of them have been read.
  const pending = new Map<Tensor, number>();
  // Never freed here: what the caller passed, and (as tfjs's execute) what a stateful layer returned.
  const kept = new Set<Tensor>(inputs);
  container.inputs.forEach((x, i) => computed.set(x.id, { tensor: inputs[i]!, mask: null }));
  const depths = Object.keys(container.nodesByDepth)
    .map((depth) => Number(depth))
    .sort((a, b) => b - a);
  for (const depth of depths) {
    for (const node of container.nodesByDepth[depth]!) {
      // Input layers hold the caller's tensors already (tfjs's execute skips them too).
      if (node.outboundLayer.getClassName() === 'InputLayer') continue;
      const data = node.inputTensors.map((x) => computed.get(x.id));
      if (data.some((entry) => entry === undefined)) continue;
      const values = (data as Computed[]).map(({ tensor }) => tensor);
      const masks = (data as Computed[]).map(({ mask }) => mask);
      const layer = node.outboundLayer;
      const maskExists = masks.some((mask) => mask !== null);
      const layerKwargs = maskExists ? { ...kwargs, mask: masks[0] } : kwargs;
      const outputs = asList(layer.apply(values, layerKwargs));
      const outputMask = layer.supportsMasking ? layer.computeMask(values, masks as Tensor[]) : null;
      node.outputTensors.forEach((x, i) => {
        const tensor = outputs[i]!;
        computed.set(x.id, { tensor, mask: (Array.isArray(outputMask) ? outputMask[0] : outputMask) ?? null });
        pending.set(tensor, (pending.get(tensor) ?? 0) + (readers.get(x.id) ?? 0));
        if (layer.stateful === true) kept.add(tensor);
      });
      for (const tensor of values) {
        const left = (pending.get(tensor) ?? 0) - 1;
        pending.set(tensor, left);
        if (left <= 0 && !kept.has(tensor) && !tensor.kept) tensor.dispose();
      }
    }
  }
  return container.outputs.map((x) => {
    const entry = computed.get(x.id);
    if (entry === undefined) throw new Error(`Could not compute output ${x.name} : ${x.id}`);
    return entry.tensor;
  });
}

/**
 * Replaces Container.call (every tfjs-layers model's call on tensors) for training calls once per process; other
 * calls keep tfjs-layers' own, which already frees intermediates outside training. See the module comment.
 */
export function installReleasingGraphRun(tf: Tf): void {
  const container = Object.getPrototypeOf(tf.LayersModel.prototype) as { call: ContainerCall };
  const ownCall = container.call;
  container.call = function (this: Container, inputs, kwargs) {
    if (kwargs?.['training'] !== true) return ownCall.call(this, inputs, kwargs);
    // A list, as tfjs-layers' own call returns.
    return tf.tidy(() => runReleasing(this, asList(inputs), kwargs));
  };
}
