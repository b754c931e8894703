/**
 * Named tensors to bytes and back (tfjs's own weights encoding: a spec list plus one binary buffer), so model
 * weights and optimizer slots are saved the same way on every backend (no file:// handler needed).
 */
import { readFileSync } from 'node:fs';
import type { LayersModel, Tensor, io } from '@tensorflow/tfjs';
import { tf } from '../tf.ts';
import { writeFileAtomic, writeJsonAtomic } from '../runs/atomic.ts';

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

/** Writes `<base>.json` (specs) and `<base>.bin` (data), each atomically; the .bin first so specs never point at a missing buffer. */
export function writeEncoded(base: string, encoded: EncodedWeights): void {
  writeFileAtomic(`${base}.bin`, new Uint8Array(encoded.data));
  writeJsonAtomic(`${base}.json`, encoded.specs);
}

export function readEncoded(base: string): EncodedWeights {
  const bytes = readFileSync(`${base}.bin`);
  return {
    specs: JSON.parse(readFileSync(`${base}.json`, 'utf8')) as io.WeightsManifestEntry[],
    data: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer,
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
      throw new Error(`saved weight '${weight.originalName}' has shape [${value.shape}] but the model's is [${weight.shape}]`);
    }
    weight.write(value);
  }
}
