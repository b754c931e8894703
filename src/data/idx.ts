/**
 * MNIST-style IDX files (LeCun's format: big-endian magic 0x0000080N, N dimension sizes, then unsigned bytes),
 * gzipped or not: `*-images-idx3-ubyte(.gz)` with `*-labels-idx1-ubyte(.gz)`. Debian's `dataset-fashion-mnist`
 * installs Fashion-MNIST under /usr/share/datasets/fashion-mnist/. The official split is kept: `train-*` and
 * `t10k-*` (MNIST's name for its test set) become the train and test splits.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { UserError } from '../errors.ts';
import type { DataItem, Dataset, Problem, SplitName } from './types.ts';

/** Fashion-MNIST's class names (zalandoresearch/fashion-mnist README). */
export const FASHION_MNIST_CLASSES = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
];

/** The default location of Debian's `dataset-fashion-mnist`. */
export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

const IMAGES_FILE = /^(.*)-images[-.]idx3-ubyte(\.gz)?$/;

/** An IDX array: its dimension sizes and its bytes. */
export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

const cache = new Map<string, IdxArray>();

/**
 * Reads an IDX file of unsigned bytes (cached: batches read records from it many times).
 *
 * @example
 * readIdx('/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz').dims; // [10000, 28, 28]
 */
export function readIdx(file: string): IdxArray {
  const cached = cache.get(file);
  if (cached !== undefined) return cached;
  const raw = readFileSync(file);
  const bytes = raw[0] === 0x1f && raw[1] === 0x8b ? gunzipSync(raw) : raw;
  if (bytes.length < 4 || bytes[0] !== 0 || bytes[1] !== 0 || bytes[2] !== 0x08) {
    throw new UserError(
      `${file}: not an IDX file of unsigned bytes (magic 0x00000801..3 expected). Fix: pass MNIST-style *-idx3-ubyte files`,
    );
  }
  const rank = bytes[3]!;
  const dims = Array.from({ length: rank }, (_, i) => bytes.readUInt32BE(4 + 4 * i));
  const start = 4 + 4 * rank;
  const size = dims.reduce((product, dim) => product * dim, 1);
  if (bytes.length < start + size)
    throw new UserError(
      `${file}: truncated IDX file (${bytes.length - start} of ${size} bytes). Fix: reinstall or re-download it`,
    );
  const array = { dims, data: new Uint8Array(bytes.buffer, bytes.byteOffset + start, size) };
  cache.set(file, array);
  return array;
}

/** The 8-bit pixels of record `index` of an idx3 images file, and its size. */
export function idxRecord(file: string, index: number): { pixels: Uint8Array; width: number; height: number } {
  const { dims, data } = readIdx(file);
  const [, height, width] = dims as [number, number, number];
  const size = width * height;
  return { pixels: data.subarray(index * size, (index + 1) * size), width, height };
}

/** True when `path` is an idx3 images file or a folder holding one. */
export function isIdxPath(path: string): boolean {
  if (IMAGES_FILE.test(basename(path))) return true;
  return statSync(path).isDirectory() && readdirSync(path).some((name) => IMAGES_FILE.test(name));
}

function splitOf(prefix: string): SplitName {
  return prefix === 't10k' || prefix.startsWith('test') ? 'test' : 'train';
}

/**
 * Reads the idx image sets in a folder (or one images file) with their labels.
 *
 * @example
 * const dataset = await readIdxDataset(FASHION_MNIST_DIR); // 70,000 items, 10 classes, presplit
 */
export async function readIdxDataset(path: string): Promise<Dataset> {
  const dir = statSync(path).isDirectory() ? path : dirname(path);
  const names = statSync(path).isDirectory()
    ? readdirSync(dir)
        .filter((name) => IMAGES_FILE.test(name))
        .sort()
    : [basename(path)];
  const problems: Problem[] = [];
  const items: DataItem[] = [];
  let maxLabel = -1;
  for (const name of names) {
    const [, prefix, gz] = IMAGES_FILE.exec(name) as unknown as [string, string, string | undefined];
    const imagesFile = join(dir, name);
    const labelsFile = [
      `${prefix}-labels-idx1-ubyte${gz ?? ''}`,
      `${prefix}-labels-idx1-ubyte`,
      `${prefix}-labels-idx1-ubyte.gz`,
    ]
      .map((candidate) => join(dir, candidate))
      .find(existsSync);
    if (labelsFile === undefined) {
      problems.push({ file: imagesFile, reason: `no labels file ${prefix}-labels-idx1-ubyte(.gz) next to it` });
      continue;
    }
    const images = readIdx(imagesFile);
    const labels = readIdx(labelsFile);
    if (images.dims.length !== 3) {
      problems.push({
        file: imagesFile,
        reason: `expected 3 dimensions (count, rows, columns), found ${images.dims.length}`,
      });
      continue;
    }
    if (labels.dims[0] !== images.dims[0])
      problems.push({
        file: labelsFile,
        reason: `${labels.dims[0]} labels for ${images.dims[0]} images: the extra ones are skipped`,
      });
    const split = splitOf(prefix);
    const count = Math.min(images.dims[0]!, labels.dims[0]!);
    for (let index = 0; index < count; index++) {
      const label = labels.data[index]!;
      maxLabel = Math.max(maxLabel, label);
      items.push({ id: `${split}/${index}`, file: imagesFile, index, label, split });
    }
  }
  const fashion = dir.toLowerCase().includes('fashion') && maxLabel < FASHION_MNIST_CLASSES.length;
  const classes = fashion ? [...FASHION_MNIST_CLASSES] : Array.from({ length: maxLabel + 1 }, (_, i) => String(i));
  const splits = new Set(items.map((item) => item.split));
  return { format: 'idx', root: path, classes, items, problems, presplit: splits.size > 1 };
}
