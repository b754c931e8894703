/**
 * Seeded, stratified train/val/test splits. The same seed gives the same split on any machine: the order comes
 * from sorted listings and a seeded integer PRNG, never from the file system or Math.random.
 */
import { UserError } from '../errors.ts';
import { seededPermutation } from '../random.ts';
import { SPLIT_NAMES, type DataItem, type Dataset, type SplitName } from './types.ts';

/** Fractions of each split (normalised to sum 1) and how to draw them. */
export interface SplitFractions {
  /** Default 0.7. */
  train?: number;
  /** Default 0.15. */
  val?: number;
  /** Default 0.15. */
  test?: number;
  /** Keep each class's proportions in every split. Default true. */
  stratify?: boolean;
  /** Default 0. */
  seed?: number;
}

/** The items of each split, in dataset order; plain JSON, so a run saves it as is. */
export type DatasetSplit = Record<SplitName, DataItem[]>;

function fractionsOf(options: SplitFractions): Record<SplitName, number> {
  const raw = { train: options.train ?? 0.7, val: options.val ?? 0.15, test: options.test ?? 0.15 };
  const total = raw.train + raw.val + raw.test;
  for (const [name, value] of Object.entries(raw)) {
    if (!Number.isFinite(value) || value < 0)
      throw new UserError(`split.${name} = ${value}: a fraction must be a number >= 0`);
  }
  if (!(raw.train > 0) || !(total > 0))
    throw new UserError(`split.train = ${raw.train}: the train fraction must be > 0`);
  return { train: raw.train / total, val: raw.val / total, test: raw.test / total };
}

/** Deals `pool` into the splits named in `fractions`, per class when stratified. */
function deal(
  pool: readonly number[],
  items: readonly DataItem[],
  fractions: Partial<Record<SplitName, number>>,
  stratify: boolean,
  seed: number,
  into: Record<SplitName, number[]>,
): void {
  const order = seededPermutation(pool.length, seed);
  const groups = new Map<number, number[]>();
  for (const position of order) {
    const index = pool[position]!;
    const key = stratify ? (items[index]!.label ?? -1) : 0;
    const group = groups.get(key) ?? [];
    group.push(index);
    groups.set(key, group);
  }
  const names = SPLIT_NAMES.filter((name) => fractions[name] !== undefined);
  const total = names.reduce((sum, name) => sum + fractions[name]!, 0);
  for (const key of [...groups.keys()].sort((a, b) => a - b)) {
    const group = groups.get(key)!;
    let start = 0;
    // The first split (train) takes the rounding remainder, so small classes keep their training examples.
    for (const name of names.slice(1)) {
      const count = Math.round((group.length * fractions[name]!) / total);
      into[name].push(...group.slice(start, start + count));
      start += count;
    }
    into[names[0]!].push(...group.slice(start));
  }
}

/**
 * Splits a dataset. Pre-split sources keep their splits; a split the source lacks (e.g. val, when only
 * train/ and test/ exist, or Fashion-MNIST's official train/test) is carved out of train in proportion.
 *
 * @example
 * const split = splitDataset(dataset, { train: 0.7, val: 0.15, test: 0.15, stratify: true, seed: 1 });
 * split.val.length; // about 15% of the items, with each class's share
 */
export function splitDataset(dataset: Pick<Dataset, 'items' | 'presplit'>, options: SplitFractions = {}): DatasetSplit {
  const fractions = fractionsOf(options);
  const stratify = options.stratify ?? true;
  const seed = options.seed ?? 0;
  const items = dataset.items;
  const into: Record<SplitName, number[]> = { train: [], val: [], test: [] };
  if (dataset.presplit) {
    const present = new Set(items.map((item) => item.split));
    const trainPool: number[] = [];
    items.forEach((item, index) => (item.split === 'train' ? trainPool : into[item.split ?? 'train']).push(index));
    const carved: Partial<Record<SplitName, number>> = { train: fractions.train };
    for (const name of ['val', 'test'] as const)
      if (!present.has(name) && fractions[name] > 0) carved[name] = fractions[name];
    deal(trainPool, items, carved, stratify, seed, into);
  } else {
    deal(
      items.map((_, index) => index),
      items,
      fractions,
      stratify,
      seed,
      into,
    );
  }
  const pick = (indices: number[]): DataItem[] => indices.sort((a, b) => a - b).map((index) => items[index]!);
  return { train: pick(into.train), val: pick(into.val), test: pick(into.test) };
}

/** Count of each split, per class name; what a report shows of a split. */
export function splitCounts(
  split: DatasetSplit,
  classes: readonly string[],
): Record<SplitName, { total: number; classes: Record<string, number> }> {
  const counts = {} as Record<SplitName, { total: number; classes: Record<string, number> }>;
  for (const name of SPLIT_NAMES) {
    const perClass: Record<string, number> = Object.fromEntries(classes.map((label) => [label, 0]));
    for (const item of split[name]) {
      if (item.label === undefined) continue;
      const key = classes[item.label] ?? String(item.label);
      perClass[key] = (perClass[key] ?? 0) + 1;
    }
    counts[name] = { total: split[name].length, classes: perClass };
  }
  return counts;
}
