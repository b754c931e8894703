/**
 * What `percept predict` reads: image files, folders searched recursively, and CSV manifests (a `path` column,
 * paths relative to the CSV, as the csv dataset format has; other columns are ignored). Listing is cheap and lazy in
 * nothing but the images: 50,000 paths are a few megabytes, the images are decoded batch by batch later.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, extname, join, resolve } from 'node:path';
import { UserError } from '../errors.ts';
import { parseCsv } from '../data/csv_text.ts';
import { IMAGE_EXTENSIONS, isImageFile } from '../data/image.ts';
import { compareNames } from '../data/listing.ts';
import type { DataItem, Problem } from '../data/types.ts';

/** The images to predict, in input order (folders sorted by code point), and the files skipped while listing. */
export interface PredictInputs {
  items: DataItem[];
  problems: Problem[];
}

const INPUT_FIX = `give image files (${IMAGE_EXTENSIONS.join(', ')}), folders of them, or a CSV manifest with a 'path' column`;

/** Every image file under `dir`, depth first, each folder's entries in code-point order (hidden entries skipped). */
function* walkImages(dir: string): Generator<string> {
  const entries = readdirSync(dir, { withFileTypes: true })
    .filter((entry) => !entry.name.startsWith('.'))
    .sort((a, b) => compareNames(a.name, b.name));
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* walkImages(path);
    else if (entry.isFile() && isImageFile(entry.name)) yield path;
  }
}

/** The image paths a CSV manifest lists, resolved against its folder; rows without a path become problems. */
function manifestImages(file: string, problems: Problem[]): string[] {
  const table = parseCsv(readFileSync(file, 'utf8'));
  const pathAt = table.header.findIndex((name) => name.trim().toLowerCase() === 'path');
  if (pathAt < 0)
    throw new UserError(
      `${file}: header '${table.header.join(',')}' has no 'path' column. Fix: start the manifest with 'path' (one image path per row, relative to the CSV)`,
    );
  const paths: string[] = [];
  for (const { line, cells } of table.rows) {
    const path = cells[pathAt]?.trim() ?? '';
    if (path === '') problems.push({ file: `${file}:${line}`, reason: 'empty path' });
    else paths.push(join(dirname(file), path));
  }
  return paths;
}

/**
 * Lists the images of `inputs` as data items whose id is the path as reached from the input. A path that does not
 * exist, or a file that is neither an image nor a CSV, is a user error naming it; a manifest row whose image is
 * missing or empty, and an image listed twice, are problems.
 *
 * @example
 * const { items, problems } = listPredictInputs(['photos/', 'extra.jpg', 'batch.csv']);
 */
export function listPredictInputs(inputs: readonly string[]): PredictInputs {
  const problems: Problem[] = [];
  const items: DataItem[] = [];
  const seen = new Set<string>();
  const add = (file: string, checkExists: boolean): void => {
    const key = resolve(file);
    if (seen.has(key)) {
      problems.push({ file, reason: 'listed more than once; predicted once' });
      return;
    }
    if (checkExists && !existsSync(file)) problems.push({ file, reason: 'missing image' });
    else if (statSync(file).size === 0) problems.push({ file, reason: 'zero-byte image' });
    else {
      seen.add(key);
      items.push({ id: file, file });
    }
  };
  for (const input of inputs) {
    if (!existsSync(input)) throw new UserError(`${input}: no such file or folder. Fix: ${INPUT_FIX}`);
    if (statSync(input).isDirectory()) {
      const before = items.length;
      for (const file of walkImages(input)) add(file, false);
      if (items.length === before)
        throw new UserError(`${input}: a folder with no image in it (searched recursively). Fix: ${INPUT_FIX}`);
    } else if (extname(input).toLowerCase() === '.csv') {
      for (const file of manifestImages(input, problems)) add(file, true);
    } else if (isImageFile(input)) {
      add(input, false);
    } else {
      throw new UserError(`${input}: not an image file or a CSV manifest. Fix: ${INPUT_FIX}`);
    }
  }
  return { items, problems };
}
