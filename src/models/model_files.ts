/**
 * A run's `model/` folder in the tfjs layers format (model.json + weights.bin), written with percept's own atomic
 * writer instead of a `file://` handler (which only the native backend has, and which writes in place), and read back
 * for `weights: 'run:NAME'` or `DIR/model.json` transfers.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { LayersModel, io } from '@tensorflow/tfjs';
import { tf } from '../tf.ts';
import { z } from 'zod';
import { UserError } from '../errors.ts';
import { readJsonFile } from '../json_file.ts';
import { decodeNamed, type NamedTensor } from './weights_io.ts';
import { writeFileAtomic, writeJsonAtomic } from '../atomic.ts';

const MODEL_JSON = 'model.json';
const WEIGHTS_BIN = 'weights.bin';

function joinBuffers(data: ArrayBuffer | ArrayBuffer[]): Uint8Array {
  if (!Array.isArray(data)) return new Uint8Array(data);
  const out = new Uint8Array(data.reduce((sum, part) => sum + part.byteLength, 0));
  let offset = 0;
  for (const part of data) {
    out.set(new Uint8Array(part), offset);
    offset += part.byteLength;
  }
  return out;
}

/**
 * Saves `model` as `dir/model.json` + `dir/weights.bin` (weights first, so model.json never names a missing file).
 *
 * @example
 * await saveLayersModel(model, 'runs/a/model'); // later: tf.loadLayersModel('file://runs/a/model/model.json')
 */
export async function saveLayersModel(model: LayersModel, dir: string): Promise<void> {
  await model.save(
    tf.io.withSaveHandler(async (artifacts: io.ModelArtifacts) => {
      writeFileAtomic(join(dir, WEIGHTS_BIN), joinBuffers(artifacts.weightData ?? new ArrayBuffer(0)));
      writeJsonAtomic(join(dir, MODEL_JSON), {
        format: artifacts.format ?? 'layers-model',
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy ?? null,
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths: [WEIGHTS_BIN], weights: artifacts.weightSpecs ?? [] }],
      });
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    }),
  );
}

/** The parts of a tfjs layers model.json that percept reads (tfjs's own loader checks the topology). */
const MODEL_JSON_SCHEMA = z.looseObject({
  modelTopology: z.unknown().optional(),
  weightsManifest: z.array(
    z.looseObject({
      paths: z.array(z.string()),
      weights: z.array(
        z.looseObject({
          name: z.string(),
          shape: z.array(z.number().int().min(0)),
          dtype: z.enum(['float32', 'int32', 'bool', 'string', 'complex64']),
        }),
      ),
    }),
  ),
});

type ModelJson = Omit<z.infer<typeof MODEL_JSON_SCHEMA>, 'weightsManifest'> & {
  weightsManifest: { paths: string[]; weights: io.WeightsManifestEntry[] }[];
};

function readModelJson(path: string): { file: string; json: ModelJson } {
  const file = existsSync(path) && statSync(path).isDirectory() ? join(path, MODEL_JSON) : path;
  if (!existsSync(file))
    throw new UserError(
      `${file}: no such file. Fix: give a tfjs layers model.json (or a run folder whose model/ holds one)`,
    );
  const json = readJsonFile(
    file,
    MODEL_JSON_SCHEMA,
    "give a tfjs layers model.json, as tfjs's model.save() writes it",
  ) as ModelJson;
  return { file, json };
}

function readWeightData(file: string, json: ModelJson): { specs: io.WeightsManifestEntry[]; data: ArrayBuffer } {
  const specs = json.weightsManifest.flatMap((group) => group.weights);
  const buffers = json.weightsManifest.flatMap((group) =>
    group.paths.map((shard) => readFileSync(join(dirname(file), shard))),
  );
  const data = joinBuffers(
    buffers.map((buffer) => buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.byteLength)),
  );
  return { specs, data: data.buffer as ArrayBuffer };
}

/**
 * The named weights of a saved layers model (by `originalName`, e.g. 'block1_conv1/kernel'); the caller disposes them.
 *
 * @example
 * const weights = readLayersWeights('runs/simple_cnn_fashion/model/model.json');
 */
export function readLayersWeights(path: string): NamedTensor[] {
  const { file, json } = readModelJson(path);
  return decodeNamed(readWeightData(file, json));
}

/**
 * Loads a saved layers model (topology and weights) from its folder or model.json.
 *
 * @example
 * const model = await loadLayersModel('runs/a/model');
 */
export async function loadLayersModel(path: string): Promise<LayersModel> {
  const { file, json } = readModelJson(path);
  const { specs, data } = readWeightData(file, json);
  return tf.loadLayersModel(
    tf.io.fromMemory({ modelTopology: json.modelTopology as object, weightSpecs: specs, weightData: data }),
  );
}
