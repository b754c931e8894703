/**
 * Whether the notebook bundle (dist/) is older than what it was built from. Kept apart from the builder so that the
 * bundle itself can check at load without carrying esbuild.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { readJsonOrUndefined } from '../json_file.ts';

/** The bundle's files, relative to the project root. */
export const BUNDLE_PATHS = {
  /** The CommonJS bundle tslab `require`s (package.json `main` and `exports.require`). */
  bundle: 'dist/percept.cjs',
  /** Its declarations (package.json `types`), which tslab's compiler checks notebook cells against. */
  types: 'dist/types/notebook/index.d.ts',
  /** What the bundle was built from: the esbuild inputs plus the files that change what they resolve to. */
  stamp: 'dist/percept.inputs.json',
} as const;

/** Contents of the stamp file. */
const BUNDLE_STAMP = z.looseObject({ inputs: z.array(z.string()) });
export type BundleStamp = z.infer<typeof BUNDLE_STAMP>;

/**
 * Why the bundle must be rebuilt (the first reason found), or undefined when it is fresh: a file missing, or an input
 * modified after the bundle was written.
 *
 * @example
 * staleReason('/work/percept'); // 'src/notebook/display.ts changed' or undefined
 */
export function staleReason(root: string): string | undefined {
  for (const file of Object.values(BUNDLE_PATHS)) {
    if (!existsSync(join(root, file))) return `${file} missing`;
  }
  const built = Math.min(
    statSync(join(root, BUNDLE_PATHS.bundle)).mtimeMs,
    statSync(join(root, BUNDLE_PATHS.types)).mtimeMs,
  );
  const stamp = readJsonOrUndefined(join(root, BUNDLE_PATHS.stamp), BUNDLE_STAMP);
  if (stamp === undefined) return `${BUNDLE_PATHS.stamp} damaged`;
  for (const input of stamp.inputs) {
    const file = join(root, input);
    if (!existsSync(file)) return `${input} removed`;
    if (statSync(file).mtimeMs > built) return `${input} changed`;
  }
  return undefined;
}
