/**
 * Folder listing shared by the image readers: image files in a folder, sorted so that every machine sees the same
 * order (a seeded split must not depend on readdir's order), with zero-byte files reported instead of listed.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { isImageFile } from './image.ts';
import type { Problem } from './types.ts';

/** Sub-folders of `dir`, sorted by code point. */
export function subfolders(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && !entry.name.startsWith('.'))
    .map((entry) => entry.name)
    .sort(compareNames);
}

/** Code-point order, independent of the locale. */
export function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The non-empty image files directly in `dir` (sorted full paths); zero-byte files go to `problems`.
 *
 * @example
 * const problems: Problem[] = [];
 * listImageFiles('data/cats', problems); // ['data/cats/1.jpg', ...]
 */
export function listImageFiles(dir: string, problems: Problem[]): string[] {
  const files: string[] = [];
  const names = readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isFile() && isImageFile(entry.name))
    .map((entry) => entry.name)
    .sort(compareNames);
  for (const name of names) {
    const file = join(dir, name);
    if (statSync(file).size === 0) problems.push({ file, reason: 'zero-byte image' });
    else files.push(file);
  }
  return files;
}

/** Runs `work` over `inputs` with at most `limit` in flight, keeping the input order in the results. */
export async function mapConcurrent<I, O>(
  inputs: readonly I[],
  limit: number,
  work: (input: I, index: number) => Promise<O>,
): Promise<O[]> {
  const results = new Array<O>(inputs.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < inputs.length) {
      const index = next++;
      results[index] = await work(inputs[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, inputs.length) }, worker));
  return results;
}
