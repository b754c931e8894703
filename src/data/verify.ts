/**
 * Decoding every image of a dataset once before it is used, so that what is counted, split and trained on are the
 * same items: a reader only lists files, and a file named `.jpg` can be text, truncated or empty. `percept data
 * inspect` and training both go through here (docs/ARCHITECTURE.md §3: a bad item is skipped and listed; a dataset with no
 * usable item is a user error).
 */
import { statSync } from 'node:fs';
import { UserError } from '../errors.ts';
import { FORMAT_LAYOUTS } from './detect.ts';
import { decodeImage, decodeReason, imageDimensions } from './image.ts';
import { idxRecord } from './idx.ts';
import { mapConcurrent } from './listing.ts';
import type { DataItem, Dataset, Problem } from './types.ts';

/** Stored size of an image in pixels, before resizing. */
export interface ImageSize {
  width: number;
  height: number;
}

/** A dataset whose items all decode, with every problem found so far. */
export interface VerifiedDataset {
  /** `items` holds only the items that decode; `problems` adds those that do not to the reader's. */
  dataset: Dataset;
  /** Stored size of each item of `dataset.items`, in the same order. */
  sizes: ImageSize[];
}

type Verdict = { size: ImageSize } | { reason: string };

/**
 * Verdicts by file, size and modification time: the demo and the notebooks run many experiments over the same
 * images in one process, and each would otherwise decode them all again (~1.4 ms an image on 2 cores).
 */
const verdicts = new Map<string, Verdict>();

async function verdictOf(item: DataItem): Promise<Verdict> {
  try {
    if (item.index !== undefined) {
      const { width, height } = idxRecord(item.file!, item.index);
      return { size: { width, height } };
    }
    const file = item.file!;
    const stat = statSync(file);
    const key = `${file}\0${stat.size}\0${stat.mtimeMs}`;
    const known = verdicts.get(key);
    if (known !== undefined) return known;
    // A small decode reads the whole file (truncation shows) at a fraction of the cost of the model's size.
    const [size] = await Promise.all([imageDimensions(file), decodeImage(file, { size: 8 })]);
    const verdict = { size };
    verdicts.set(key, verdict);
    return verdict;
  } catch (error) {
    return { reason: `unreadable image: ${decodeReason(error)}` };
  }
}

/**
 * `file: reason` of the first `shown` problems, and how many more there are, for a message.
 *
 * @example
 * describeProblems(problems); // 'a.jpg: unreadable image: ...; b.jpg: zero-byte image (and 10 more)'
 */
export function describeProblems(problems: readonly Problem[], shown = 3): string {
  const first = problems.slice(0, shown).map((problem) => `${problem.file}: ${problem.reason}`);
  const more = problems.length > shown ? ` (and ${problems.length - shown} more)` : '';
  return `${first.join('; ')}${more}`;
}

/**
 * Decodes each item of `dataset` (small, to catch truncation) and keeps those that decode. Throws a `UserError`
 * naming the path, how many were skipped and the first reasons when none does.
 *
 * @example
 * const { dataset } = await verifyDataset(await openDataset('data/faces')); // dataset.items all decode
 */
export async function verifyDataset(dataset: Dataset): Promise<VerifiedDataset> {
  const results = await mapConcurrent(dataset.items, 8, async (item) => ({ item, verdict: await verdictOf(item) }));
  const items: DataItem[] = [];
  const sizes: ImageSize[] = [];
  const undecodable: Problem[] = [];
  for (const { item, verdict } of results) {
    if ('reason' in verdict) undecodable.push({ file: item.file ?? item.id, reason: verdict.reason });
    else {
      items.push(item);
      sizes.push(verdict.size);
    }
  }
  const problems = [...dataset.problems, ...undecodable];
  if (items.length === 0) {
    throw new UserError(
      `${dataset.root}: no usable item as ${dataset.format} (${FORMAT_LAYOUTS[dataset.format]} expected): none of its ${results.length} image(s) decodes, ` +
        `${problems.length} skipped: ${describeProblems(problems)}. Fix: replace or remove the broken files (percept data inspect ${dataset.root} lists them all)`,
    );
  }
  return { dataset: { ...dataset, items, problems }, sizes };
}
