/**
 * The image-folder layout (docs/ARCHITECTURE.md §3, as Keras's `image_dataset_from_directory` reads it): `DIR/<class>/*.(jpg|png)`,
 * or pre-split `DIR/{train,val,test}/<class>/`. Classes are the sorted folder names, the same in every split.
 */
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { compareNames, listImageFiles, subfolders } from './listing.ts';
import { SPLIT_NAMES, type DataItem, type Dataset, type Problem, type SplitName } from './types.ts';

/** The split folders present under `root` (`train` required for the pre-split form). */
export function imageFolderSplits(root: string): SplitName[] {
  const splits = SPLIT_NAMES.filter((split) => existsSync(join(root, split)));
  return splits.includes('train') ? splits : [];
}

/**
 * Reads an image-folder dataset; an empty class folder is reported, and a class only counts if some split has
 * an image of it.
 *
 * @example
 * const dataset = await readImageFolder('data/flowers'); // dataset.classes: ['daisy', 'rose', ...]
 */
export async function readImageFolder(root: string): Promise<Dataset> {
  const problems: Problem[] = [];
  const splits = imageFolderSplits(root);
  const folders: { split: SplitName | undefined; dir: string }[] =
    splits.length > 0 ? splits.map((split) => ({ split, dir: join(root, split) })) : [{ split: undefined, dir: root }];
  const byClass = new Map<string, { file: string; split: SplitName | undefined }[]>();
  for (const { split, dir } of folders) {
    for (const name of subfolders(dir)) {
      const files = listImageFiles(join(dir, name), problems);
      if (files.length === 0)
        problems.push({ file: join(dir, name), reason: 'empty class folder (no .jpg/.jpeg/.png/.webp file)' });
      const entries = byClass.get(name) ?? [];
      entries.push(...files.map((file) => ({ file, split })));
      byClass.set(name, entries);
    }
  }
  const classes = [...byClass.keys()].filter((name) => byClass.get(name)!.length > 0).sort(compareNames);
  const items: DataItem[] = [];
  classes.forEach((name, label) => {
    for (const { file, split } of byClass.get(name)!) {
      items.push({ id: relative(root, file), file, label, ...(split === undefined ? {} : { split }) });
    }
  });
  return { format: 'imagefolder', root, classes, items, problems, presplit: splits.length > 0 };
}
