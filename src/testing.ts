/**
 * Test-only helpers shared by *.test.ts files.
 *
 * Tests that need the native backend, the Python peers (Keras, Jupyter) or Chromium are skipped when those are
 * missing on a developer machine, unless PERCEPT_TEST_ALL=1 (CI sets it): then a missing piece fails the test
 * instead of skipping it, so nothing is silently skipped in CI (DESIGN.md §6).
 */
import { existsSync, readdirSync } from 'node:fs';
import { probeNative } from './setup/native_backend.ts';
import { venvPython } from './setup/python_env.ts';
import { findChromium } from './report/chromium.ts';

/** Options for node:test's `test(name, options, fn)`: `{ skip: reason }` or `{}`. */
export type SkipOption = { skip?: string };

function requirement(available: boolean, what: string, fix: string): SkipOption {
  if (available) return {};
  if (process.env['PERCEPT_TEST_ALL'] === '1') throw new Error(`PERCEPT_TEST_ALL=1 but ${what} is missing. Fix: ${fix}`);
  return { skip: `${what} missing (${fix}); set PERCEPT_TEST_ALL=1 to make this an error` };
}

let nativeAvailable: boolean | undefined;

/** Skip unless the native backend loads. */
export function needsNative(): SkipOption {
  nativeAvailable ??= probeNative().ok;
  return requirement(nativeAvailable, 'the native backend', 'npx percept setup');
}

/** Skip unless `.venv` has the given Python module (keras, nbclient, jupyterlab). */
export function needsPython(module: 'tensorflow' | 'nbclient' | 'jupyterlab'): SkipOption {
  const group = module === 'tensorflow' ? 'keras' : 'jupyter';
  return requirement(existsSync(venvPython()) && pythonHas(module), `Python module ${module} in .venv`, `npx percept setup --python ${group}`);
}

function pythonHas(module: string): boolean {
  // A look at site-packages instead of starting Python, so that test files load fast.
  const lib = venvPython().replace(/bin\/python$/, 'lib');
  if (!existsSync(lib)) return false;
  return readdirSync(lib).some((version) => existsSync(`${lib}/${version}/site-packages/${module}`));
}

/** Skip unless Chromium is found. */
export function needsChromium(): SkipOption {
  return requirement(findChromium() !== undefined, 'Chromium', 'apt-get install chromium');
}
