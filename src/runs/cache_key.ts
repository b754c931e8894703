/**
 * What decides whether a finished run can be reused (docs/ARCHITECTURE.md §3): the resolved config, a hash of the data manifest
 * the run trained on, and the code version. Any difference means the results could differ, so the run is retrained.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { z } from 'zod';
import { readJsonFile, readJsonOrUndefined } from '../json_file.ts';
import { projectRoot } from '../paths.ts';
import { RUN_FILES } from './run_files.ts';

/**
 * A short SHA-256 of a JSON-serialisable value (keys in the order given, so callers pass stable structures).
 *
 * @example
 * hashJson({ ids: ['a', 'b'], labels: [0, 1] }); // 'sha256:3f1c…' (16 hex digits)
 */
export function hashJson(value: unknown): string {
  return `sha256:${createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 16)}`;
}

/**
 * Folders under src/ whose code cannot change a run's results: how runs are reported, plotted, shown in notebooks,
 * installed and launched (the demo's and the CLI's choices reach a run only through its config, which is in the key).
 * Leaving them out lets a report fix re-render over finished runs instead of retraining them.
 */
const PRESENTATION_DIRS: ReadonlySet<string> = new Set(['cli', 'demo', 'notebook', 'plots', 'report', 'setup']);

/** Source files that can change results, in a stable order. Exported for its test. */
export function resultSourceFiles(dir: string, top = true): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return top && PRESENTATION_DIRS.has(entry.name) ? [] : resultSourceFiles(path, false);
      return /\.(ts|mjs|py)$/.test(entry.name) && !/\.test\.ts$/.test(entry.name) ? [path] : [];
    });
}

let cachedVersion: string | undefined;

/**
 * The package version plus a hash of the source files under src/ that can change results (tests and presentation
 * code excluded): it changes when such code changes, which a git commit id does not track (it moves with every
 * unrelated commit, and a dirty tree keeps it).
 *
 * @example
 * codeVersion(); // 'percept@0.1.0+src.8c1e0f2a9b7d4e61'
 */
export function codeVersion(): string {
  if (cachedVersion !== undefined) return cachedVersion;
  const root = projectRoot();
  const pkg = readJsonFile(
    join(root, 'package.json'),
    z.looseObject({ name: z.string(), version: z.string() }),
    'reinstall percept (its package.json names its version)',
  );
  const src = join(root, 'src');
  const hash = createHash('sha256');
  // An installed package without its sources is identified by its version alone.
  if (!existsSync(src)) return (cachedVersion = `${pkg.name}@${pkg.version}`);
  for (const file of resultSourceFiles(src))
    hash.update(relative(src, file)).update('\0').update(readFileSync(file)).update('\0');
  cachedVersion = `${pkg.name}@${pkg.version}+src.${hash.digest('hex').slice(0, 16)}`;
  return cachedVersion;
}

/** What a reusable run must match. */
export const RUN_KEY = z.looseObject({
  /** The resolved config, as config.json holds it. */
  config: z.unknown(),
  dataHash: z.string(),
  codeVersion: z.string(),
});
export type RunKey = z.infer<typeof RUN_KEY>;

/**
 * True when `dir` holds a finished run (summary.json is written last) of the same config, data and code.
 *
 * @example
 * if (isReusable('runs/a', { config, dataHash, codeVersion: codeVersion() })) return readRun('runs/a');
 */
export function isReusable(dir: string, key: RunKey): boolean {
  const summaryFile = join(dir, RUN_FILES.summary);
  const configFile = join(dir, RUN_FILES.config);
  if (!existsSync(summaryFile) || !existsSync(configFile) || !statSync(summaryFile).isFile()) return false;
  const summary = readJsonOrUndefined(summaryFile, RUN_KEY.omit({ config: true }));
  const config = readJsonOrUndefined(configFile, z.unknown());
  // Compare through JSON so that undefined fields and key order do not matter.
  return (
    summary?.dataHash === key.dataHash &&
    summary.codeVersion === key.codeVersion &&
    config !== undefined &&
    isDeepStrictEqual(config, JSON.parse(JSON.stringify(key.config)))
  );
}
