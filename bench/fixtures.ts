/**
 * The image files the bench cases read, written into a case's scratch folder once and reused by every repeat and
 * every side (percept, Keras, and any other peer), so that all of them decode the same JPEGs.
 */
import { existsSync, linkSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { synthesizeFaces } from '../src/data/synth/index.ts';
import type { BenchContext } from './case.ts';

/**
 * `n` synthetic face JPEGs of `size` px (src/data/synth: real JPEG content, so decoding costs what a photo of that
 * size costs), in the AffectNet layout (`DIR/images/<i>.jpg`). Returns DIR.
 *
 * @example
 * const dir = await syntheticFaces(context, 2000, 160); // dir/images/0.jpg ...
 */
export async function syntheticFaces(context: BenchContext, n: number, size: number): Promise<string> {
  const out = join(context.workDir, `faces-${n}-${size}`);
  if (!existsSync(join(out, 'synth.json'))) {
    context.log(`writing ${n} synthetic ${size}px JPEGs to ${out}`);
    await synthesizeFaces({ out, n, size, seed: 1 });
  }
  return out;
}

/** An image folder of the bench: its root (what `percept train` reads) and the training images' folder (what Keras reads). */
export interface BenchImageFolder {
  /** Pre-split root: `train/<class>/` and `val/<class>/`. */
  root: string;
  /** `root/train`: `images` files in `classes` class folders, the only files an epoch reads. */
  train: string;
}

/**
 * A pre-split image folder of `images` synthetic JPEGs stored at `size` px in `classes` class folders (`c0`, `c1`, ...,
 * image i in class i mod classes) under `train/`, and one image per class under `val/`: a run needs a val split, and a
 * pre-split folder keeps the training split exactly the files of `train/`, which the peers read as a plain
 * image_dataset_from_directory folder. Files are hard links to the synthetic faces.
 *
 * @example
 * const folder = await imageFolder(context, { images: 1280, size: 160, classes: 10 });
 * // folder.train/c0/0.jpg, folder.train/c1/1.jpg, ...; folder.root/val/c0/0.jpg
 */
export async function imageFolder(
  context: BenchContext,
  options: { images: number; size: number; classes: number },
): Promise<BenchImageFolder> {
  const { images, size, classes } = options;
  const root = join(context.workDir, `imagefolder-${images}-${size}-${classes}`);
  const folder = { root, train: join(root, 'train') };
  if (existsSync(root)) return folder;
  const faces = join(await syntheticFaces(context, images, size), 'images');
  // Built beside its final place and renamed, so that an interrupted write never passes for a complete folder.
  const temp = `${root}.tmp`;
  rmSync(temp, { recursive: true, force: true });
  for (let label = 0; label < classes; label++) {
    mkdirSync(join(temp, 'train', `c${label}`), { recursive: true });
    mkdirSync(join(temp, 'val', `c${label}`), { recursive: true });
  }
  for (let i = 0; i < images; i++) {
    const label = i % classes;
    linkSync(join(faces, `${i}.jpg`), join(temp, 'train', `c${label}`, `${i}.jpg`));
    if (i < classes) linkSync(join(faces, `${i}.jpg`), join(temp, 'val', `c${label}`, `${i}.jpg`));
  }
  renameSync(temp, root);
  return folder;
}
