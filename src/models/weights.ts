/**
 * Weights from local files into a built model (docs/ARCHITECTURE.md §4; never a download):
 * - Keras `.h5` (`save_weights` files, keras.applications' `*_notop.h5`, full `model.save` files): matched by layer
 *   name, then by position inside the layer, since weight names may carry `_1` suffixes (tfjs#755) — as Keras's own
 *   `load_weights(by_name=True)` does (keras/saving/legacy/hdf5_format.py);
 * - tfjs layers format (`DIR/model.json` + shards) and an earlier run (`'run:NAME'`: `RUNS/NAME/model/`): matched by
 *   weight name (`layer/kernel`), as tfjs saves them.
 * Every mismatch is listed (missing, unexpected, wrong shape); any one of them fails the load unless `strict: false`,
 * and a failed load writes nothing.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { LayersModel, Tensor } from '@tensorflow/tfjs';
import { tf } from '../tf.ts';
import { UserError } from '../errors.ts';
import { readLayersWeights } from './model_files.ts';
import { readKerasH5, readKerasH5Sync, type StoredLayer } from './h5_file.ts';

/** Where weights come from: a Keras .h5 file, a tfjs layers model, or an earlier percept run's model. */
export type WeightFormat = 'keras-h5' | 'tfjs' | 'run';

export interface LoadWeightsOptions {
  /** Fail on any missing, unexpected or wrong-shape weight (default true); false loads what matches. */
  strict?: boolean;
  /** Weights in the file that the model lacks are listed but never fatal (default false): loading a base from a file with a head or top. */
  ignoreUnexpected?: boolean;
  /** Folder of the runs that 'run:NAME' names (default 'runs'). */
  runsRoot?: string;
}

/** What a load did; the lists name model weights (`Conv1/kernel`) or, for unexpected ones, the file's. */
export interface LoadWeightsReport {
  source: string;
  file: string;
  format: WeightFormat;
  loaded: number;
  missing: string[];
  /** In the file, not in the model. */
  unexpected: string[];
  /** `name: file [..], model [..]`. */
  wrongShape: string[];
}

type ModelWeight = LayersModel['weights'][number];

interface Pair {
  variable: ModelWeight;
  value: () => Tensor;
}

interface Match {
  pairs: Pair[];
  missing: string[];
  unexpected: string[];
  wrongShape: string[];
}

type Stored =
  { format: 'keras-h5'; layers: StoredLayer[] } | { format: 'tfjs' | 'run'; named: { name: string; tensor: Tensor }[] };

/**
 * The format and file of a weights source: 'run:NAME' is `runsRoot/NAME/model`, a `.h5`/`.hdf5` path is Keras's, anything
 * else a tfjs layers model (its folder or model.json).
 *
 * @example
 * resolveWeightSource('run:fashion', 'runs'); // { format: 'run', file: 'runs/fashion/model' }
 */
export function resolveWeightSource(source: string, runsRoot = 'runs'): { format: WeightFormat; file: string } {
  if (source.startsWith('run:')) return { format: 'run', file: join(runsRoot, source.slice(4), 'model') };
  if (/\.(h5|hdf5)$/i.test(source)) return { format: 'keras-h5', file: source };
  return { format: 'tfjs', file: source };
}

function shapeText(shape: readonly (number | null)[]): string {
  return `[${shape.join(',')}]`;
}

function sameShape(a: readonly (number | null)[], b: readonly (number | null)[]): boolean {
  return a.length === b.length && a.every((value, i) => value === b[i]);
}

/** Keras's by-name loading: layers by name, weights by position inside a layer. */
function matchByLayer(model: LayersModel, layers: StoredLayer[]): Match {
  const match: Match = { pairs: [], missing: [], unexpected: [], wrongShape: [] };
  const stored = new Map(layers.map((layer) => [layer.name, layer]));
  const modelLayers = new Set(model.layers.map((layer) => layer.name));
  for (const layer of model.layers) {
    const weights = stored.get(layer.name)?.weights ?? [];
    layer.weights.forEach((variable, i) => {
      const value = weights[i];
      if (value === undefined) match.missing.push(variable.originalName);
      else if (!sameShape(value.shape, variable.shape))
        match.wrongShape.push(
          `${variable.originalName}: file ${shapeText(value.shape)}, model ${shapeText(variable.shape)}`,
        );
      else match.pairs.push({ variable, value: () => tf.tensor(value.values, value.shape, 'float32') });
    });
    for (const extra of weights.slice(layer.weights.length)) match.unexpected.push(`${layer.name}/${extra.name}`);
  }
  for (const layer of layers) {
    if (!modelLayers.has(layer.name))
      match.unexpected.push(...layer.weights.map((weight) => `${layer.name}/${weight.name}`));
  }
  return match;
}

/** tfjs's loading: weights by their full name. */
function matchByName(model: LayersModel, named: { name: string; tensor: Tensor }[]): Match {
  const match: Match = { pairs: [], missing: [], unexpected: [], wrongShape: [] };
  const stored = new Map(named.map((entry) => [entry.name, entry.tensor]));
  const used = new Set<string>();
  for (const variable of model.weights) {
    const tensor = stored.get(variable.originalName);
    if (tensor === undefined) {
      match.missing.push(variable.originalName);
      continue;
    }
    used.add(variable.originalName);
    if (!sameShape(tensor.shape, variable.shape))
      match.wrongShape.push(
        `${variable.originalName}: file ${shapeText(tensor.shape)}, model ${shapeText(variable.shape)}`,
      );
    else match.pairs.push({ variable, value: () => tensor.clone() });
  }
  match.unexpected.push(...named.filter((entry) => !used.has(entry.name)).map((entry) => entry.name));
  return match;
}

function listed(what: string, names: string[]): string | undefined {
  if (names.length === 0) return undefined;
  const shown = names.slice(0, 8).join(', ');
  return `${names.length} ${what} (${shown}${names.length > 8 ? `, … ${names.length - 8} more` : ''})`;
}

function apply(
  model: LayersModel,
  source: string,
  file: string,
  stored: Stored,
  options: LoadWeightsOptions,
): LoadWeightsReport {
  const match = stored.format === 'keras-h5' ? matchByLayer(model, stored.layers) : matchByName(model, stored.named);
  const report: LoadWeightsReport = {
    source,
    file,
    format: stored.format,
    loaded: match.pairs.length,
    missing: match.missing,
    unexpected: match.unexpected,
    wrongShape: match.wrongShape,
  };
  const fatal = [
    listed('missing', match.missing),
    options.ignoreUnexpected === true ? undefined : listed('unexpected', match.unexpected),
    listed('with the wrong shape', match.wrongShape),
  ].filter((part) => part !== undefined);
  if (match.pairs.length === 0) {
    throw new UserError(
      `weights '${source}' (${file}): no weight of model '${model.name}' is in it${fatal.length > 0 ? `: ${fatal.join('; ')}` : ''}. Fix: give weights of the same architecture`,
    );
  }
  if (fatal.length > 0 && options.strict !== false) {
    throw new UserError(
      `weights '${source}' (${file}) do not fit model '${model.name}': ${fatal.join('; ')}. Fix: give weights of the same architecture, alpha and input channels, or load with strict: false to take what fits`,
    );
  }
  for (const pair of match.pairs) {
    const value = pair.value();
    pair.variable.write(value);
    value.dispose();
  }
  return report;
}

function readTfjs(format: 'tfjs' | 'run', source: string, file: string): Stored {
  if (format === 'run' && !existsSync(file)) {
    throw new UserError(
      `weights '${source}': no saved model at ${file}. Fix: train that run first (percept train CONFIG), or name an existing run`,
    );
  }
  return { format, named: readLayersWeights(file) };
}

function disposeStored(stored: Stored): void {
  if (stored.format !== 'keras-h5') tf.dispose(stored.named.map((entry) => entry.tensor));
}

/**
 * Loads weights from a local file into `model` and says what matched.
 *
 * @example
 * const model = buildArchitecture('mobilenet_v2', { inputSize: 224, includeTop: false });
 * await loadWeights(model, 'mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224_no_top.h5');
 */
export async function loadWeights(
  model: LayersModel,
  source: string,
  options: LoadWeightsOptions = {},
): Promise<LoadWeightsReport> {
  const { format, file } = resolveWeightSource(source, options.runsRoot);
  const stored: Stored =
    format === 'keras-h5' ? { format, layers: await readKerasH5(file) } : readTfjs(format, source, file);
  try {
    return apply(model, source, file, stored, options);
  } finally {
    disposeStored(stored);
  }
}

/**
 * `loadWeights` for callers that cannot await (a Keras .h5 file is then read in a worker thread).
 *
 * @example
 * loadWeightsSync(base, 'run:fashion', { runsRoot: 'runs', ignoreUnexpected: true });
 */
export function loadWeightsSync(
  model: LayersModel,
  source: string,
  options: LoadWeightsOptions = {},
): LoadWeightsReport {
  const { format, file } = resolveWeightSource(source, options.runsRoot);
  const stored: Stored =
    format === 'keras-h5' ? { format, layers: readKerasH5Sync(file) } : readTfjs(format, source, file);
  try {
    return apply(model, source, file, stored, options);
  } finally {
    disposeStored(stored);
  }
}
