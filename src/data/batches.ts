/**
 * Streaming image batches: items are decoded lazily, a few batches ahead of the consumer (prefetch), on libuv's
 * threads, so decoding overlaps training and memory does not grow with the dataset. With the native backend, image
 * files are decoded and resized by TensorFlow's kernels, as Keras's image_dataset_from_directory does
 * (src/native/image_decode.ts); sharp decodes what those cannot (WebP), IDX records are read directly, and without
 * the native binding sharp decodes everything (then EXIF orientation is applied, which Keras does not do).
 */
import { availableParallelism } from 'node:os';
import type { Rank, Tensor3D, Tensor4D } from '@tensorflow/tfjs';
import { tf } from '../tf.ts';
import { seededPermutation, seededRandom } from '../random.ts';
import { augmentImage, drawsFlip, onlyFlips, type AugmentOptions } from './augment.ts';
import { decodePixels, decodeReason, type Pixels, type RawImage } from './image.ts';
import { idxRecord } from './idx.ts';
import { mapConcurrent } from './listing.ts';
import { decodeResizeFiles, hasNativeDecode } from '../native/image_decode.ts';
import { regressionTarget } from '../metrics/evaluate.ts';
import type { DataItem, Problem } from './types.ts';

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
  /** Images sharp decodes at once per batch (where TensorFlow's decode is not used). Default 4 × the CPU count: sharp's work runs on libuv's pool, and a small image costs libvips more in set-up than in decoding, so more in flight keeps the cores busy (measured on 2 cores, 160 px JPEGs: 1,030 images/s with 4 at once, 1,180 with 8). */
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

/** FNV-1a hash of a string, as a 32-bit seed. */
function hashSeed(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return hash >>> 0;
}

async function loadItem(item: DataItem, options: ImageBatchOptions): Promise<Pixels> {
  const channels = options.channels ?? 3;
  if (item.file === undefined) throw new Error('item has no file');
  if (item.index === undefined) return decodePixels(item.file, { channels, maxSide: 2 * options.size });
  const { pixels, width, height } = idxRecord(item.file, item.index);
  return { data: pixels, width, height, channels: 1 };
}

/**
 * An item decoded at its stored size (`pixels`), already resized to the input (`fitted`, with `augmented` when the
 * decode applied its augmentation), decoded into its chunk's batch tensor (`inBatch`), or why it could not be.
 */
type Decoded =
  | { item: DataItem; pixels: Pixels }
  | { item: DataItem; fitted: Float32Array; augmented: boolean }
  | { item: DataItem; inBatch: true }
  | { item: DataItem; problem: Problem };
type DecodedImage = Exclude<Decoded, { problem: Problem }>;
/** An image decoded on its own, which the batch's input is assembled from. */
type LooseImage = Exclude<DecodedImage, { inBatch: true }>;

/** A decoded chunk; `batch` is the whole chunk as the batch's input when TensorFlow's decode made all of it. */
interface DecodedChunk {
  decoded: Decoded[];
  batch?: Tensor4D;
}

/** The seeded generator of an item's augmentation: depends on the seed and the item's id, not on decode timing. */
function itemRandom(item: DataItem, options: ImageBatchOptions): () => number {
  return seededRandom(hashSeed(`${options.seed ?? 0}:${item.id}`));
}

/**
 * Which items the native decode mirrors: none without augmentation, each item's own draw when mirroring is the only
 * augmentation (the same draw augmentImage makes), undefined when other augmentations must run in JavaScript.
 */
function nativeFlips(items: readonly DataItem[], options: ImageBatchOptions): Uint8Array | undefined {
  if (options.augment === undefined) return new Uint8Array(items.length);
  if (!onlyFlips(options.augment)) return undefined;
  return Uint8Array.from(items, (item) => (drawsFlip(itemRandom(item, options)) ? 1 : 0));
}

/**
 * The chunk's image files (not IDX records) decoded and resized by TensorFlow: the whole chunk as one tensor when
 * every item is such a file, decoded, with its augmentation done; otherwise each decoded file's pixels by position.
 */
async function decodeNatively(
  chunk: readonly DataItem[],
  options: ImageBatchOptions,
): Promise<{ batch?: Tensor4D; fitted: Map<number, Float32Array>; augmented: boolean }> {
  const fitted = new Map<number, Float32Array>();
  const positions = chunk.flatMap((item, position) =>
    item.file !== undefined && item.index === undefined ? [position] : [],
  );
  if (!hasNativeDecode() || positions.length === 0) return { fitted, augmented: false };
  const items = positions.map((position) => chunk[position]!);
  const flips = nativeFlips(items, options);
  const channels = options.channels ?? 3;
  const { batch, errors } = await decodeResizeFiles(
    items.map((item) => item.file!),
    channels,
    options.size,
    flips ?? new Uint8Array(items.length),
  );
  const augmented = flips !== undefined;
  if (augmented && positions.length === chunk.length && errors.every((error) => error === null))
    return { batch, fitted, augmented };
  // Other items (or problems) join these: their pixels go the per-image way.
  const data = batch.dataSync() as Float32Array;
  batch.dispose();
  const length = options.size * options.size * channels;
  positions.forEach((position, i) => {
    if (errors[i] === null) fitted.set(position, data.subarray(i * length, (i + 1) * length));
  });
  return { fitted, augmented };
}

async function decodeChunk(chunk: readonly DataItem[], options: ImageBatchOptions): Promise<DecodedChunk> {
  const { batch, fitted, augmented } = await decodeNatively(chunk, options);
  if (batch !== undefined) return { decoded: chunk.map((item) => ({ item, inBatch: true })), batch };
  const concurrency = options.concurrency ?? 4 * availableParallelism();
  const decoded = await mapConcurrent(chunk, concurrency, async (item, position): Promise<Decoded> => {
    const input = fitted.get(position);
    if (input !== undefined) return { item, fitted: input, augmented };
    // What TensorFlow did not decode: IDX records, formats it lacks (WebP), files it rejected (sharp's reason is kept).
    try {
      return { item, pixels: await loadItem(item, options) };
    } catch (error) {
      return { item, problem: { file: item.file ?? item.id, reason: `unreadable image: ${decodeReason(error)}` } };
    }
  });
  return { decoded };
}

/** Bilinear resize with half-pixel centres (what Keras's tf.image.resize does), then grey to RGB when asked. */
function fitInput<T extends Tensor3D | Tensor4D>(image: T, channels: 1 | 3, size: number): T {
  const [height, width, depth] = image.shape.slice(-3) as [number, number, number];
  let fitted = image;
  if (width !== size || height !== size) fitted = tf.image.resizeBilinear(fitted, [size, size], false, true);
  if (depth === 1 && channels === 3) fitted = tf.tile(fitted, image.rank === 4 ? [1, 1, 1, 3] : [1, 1, 3]);
  return fitted;
}

/** One decoded image as float32 [size, size, channels] pixels. */
function fittedPixels(entry: LooseImage, channels: 1 | 3, size: number): Float32Array {
  if ('fitted' in entry) return entry.fitted;
  const { pixels } = entry;
  return tf.tidy(
    () =>
      fitInput(
        tf.tensor3d(Float32Array.from(pixels.data), [pixels.height, pixels.width, pixels.channels], 'float32'),
        channels,
        size,
      ).dataSync() as Float32Array,
  );
}

/** Images at their stored sizes as one batch: one buffer and one batched resize when they share a size (the usual case). */
function storedBatch(images: readonly Pixels[], channels: 1 | 3, size: number): Tensor4D {
  const stored = (pixels: Pixels): Tensor4D =>
    tf.tensor4d(Float32Array.from(pixels.data), [1, pixels.height, pixels.width, pixels.channels], 'float32');
  const first = images[0]!;
  if (
    !images.every(
      (pixels) => pixels.width === first.width && pixels.height === first.height && pixels.channels === first.channels,
    )
  ) {
    return tf.concat(images.map((pixels) => fitInput(stored(pixels), channels, size)));
  }
  const length = first.data.length;
  const data = new Float32Array(images.length * length);
  images.forEach((pixels, i) => data.set(pixels.data, i * length));
  return fitInput(
    tf.tensor4d(data, [images.length, first.height, first.width, first.channels], 'float32'),
    channels,
    size,
  );
}

/**
 * The batch tensor [n, size, size, channels] of images decoded one by one, each with its seeded augmentation (after
 * the resize) unless its decode applied it. Per-image tensors and ops cost more than the decoding itself at small
 * sizes, so images are copied into one buffer.
 */
function batchInput(good: readonly LooseImage[], options: ImageBatchOptions): Tensor4D {
  const channels = options.channels ?? 3;
  const { size, augment } = options;
  const shape: [number, number, number, number] = [good.length, size, size, channels];
  return tf.tidy(() => {
    if (good.length === 0) return tf.zeros<Rank.R4>(shape);
    if (augment === undefined && good.every((entry) => 'pixels' in entry))
      return storedBatch(
        good.map((entry) => entry.pixels),
        channels,
        size,
      );
    const length = size * size * channels;
    const data = new Float32Array(good.length * length);
    good.forEach((entry, i) => {
      const pixels = fittedPixels(entry, channels, size);
      const done = augment === undefined || ('augmented' in entry && entry.augmented);
      const image: RawImage = { data: pixels, width: size, height: size, channels };
      data.set(done ? pixels : augmentImage(image, augment, itemRandom(entry.item, options)).data, i * length);
    });
    return tf.tensor4d(data, shape, 'float32');
  });
}

function assemble(
  { decoded, batch }: DecodedChunk,
  options: ImageBatchOptions,
  withLabels: boolean,
  withAffect: boolean,
  carried: Problem[],
): Batch {
  const good = decoded.filter((entry): entry is DecodedImage => !('problem' in entry));
  const problems = [...carried, ...decoded.flatMap((entry) => ('problem' in entry ? [entry.problem] : []))];
  const items = good.map(({ item }) => item);
  const x =
    batch ??
    batchInput(
      good.filter((entry): entry is LooseImage => !('inBatch' in entry)),
      options,
    );
  return {
    x,
    ids: items.map((item) => item.id),
    ...(withLabels ? { labels: Int32Array.from(items, (item) => item.label!) } : {}),
    ...(withAffect
      ? {
          valence: Float32Array.from(items, (item) => regressionTarget(item.valence)),
          arousal: Float32Array.from(items, (item) => regressionTarget(item.arousal)),
        }
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
  const order =
    options.shuffle === true ? Array.from(seededPermutation(items.length, options.seed ?? 0)) : items.map((_, i) => i);
  const chunks: DataItem[][] = [];
  for (let start = 0; start < order.length; start += options.batchSize)
    chunks.push(order.slice(start, start + options.batchSize).map((i) => items[i]!));
  const withLabels = items.length > 0 && items.every((item) => item.label !== undefined);
  const withAffect = items.some((item) => item.valence !== undefined || item.arousal !== undefined);
  const ahead = Math.max(1, options.prefetch ?? 2);
  const pending: Promise<DecodedChunk>[] = [];
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
  try {
    while (pending.length > 0) {
      const chunk = await pending.shift()!;
      fill();
      const good = chunk.decoded.some((entry) => !('problem' in entry));
      if (!good && (pending.length > 0 || next < chunks.length)) {
        carried.push(...chunk.decoded.flatMap((entry) => ('problem' in entry ? [entry.problem] : [])));
        continue;
      }
      yield assemble(chunk, options, withLabels, withAffect, carried);
      carried = [];
    }
  } finally {
    // A consumer that stops early leaves chunks decoded ahead: wait for them (at most `prefetch`) and free their tensors.
    for (const settled of await Promise.allSettled(pending))
      if (settled.status === 'fulfilled') settled.value.batch?.dispose();
  }
}
