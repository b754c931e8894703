/**
 * The project-local Python environment (`.venv/`, git-ignored) that holds the Python peers and tools:
 * Keras on the same tensorflow-cpu wheel as the native backend (benchmarks, parity tests) and, for the
 * notebook runner, Jupyter's execution client. pip's own cache (~/.cache/pip) is reused between runs.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../errors.ts';
import { findPython, wheelVersionFor, type SetupLog } from './native_backend.ts';
import { projectRoot } from './paths.ts';

/** Named groups of pinned requirements; a feature asks for the groups it needs. */
export type PythonGroup = 'keras' | 'jupyter';

function requirements(group: PythonGroup, pythonVersion: string): string[] {
  switch (group) {
    case 'keras':
      // The same wheel the native backend's libtensorflow comes from, so peers run the same kernels.
      // scikit-learn and krippendorff regenerate the metric tests' reference values (src/metrics/metrics.test.ts).
      return [`tensorflow-cpu==${wheelVersionFor(pythonVersion)}`, 'h5py==3.16.0', 'scikit-learn==1.9.1', 'krippendorff==0.9.0'];
    case 'jupyter':
      // IPython 8.23+ imports typing_extensions.TypeAliasType (4.6+), but tensorflow-cpu 2.12 pins typing_extensions<4.6
      // in the same venv: a newer IPython breaks jupyter_client's kernelspec lookup (it imports IPython.paths).
      return ['nbclient==0.10.2', 'nbformat==5.10.4', 'jupyter_client==8.6.3', 'jupyterlab==4.4.10', 'ipython==8.22.2'];
  }
}

export function venvDir(root = projectRoot()): string {
  return join(root, '.venv');
}

/** The venv's python executable. */
export function venvPython(root = projectRoot()): string {
  return join(venvDir(root), 'bin', 'python');
}

/**
 * Creates `.venv` if needed and installs the groups' pinned requirements (skipped when a marker says they are in).
 * Returns the venv's python.
 */
export function ensurePythonEnv(groups: readonly PythonGroup[], log: SetupLog): string {
  const root = projectRoot();
  const python = findPython();
  const venv = venvDir(root);
  if (!existsSync(venvPython(root))) {
    log(`creating the Python environment ${venv}`);
    const created = spawnSync(python.command, ['-m', 'venv', venv], { encoding: 'utf8' });
    if (created.status !== 0) {
      throw new UserError(`python -m venv ${venv} failed: ${created.stderr.trim()}. Fix: apt-get install python3-venv`);
    }
  }
  const wanted = [...new Set(groups.flatMap((group) => requirements(group, python.version)))].sort();
  const marker = join(venv, 'percept-requirements.txt');
  const installed = existsSync(marker) ? readFileSync(marker, 'utf8').split('\n').filter(Boolean) : [];
  const missing = wanted.filter((requirement) => !installed.includes(requirement));
  if (missing.length > 0) {
    log(`pip install ${missing.join(' ')} (into ${venv}; pip's cache is reused)`);
    const result = spawnSync(venvPython(root), ['-m', 'pip', 'install', '--disable-pip-version-check', '--quiet', ...missing], {
      encoding: 'utf8',
      stdio: ['ignore', 'inherit', 'pipe'],
    });
    if (result.status !== 0) {
      throw new UserError(`pip install ${missing.join(' ')} failed: ${result.stderr.trim().split('\n').slice(-3).join(' ')}. Fix: check access to PyPI, then rerun`);
    }
    writeFileSync(marker, [...new Set([...installed, ...missing])].sort().join('\n') + '\n');
  }
  return venvPython(root);
}
