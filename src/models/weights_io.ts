/**
 * Named tensors to bytes and back (tfjs's own weights encoding: a spec list plus one binary buffer), so model
 * weights and optimizer slots are saved the same way on every backend (no file:// handler needed).
 */
import type { LayersModel, Tensor, io } from '@tensorflow/tfjs';
import { z } from 'zod';
import { tf } from '../tf.ts';
import { errorMessage } from '../errors.ts';

/** A tensor with its weight name (tfjs's own NamedTensor type is not exported). */
export interface NamedTensor {
  name: string;
  tensor: Tensor;
}

export interface EncodedWeights {
  specs: io.WeightsManifestEntry[];
  data: ArrayBuffer;
}

/**
 * Encodes named tensors in order.
 *
 * @example
 * const encoded = await encodeNamed(model.weights.map((w) => ({ name: w.originalName, tensor: w.read() })));
 */
export async function encodeNamed(tensors: NamedTensor[]): Promise<EncodedWeights> {
  return tf.io.encodeWeights(tensors);
}

/** Decodes in spec order; the caller disposes the returned tensors. */
export function decodeNamed(encoded: EncodedWeights): NamedTensor[] {
  const map = tf.io.decodeWeights(encoded.data, encoded.specs);
  return encoded.specs.map((spec) => ({ name: spec.name, tensor: map[spec.name]! }));
}

/** Bytes per element of the dtypes tfjs's encodeWeights writes for model weights and optimizer slots. */
const DTYPE_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1 };

const SPECS = z.array(
  z
    .object({ name: z.string(), shape: z.array(z.number().int().min(0)), dtype: z.enum(['float32', 'int32', 'bool']) })
    .loose(),
);

/**
 * The two files of encoded weights: the specs as JSON text and the data as raw bytes.
 *
 * @example
 * const { specs, data } = encodedFiles(await encodeNamed(tensors)); // write them as model.json and model.bin
 */
export function encodedFiles(encoded: EncodedWeights): { specs: string; data: Uint8Array } {
  return { specs: JSON.stringify(encoded.specs), data: new Uint8Array(encoded.data) };
}

/**
 * Parses what `encodedFiles` wrote; throws a plain Error saying what is wrong (bad JSON, an unknown dtype, a data
 * length that the specs do not add up to), so that decoding never reads past a truncated buffer.
 *
 * @example
 * const encoded = parseEncodedFiles(readFileSync('model.json', 'utf8'), readFileSync('model.bin'));
 */
export function parseEncodedFiles(specsText: string, data: Uint8Array): EncodedWeights {
  let raw: unknown;
  try {
    raw = JSON.parse(specsText);
  } catch (error) {
    throw new Error(`the weight specs are not JSON (${errorMessage(error)})`);
  }
  const parsed = SPECS.safeParse(raw);
  if (!parsed.success)
    throw new Error(`the weight specs are malformed (${parsed.error.issues[0]?.message ?? 'invalid'})`);
  const expected = parsed.data.reduce(
    (sum, spec) => sum + spec.shape.reduce((n, d) => n * d, 1) * DTYPE_BYTES[spec.dtype]!,
    0,
  );
  if (expected !== data.byteLength)
    throw new Error(`the weight data holds ${data.byteLength} bytes where the specs need ${expected}`);
  return {
    specs: parsed.data,
    data: data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer,
  };
}

/**
 * Copies of every weight of `model` named by `originalName` ('dense/kernel'). tfjs orders `model.weights` trainable
 * first, so the order changes when layers are frozen or unfrozen: names, not positions, identify weights.
 *
 * @example
 * const best = snapshotWeights(model); // later: assignWeights(model, best)
 */
export function snapshotWeights(model: LayersModel): NamedTensor[] {
  return model.weights.map((weight) => ({ name: weight.originalName, tensor: weight.read().clone() }));
}

/** Writes named values into the model's weights of the same names; throws naming what is missing or misshapen. */
export function assignWeights(model: LayersModel, named: readonly NamedTensor[]): void {
  const byName = new Map(named.map((entry) => [entry.name, entry.tensor]));
  for (const weight of model.weights) {
    const value = byName.get(weight.originalName);
    if (value === undefined) throw new Error(`saved weights lack '${weight.originalName}'`);
    if (value.shape.join('x') !== weight.shape.join('x')) {
      throw new Error(
        `saved weight '${weight.originalName}' has shape [${value.shape.join(', ')}] but the model's is [${weight.shape.join(', ')}]`,
      );
    }
    weight.write(value);
  }
}
