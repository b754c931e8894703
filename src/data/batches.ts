/**
 * Streaming image batches: items are decoded lazily, a few batches ahead of the consumer (prefetch), several images
 * at a time on sharp's thread pool, so decoding overlaps training and memory does not grow with the dataset.
 */
import { availableParallelism } from 'node:os';
import type { Tensor4D } from '@tensorflow/tfjs';
import { tf } from '../tf.ts';
import { seededRandom } from '../metrics/bootstrap.ts';
import { seededPermutation } from '../train/tensor_source.ts';
import { augmentImage, type AugmentOptions } from './augment.ts';
import { decodeImage, decodeReason, resizePixels, type RawImage } from './image.ts';
import { idxRecord } from './idx.ts';
import { mapConcurrent } from './listing.ts';
import { UNCERTAIN_AFFECT, type DataItem, type Problem } from './types.ts';

export interface ImageBatchOptions {
  /** Side of the square images. */
  size: number;
  batchSize: number;
  /** Visit the items in a seeded random order. Default false. */
  shuffle?: boolean;
  /** Seed of the order and of the augmentations; pass a different one per epoch (e.g. seed + epoch). Default 0. */
  seed?: number;
  /** Augmentations (train split only); each item's draw depends on the seed and its id, not on decode timing. */
  augment?: AugmentOptions;
  /** 3 (RGB, default) or 1 (grayscale). */
  channels?: 1 | 3;
  /** Batches decoded ahead of the consumer. Default 2. */
  prefetch?: number;
  /** Images decoded at once per batch. Default 2 × the CPU count (sharp's work runs on libuv's pool). */
  concurrency?: number;
}

/**
 * One batch. `x` is the caller's to dispose. A batch is empty (`x.shape[0] === 0`) only when every remaining
 * item failed to decode: it then carries those problems.
 */
export interface Batch {
  /** float32 [n, size, size, channels], RGB 0..255: each model applies its own preprocessing. */
  x: Tensor4D;
  ids: string[];
  /** Present when every item has a label. */
  labels?: Int32Array;
  /** Present when some item has a valence; NaN where it is missing or uncertain (excluded from the loss). */
  valence?: Float32Array;
  arousal?: Float32Array;
  /** Items of this batch (or of earlier empty ones) skipped because they could not be decoded. */
  problems: Problem[];
}

/**
 * The regression target of a valence/arousal value: NaN when absent or AffectNet's 'uncertain' (-2).
 *
 * @example
 * regressionTarget(-2); // NaN
 */
export function regressionTarget(value: number | null | undefined): number {
  return value === undefined || value === null || value === UNCERTAIN_AFFECT ? NaN : value;
}

/** FNV-1a hash of a string, as a 32-bit seed. */
function hashSeed(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return hash >>> 0;
}

async function loadItem(item: DataItem, options: ImageBatchOptions): Promise<RawImage> {
  const channels = options.channels ?? 3;
  if (item.file === undefined) throw new Error('item has no file');
  if (item.index === undefined) return decodeImage(item.file, { size: options.size, channels });
  const { pixels, width, height } = idxRecord(item.file, item.index);
  if (width === options.size && height === options.size && channels === 1) return { data: Float32Array.from(pixels), width, height, channels };
  return resizePixels(pixels, width, height, 1, { size: options.size, channels });
}

type Decoded = { item: DataItem; image: RawImage } | { item: DataItem; problem: Problem };

async function decodeChunk(chunk: readonly DataItem[], options: ImageBatchOptions): Promise<Decoded[]> {
  const concurrency = options.concurrency ?? 2 * availableParallelism();
  return mapConcurrent(chunk, concurrency, async (item) => {
    try {
      let image = await loadItem(item, options);
      if (options.augment !== undefined) image = augmentImage(image, options.augment, seededRandom(hashSeed(`${options.seed ?? 0}:${item.id}`)));
      return { item, image };
    } catch (error) {
      return { item, problem: { file: item.file ?? item.id, reason: `unreadable image: ${decodeReason(error)}` } };
    }
  });
}

function assemble(decoded: readonly Decoded[], options: ImageBatchOptions, withLabels: boolean, withAffect: boolean, carried: Problem[]): Batch {
  const channels = options.channels ?? 3;
  const good = decoded.filter((entry): entry is { item: DataItem; image: RawImage } => 'image' in entry);
  const problems = [...carried, ...decoded.flatMap((entry) => ('problem' in entry ? [entry.problem] : []))];
  const pixels = options.size * options.size * channels;
  const data = new Float32Array(good.length * pixels);
  good.forEach(({ image }, i) => data.set(image.data, i * pixels));
  const items = good.map(({ item }) => item);
  return {
    x: tf.tensor4d(data, [good.length, options.size, options.size, channels], 'float32'),
    ids: items.map((item) => item.id),
    ...(withLabels ? { labels: Int32Array.from(items, (item) => item.label!) } : {}),
    ...(withAffect
      ? { valence: Float32Array.from(items, (item) => regressionTarget(item.valence)), arousal: Float32Array.from(items, (item) => regressionTarget(item.arousal)) }
      : {}),
    problems,
  };
}

/**
 * Streams `items` as batches of decoded images. A corrupt image is skipped and reported in its batch's
 * `problems`, never fatal.
 *
 * @example
 * for await (const batch of imageBatches(split.train, { size: 96, batchSize: 32, shuffle: true, seed: 1 + epoch })) {
 *   train(batch.x, batch.labels);
 *   batch.x.dispose();
 * }
 */
export async function* imageBatches(items: readonly DataItem[], options: ImageBatchOptions): AsyncGenerator<Batch> {
  const order = options.shuffle === true ? Array.from(seededPermutation(items.length, options.seed ?? 0)) : items.map((_, i) => i);
  const chunks: DataItem[][] = [];
  for (let start = 0; start < order.length; start += options.batchSize) chunks.push(order.slice(start, start + options.batchSize).map((i) => items[i]!));
  const withLabels = items.length > 0 && items.every((item) => item.label !== undefined);
  const withAffect = items.some((item) => item.valence !== undefined || item.arousal !== undefined);
  const ahead = Math.max(1, options.prefetch ?? 2);
  const pending: Promise<Decoded[]>[] = [];
  let next = 0;
  const fill = (): void => {
    while (pending.length < ahead && next < chunks.length) {
      const promise = decodeChunk(chunks[next++]!, options);
      // Marked handled now; the rejection (none is expected: decode errors become problems) surfaces at the await.
      promise.catch(() => undefined);
      pending.push(promise);
    }
  };
  let carried: Problem[] = [];
  fill();
  while (pending.length > 0) {
    const decoded = await pending.shift()!;
    fill();
    const good = decoded.some((entry) => 'image' in entry);
    if (!good && (pending.length > 0 || next < chunks.length)) {
      carried.push(...decoded.flatMap((entry) => ('problem' in entry ? [entry.problem] : [])));
      continue;
    }
    yield assemble(decoded, options, withLabels, withAffect, carried);
    carried = [];
  }
}
