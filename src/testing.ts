/**
 * Test-only helpers shared by *.test.ts files.
 *
 * Tests that need the native backend, the Python peers (Keras, Jupyter) or Chromium are skipped when those are
 * missing on a developer machine, unless PERCEPT_TEST_ALL=1 (CI sets it): then a missing piece fails the test
 * instead of skipping it, so nothing is silently skipped in CI (docs/ARCHITECTURE.md §6). The torch peer is the exception: it is
 * opt-in (needsTorch).
 */
import { existsSync, readdirSync } from 'node:fs';
import { GPU_PACKAGE, probeNative } from './setup/native_backend.ts';
import { installedPython, venvPython } from './setup/python_env.ts';
import { findChromium } from './setup/chromium.ts';

/** Options for node:test's `test(name, options, fn)`: `{ skip: reason }` or `{}`. */
export type SkipOption = { skip?: string };

function requirement(available: boolean, what: string, fix: string): SkipOption {
  if (available) return {};
  if (process.env['PERCEPT_TEST_ALL'] === '1')
    throw new Error(`PERCEPT_TEST_ALL=1 but ${what} is missing. Fix: ${fix}`);
  return { skip: `${what} missing (${fix}); set PERCEPT_TEST_ALL=1 to make this an error` };
}

let nativeAvailable: boolean | undefined;

/** Skip unless the native backend loads. */
export function needsNative(): SkipOption {
  nativeAvailable ??= probeNative().ok;
  return requirement(nativeAvailable, 'the native backend', 'npx percept setup');
}

/** Skip unless `.venv` has the given Python module (tensorflow and sklearn: the keras group; nbclient, jupyterlab: jupyter). */
export function needsPython(module: 'tensorflow' | 'sklearn' | 'tensorboard' | 'nbclient' | 'jupyterlab'): SkipOption {
  const group = module === 'nbclient' || module === 'jupyterlab' ? 'jupyter' : 'keras';
  return requirement(
    existsSync(venvPython()) && pythonHas(module),
    `Python module ${module} in .venv`,
    `npx percept setup --python ${group}`,
  );
}

function pythonHas(module: string): boolean {
  // A look at site-packages instead of starting Python, so that test files load fast.
  const lib = venvPython().replace(/bin\/python$/, 'lib');
  if (!existsSync(lib)) return false;
  return readdirSync(lib).some((version) => existsSync(`${lib}/${version}/site-packages/${module}`));
}

/**
 * Skip unless `.venv-torch` has the pinned torch and torchvision. torch is not part of `npm test`'s set-up (PyPI's
 * wheel is the CUDA build, several GB), so PERCEPT_TEST_ALL does not make its absence a failure; PERCEPT_TEST_TORCH=1
 * does, for a job that installs it.
 */
export function needsTorch(): SkipOption {
  if (installedPython('torch') !== undefined) return {};
  const fix = 'npx percept setup --python torch';
  if (process.env['PERCEPT_TEST_TORCH'] === '1')
    throw new Error(`PERCEPT_TEST_TORCH=1 but torch is not installed in .venv-torch. Fix: ${fix}`);
  return {
    skip: `torch is not installed in .venv-torch (${fix}, several GB; not part of npm test's set-up, so PERCEPT_TEST_ALL leaves it skipped); set PERCEPT_TEST_TORCH=1 to make this an error`,
  };
}

/** Skip unless Chromium is found. */
export function needsChromium(): SkipOption {
  return requirement(findChromium() !== undefined, 'Chromium', 'apt-get install chromium');
}

/**
 * Skip unless tfjs-node-gpu was built by `percept setup --gpu` (CI builds it: .ci/run). It is a separate build of
 * about 2.1 GB of wheels, so a developer machine without it skips these tests unless PERCEPT_TEST_ALL=1.
 */
export function needsGpuBuild(): SkipOption {
  return requirement(
    probeNative(undefined, GPU_PACKAGE).ok,
    "tfjs-node-gpu built from PyPI's tensorflow wheel",
    'npx percept setup --gpu',
  );
}
