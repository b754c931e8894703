/**
 * The AffectNet layout (docs/ARCHITECTURE.md §3): `DIR/images/<id>.(jpg|png)` with `DIR/annotations/<id>_exp.npy` (class
 * 0..7), `<id>_val.npy` and `<id>_aro.npy` (in [-1, 1], or -2 for 'uncertain'). Also its pre-split form,
 * `DIR/{train_set,val_set,test_set}/` (as the Kaggle release ships it) or `DIR/{train,val,test}/`, each in that layout.
 */
import { existsSync, readdirSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { listImageFiles, mapConcurrent } from './listing.ts';
import { NpyError, readNpyNumber } from './npy.ts';
import {
  AFFECTNET_CLASSES,
  UNCERTAIN_AFFECT,
  type DataItem,
  type Dataset,
  type Problem,
  type SplitName,
} from './types.ts';

const SPLIT_FOLDERS: Record<SplitName, readonly string[]> = {
  train: ['train_set', 'train'],
  val: ['val_set', 'val', 'validation'],
  test: ['test_set', 'test'],
};

/** True when `dir` holds `images/` and `annotations/`. */
export function isAffectNetFolder(dir: string): boolean {
  return existsSync(join(dir, 'images')) && existsSync(join(dir, 'annotations'));
}

/** The pre-split sub-folders of `root` in the AffectNet layout, or an empty list. */
export function affectNetSplitFolders(root: string): { split: SplitName; dir: string }[] {
  const found: { split: SplitName; dir: string }[] = [];
  for (const [split, names] of Object.entries(SPLIT_FOLDERS) as [SplitName, readonly string[]][]) {
    const name = names.find((candidate) => isAffectNetFolder(join(root, candidate)));
    if (name !== undefined) found.push({ split, dir: join(root, name) });
  }
  return found;
}

/** Reads one annotation; the reason when it is missing or malformed. */
async function annotation(file: string): Promise<number | string> {
  if (!existsSync(file)) return `missing annotation ${basename(file)}`;
  try {
    return await readNpyNumber(file);
  } catch (error) {
    if (error instanceof NpyError) return `malformed annotation ${basename(file)}: ${error.message}`;
    throw error;
  }
}

function checkAffect(name: 'valence' | 'arousal', value: number): string | undefined {
  if (value === UNCERTAIN_AFFECT || (value >= -1 && value <= 1)) return undefined;
  return `${name} ${value} out of range [-1, 1] (or -2 for uncertain)`;
}

/** One image and its annotations; `name` is the AffectNet id, `id` the dataset-wide one (split-prefixed when pre-split). */
async function readItem(
  file: string,
  name: string,
  id: string,
  annotations: string,
  split: SplitName | undefined,
): Promise<DataItem | Problem> {
  const [label, valence, arousal] = await Promise.all(
    ['exp', 'val', 'aro'].map((kind) => annotation(join(annotations, `${name}_${kind}.npy`))),
  );
  for (const value of [label, valence, arousal]) if (typeof value === 'string') return { file, reason: value };
  const [exp, val, aro] = [label, valence, arousal] as number[];
  if (!Number.isInteger(exp) || exp! < 0 || exp! >= AFFECTNET_CLASSES.length) {
    // The full AffectNet release also has 8 None, 9 Uncertain, 10 Non-Face: not expressions.
    return {
      file,
      reason: `label ${exp} out of range 0..${AFFECTNET_CLASSES.length - 1} (${AFFECTNET_CLASSES.join(', ')})`,
    };
  }
  const reason = checkAffect('valence', val!) ?? checkAffect('arousal', aro!);
  if (reason !== undefined) return { file, reason };
  return { id, file, label: exp!, valence: val!, arousal: aro!, ...(split === undefined ? {} : { split }) };
}

async function readFolder(
  dir: string,
  split: SplitName | undefined,
  problems: Problem[],
  seen: Set<string>,
): Promise<DataItem[]> {
  const annotations = join(dir, 'annotations');
  const files = listImageFiles(join(dir, 'images'), problems);
  const unique: { file: string; name: string; id: string }[] = [];
  for (const file of files) {
    const name = basename(file, extname(file));
    const id = split === undefined ? name : `${split}/${name}`;
    if (seen.has(id)) problems.push({ file, reason: `duplicate id ${name}` });
    else {
      seen.add(id);
      unique.push({ file, name, id });
    }
  }
  const imageIds = new Set(unique.map(({ name }) => name));
  for (const name of readdirSync(annotations).sort()) {
    const id = /^(.*)_exp\.npy$/.exec(name)?.[1];
    if (id !== undefined && !imageIds.has(id))
      problems.push({ file: join(annotations, name), reason: `annotation without image ${id}.(jpg|png)` });
  }
  const results = await mapConcurrent(unique, 16, ({ file, name, id }) => readItem(file, name, id, annotations, split));
  const items: DataItem[] = [];
  for (const result of results) {
    if ('reason' in result) problems.push(result);
    else items.push(result);
  }
  return items;
}

/**
 * Reads an AffectNet-layout folder (flat or pre-split).
 *
 * @example
 * const dataset = await readAffectNet('data/synth'); // dataset.classes[1] === 'Happy'
 */
export async function readAffectNet(root: string): Promise<Dataset> {
  const problems: Problem[] = [];
  const seen = new Set<string>();
  const splits = affectNetSplitFolders(root);
  const items: DataItem[] = [];
  if (splits.length > 0) {
    for (const { split, dir } of splits) items.push(...(await readFolder(dir, split, problems, seen)));
  } else {
    items.push(...(await readFolder(root, undefined, problems, seen)));
  }
  return { format: 'affectnet', root, classes: [...AFFECTNET_CLASSES], items, problems, presplit: splits.length > 0 };
}
