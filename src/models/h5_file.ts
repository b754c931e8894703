/**
 * Reads the weights of a Keras `.h5` file, in the layout that Keras's `save_weights` and keras.applications'
 * `*_notop.h5` files share (keras/saving/legacy/hdf5_format.py): the root's `layer_names` attribute lists the layers in
 * model order, each layer's group has a `weight_names` attribute listing its weights in the layer's own order, and each
 * weight is the dataset at `<layer>/<weight name>`. Keras splits an attribute past HDF5's 64 KB header limit into
 * `layer_names0`, `layer_names1`, … (the same for `weight_names`). A full `model.save()` file keeps this layout under
 * `model_weights`.
 *
 * h5wasm is ESM-only, so it is imported inside the function (the CommonJS notebook bundle cannot import it statically);
 * `readKerasH5Sync` runs the same reader in a worker thread for callers that cannot await.
 */
import { closeSync, existsSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { MessageChannel, Worker, receiveMessageOnPort } from 'node:worker_threads';
import { UserError } from '../errors.ts';
import { projectRoot } from '../paths.ts';

/** One weight as the file stores it; `name` is the file's own (it may carry `_1` suffixes: match by position). */
export interface StoredWeight {
  name: string;
  shape: number[];
  values: Float32Array;
}

/** One layer of the file, its weights in the layer's order. */
export interface StoredLayer {
  name: string;
  weights: StoredWeight[];
}

type H5Module = typeof import('h5wasm');
type H5Group = InstanceType<H5Module['Group']>;

/** A string-list attribute, joined from its chunks (`name0`, `name1`, …) when Keras split it. */
function stringList(group: H5Group, name: string): string[] | undefined {
  const read = (key: string): string[] => {
    const value = group.attrs[key]?.value;
    // An empty list is stored as an empty float array; strings come back as a string or a string array.
    if (typeof value === 'string') return [value];
    return Array.isArray(value) ? value.map(String) : [];
  };
  if (name in group.attrs) return read(name);
  const chunks: string[] = [];
  for (let index = 0; `${name}${index}` in group.attrs; index++) chunks.push(...read(`${name}${index}`));
  return `${name}0` in group.attrs ? chunks : undefined;
}

function readWeight(file: string, layer: H5Group, name: string): StoredWeight {
  const dataset = layer.get(name);
  if (dataset === null || !('shape' in dataset) || dataset.shape === null) {
    throw new UserError(
      `${file}: layer '${layer.path}' names weight '${name}' in weight_names but has no such dataset. Fix: re-save the file with Keras's model.save_weights()`,
    );
  }
  const value = dataset.value;
  if (!(value instanceof Float32Array || value instanceof Float64Array)) {
    throw new UserError(
      `${file}: weight '${layer.path}/${name}' is ${JSON.stringify(dataset.dtype)}, not float. Fix: save float32 weights`,
    );
  }
  return { name, shape: [...dataset.shape], values: value instanceof Float32Array ? value : Float32Array.from(value) };
}

/** HDF5's format signature, at offset 0 or after a user block of 512, 1024, 2048… bytes (HDF5 spec, "Superblock"). */
const HDF5_SIGNATURE = Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);

/** h5wasm opens any file without complaint and fails later, so the signature is checked first. */
function isHdf5(file: string): boolean {
  const fd = openSync(file, 'r');
  try {
    const head = Buffer.alloc(HDF5_SIGNATURE.length);
    for (let offset = 0; offset <= 1 << 20; offset = offset === 0 ? 512 : offset * 2) {
      if (readSync(fd, head, 0, head.length, offset) < head.length) return false;
      if (head.equals(HDF5_SIGNATURE)) return true;
    }
    return false;
  } finally {
    closeSync(fd);
  }
}

/**
 * Every layer of a Keras weights file with its weights, in the file's layer order.
 *
 * @example
 * const layers = await readKerasH5('mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224_no_top.h5');
 * layers.find((layer) => layer.name === 'Conv1')?.weights[0]?.shape; // [3, 3, 3, 32]
 */
export async function readKerasH5(file: string): Promise<StoredLayer[]> {
  if (!existsSync(file)) throw new UserError(`${file}: no such file. Fix: give the path of a Keras .h5 weights file`);
  if (!isHdf5(file))
    throw new UserError(`${file}: not an HDF5 file. Fix: give a Keras .h5 weights file (model.save_weights('x.h5'))`);
  const h5wasm = (await import('h5wasm/node')).default;
  await h5wasm.ready;
  const h5 = new h5wasm.File(file, 'r');
  try {
    const nested = h5.get('model_weights');
    const root = nested instanceof h5wasm.Group ? nested : h5;
    const layerNames = stringList(root, 'layer_names');
    if (layerNames === undefined) {
      throw new UserError(
        `${file}: no 'layer_names' attribute, so not a Keras weights file. Fix: save it with Keras's model.save_weights('x.h5') or model.save('x.h5')`,
      );
    }
    return layerNames.map((name) => {
      const group = root.get(name);
      if (!(group instanceof h5wasm.Group))
        throw new UserError(
          `${file}: layer '${name}' is listed in layer_names but has no group. Fix: re-save the file with Keras`,
        );
      return {
        name,
        weights: (stringList(group, 'weight_names') ?? []).map((weight) => readWeight(file, group, weight)),
      };
    });
  } finally {
    h5.close();
  }
}

/** What the worker posts back: the layers, or the error it met. */
type H5WorkerReply = { layers: StoredLayer[] } | { error: string; userError: boolean };

/** Longest wait for the worker; a Keras file of a few hundred MB reads in seconds. */
const WORKER_TIMEOUT_MS = 300_000;

/**
 * `readKerasH5` for callers that cannot await: the reader runs in a worker thread while this thread waits on a shared
 * flag, then takes the reply synchronously from the message port.
 *
 * @example
 * const layers = readKerasH5Sync('weights.h5');
 */
export function readKerasH5Sync(file: string): StoredLayer[] {
  const signal = new Int32Array(new SharedArrayBuffer(4));
  const { port1, port2 } = new MessageChannel();
  const worker = new Worker(join(projectRoot(), 'src', 'models', 'h5_worker.mjs'), {
    workerData: { file, port: port2, signal },
    transferList: [port2],
  });
  try {
    if (Atomics.wait(signal, 0, 0, WORKER_TIMEOUT_MS) === 'timed-out')
      throw new Error(`${file}: reading the .h5 file took over ${WORKER_TIMEOUT_MS / 1000} s`);
    const reply = receiveMessageOnPort(port1)?.message as H5WorkerReply | undefined;
    if (reply === undefined) throw new Error(`${file}: the .h5 reader thread ended without a reply`);
    if ('error' in reply) throw reply.userError ? new UserError(reply.error) : new Error(reply.error);
    return reply.layers;
  } finally {
    port1.close();
    void worker.terminate();
  }
}
