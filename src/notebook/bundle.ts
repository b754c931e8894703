/**
 * Builds the CommonJS bundle that notebooks import as `percept` (docs/ARCHITECTURE.md §7): tslab compiles each cell with its
 * own TypeScript 5.0 to CommonJS and `require`s it, so the ESM-only vega, vega-lite and h5wasm cannot load there.
 * esbuild bundles `src/notebook/index.ts` with them into `dist/percept.cjs`; `vega-canvas` (top-level await) is
 * replaced by a stub, since SVG needs no canvas. TensorFlow.js (native binding), tslab (whose running instance the
 * display helpers talk to) and packages with CommonJS builds of their own stay external.
 *
 * tslab resolves modules the Node 10 way, which ignores package.json `exports`, so `node_modules/percept` links
 * to the project: its `types` then give notebook cells type checking and completion, its `main` the bundle.
 */
import { spawn } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readlinkSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import { join, relative } from 'node:path';
import * as esbuild from 'esbuild';
import { writeFileAtomic, writeJsonAtomic } from '../atomic.ts';
import { BUNDLE_PATHS, staleReason, type BundleStamp } from './bundle_stamp.ts';

/** Packages left to Node's `require` at run time; h5wasm (ESM-only) is reached by a dynamic import, never bundled. */
const EXTERNAL = ['@tensorflow/*', 'tslab', 'sharp', 'puppeteer-core', 'esbuild', 'typescript', 'h5wasm'];

/** Files that change the bundle without being esbuild inputs. */
const EXTRA_INPUTS = [
  'package.json',
  'package-lock.json',
  'node_modules/.package-lock.json',
  'tsconfig.json',
  'src/notebook/bundle.ts',
  'src/notebook/tsconfig.types.json',
];

export interface BundleResult {
  file: string;
  /** False when the existing bundle was fresh. */
  rebuilt: boolean;
  /** Why it was rebuilt. */
  reason?: string;
  seconds: number;
}

function emitDeclarations(root: string, outDir: string): Promise<void> {
  // The project's TypeScript by path: tslab puts its own tsc (5.0) at node_modules/.bin/tsc (docs/ARCHITECTURE.md §7).
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const args = [tsc, '-p', join(root, 'src', 'notebook', 'tsconfig.types.json'), '--outDir', outDir];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolve()
        : reject(new Error(`declarations for the notebook bundle failed (tsc exit ${code}):\n${output.trim()}`)),
    );
  });
}

/**
 * Builds dist/percept.cjs and its declarations (dist/types/), then the stamp that `staleReason` reads.
 *
 * @example
 * await buildBundle(projectRoot()); // ~3 s, mostly the declarations
 */
export async function buildBundle(root: string): Promise<void> {
  const typesTemp = join(root, 'dist', `types.tmp-${process.pid}`);
  const [built] = await Promise.all([
    esbuild.build({
      absWorkingDir: root,
      entryPoints: ['src/notebook/index.ts'],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      outfile: BUNDLE_PATHS.bundle,
      external: EXTERNAL,
      alias: { 'vega-canvas': './src/notebook/vega_canvas_stub.ts' },
      metafile: true,
      write: false,
      // tf.ts and paths.ts read __filename/__dirname when bundled and import.meta.url only in the ESM sources.
      logOverride: { 'empty-import-meta': 'silent' },
      logLevel: 'error',
    }),
    emitDeclarations(root, typesTemp),
  ]);
  for (const file of built.outputFiles) writeFileAtomic(file.path, file.contents);
  const types = join(root, 'dist', 'types');
  rmSync(types, { recursive: true, force: true });
  renameSync(typesTemp, types);
  // Installed packages are covered by node_modules/.package-lock.json (npm gives their files a fixed 1985 mtime).
  const sources = Object.keys(built.metafile.inputs).filter((file) => !file.startsWith('node_modules/'));
  const inputs = [...sources, ...EXTRA_INPUTS.filter((file) => existsSync(join(root, file)))];
  writeJsonAtomic(join(root, BUNDLE_PATHS.stamp), { inputs: inputs.sort() } satisfies BundleStamp);
}

/** Makes `node_modules/percept` a link to the project (see the module comment); an existing link is kept. */
export function linkPackage(root: string): void {
  const link = join(root, 'node_modules', 'percept');
  const target = relative(join(root, 'node_modules'), root);
  if (existsSync(link) || lstatSync(link, { throwIfNoEntry: false }) !== undefined) {
    if (lstatSync(link).isSymbolicLink() && readlinkSync(link) === target) return;
    rmSync(link, { recursive: true, force: true });
  }
  mkdirSync(join(root, 'node_modules'), { recursive: true });
  symlinkSync(target, link, 'dir');
}

/**
 * Rebuilds the bundle when it is stale (or always with `force`) and links the package.
 *
 * @example
 * const { rebuilt, seconds } = await ensureBundle(projectRoot());
 */
export async function ensureBundle(root: string, force = false): Promise<BundleResult> {
  const start = performance.now();
  linkPackage(root);
  const reason = force ? 'forced' : staleReason(root);
  const file = join(root, BUNDLE_PATHS.bundle);
  if (reason === undefined) return { file, rebuilt: false, seconds: (performance.now() - start) / 1000 };
  await buildBundle(root);
  return { file, rebuilt: true, reason, seconds: (performance.now() - start) / 1000 };
}
