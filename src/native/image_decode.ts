/**
 * Batched image decode with TensorFlow's own kernels, off the JS thread (src/native/image_decode.cc): the pixels
 * Keras's image_dataset_from_directory yields (DecodeImage, then a bilinear resize with half-pixel centres, float32
 * 0..255, no EXIF orientation), decoded on libuv's threads while the JS thread trains, into a tensor the binding
 * owns (no copy into JavaScript and back).
 */
import { availableParallelism } from 'node:os';
import type { Tensor, Tensor4D } from '@tensorflow/tfjs';
import { tf } from '../tf.ts';
import type { TensorMetadata } from './op_recorder.ts';

/** The batch float32 [files, size, size, channels]; `errors[i]` is null where file i decoded, else TensorFlow's reason. */
export interface DecodedFiles {
  batch: Tensor4D;
  errors: (string | null)[];
}

interface DecodeBinding {
  decodeResizeBatch?(
    files: readonly string[],
    channels: 1 | 3,
    size: number,
    flips: Uint8Array,
    jobs: number,
  ): Promise<{ tensor: TensorMetadata; errors: (string | null)[] }>;
}

/** tfjs-node's backend: its binding, and how it wraps a tensor the binding made (as an op's output). */
interface DecodeBackend {
  binding?: DecodeBinding;
  createOutputTensor(metadata: TensorMetadata): Tensor;
}

function decodeBackend(): DecodeBackend {
  return tf.backend() as unknown as DecodeBackend;
}

/** Whether the backend is tfjs-node's binding built with percept's extension (`percept setup`). */
export function hasNativeDecode(): boolean {
  return typeof decodeBackend().binding?.decodeResizeBatch === 'function';
}

/**
 * Jobs per core. Two keep the cores busy while a job waits on file reads and TensorFlow's resize on its thread pool
 * (measured on 2 cores, 2,000 160 px JPEGs to 96 px: 2,555 images/s with one job, 4,105 with 2, 5,098 with 4).
 */
const JOBS_PER_CORE = 2;

/**
 * Decodes `files` (at least one) and resizes each to `size`×`size` into one batch tensor, in file order, in jobs on
 * libuv's threads; file i is mirrored left to right where `flips[i]` is 1. A file that cannot be read or decoded
 * gets zeros and its reason in `errors`. The caller disposes the batch.
 *
 * @example
 * const { batch, errors } = await decodeResizeFiles(['a.jpg', 'b.png'], 3, 96, new Uint8Array(2)); // [2, 96, 96, 3]
 */
export async function decodeResizeFiles(
  files: readonly string[],
  channels: 1 | 3,
  size: number,
  flips: Uint8Array,
): Promise<DecodedFiles> {
  const backend = decodeBackend();
  const binding = backend.binding;
  if (binding?.decodeResizeBatch === undefined)
    throw new Error("tfjs-node's binding lacks percept's batched decode. Fix: npx percept setup --rebuild");
  const jobs = Math.min(files.length, JOBS_PER_CORE * availableParallelism());
  const { tensor, errors } = await binding.decodeResizeBatch(files, channels, size, flips, jobs);
  return { batch: backend.createOutputTensor(tensor) as Tensor4D, errors };
}
