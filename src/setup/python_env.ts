/**
 * The project-local Python environments (git-ignored) that hold the Python peers and tools:
 * - `.venv`: Keras 2 (tf-keras) on the same tensorflow-cpu release as the native backend (benchmarks, parity tests)
 *   and, for the notebook runner, Jupyter's execution client;
 * - `.venv-torch`: PyTorch and torchvision, the benchmarks' second peer, on demand only. It is a venv of its own because
 *   it pulls NVIDIA's CUDA libraries, several GB, that the CPU peers do not need;
 * - `.venv-gpu`: Keras 2 (tf-keras) on the GPU build's TensorFlow with its CUDA wheels, the Keras peer of
 *   `percept bench --device gpu`, on demand only (several GB).
 * pip's own cache (~/.cache/pip) is reused between runs.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../errors.ts';
import { findPython, kerasTensorflowFor, TENSORFLOW_VERSION, type SetupLog } from './native_backend.ts';
import { projectRoot } from '../paths.ts';

/** Named groups of pinned requirements; a feature asks for the groups it needs. */
export type PythonGroup = 'keras' | 'jupyter' | 'torch' | 'keras-gpu';

/** The project's venvs, by the folder under the project root that holds each. */
export type PythonVenv = '.venv' | '.venv-torch' | '.venv-gpu';

/** The venv each group is installed into. */
export function venvOf(group: PythonGroup): PythonVenv {
  if (group === 'torch') return '.venv-torch';
  return group === 'keras-gpu' ? '.venv-gpu' : '.venv';
}

/** The group's pins; `pythonVersion` is asked only by the groups whose pins depend on it (finding Python starts it). */
function requirements(group: PythonGroup, pythonVersion: () => string): string[] {
  switch (group) {
    case 'keras':
      // The same wheel the native backend's libtensorflow comes from, so peers run the same kernels.
      // scikit-learn and krippendorff regenerate the metric tests' reference values (src/metrics/metrics.test.ts).
      // tf-keras keeps Keras 2's semantics on TensorFlow 2.16 (tf.keras is Keras 3 there unless TF_USE_LEGACY_KERAS=1,
      // which the venv sets for every process: LEGACY_KERAS_PTH).
      return [
        kerasTensorflowFor(pythonVersion()),
        TF_KERAS,
        'h5py==3.16.0',
        'scikit-learn==1.9.1',
        'krippendorff==0.9.0',
        // The paired comparisons' references (src/metrics/paired.test.ts): McNemar's exact test and Holm's correction.
        // pandas (a statsmodels dependency) and numpy pinned: pandas 3 pulls numpy 2, which TensorFlow 2.16 cannot load.
        'statsmodels==0.14.4',
        'pandas==2.2.3',
        'numpy==1.26.4',
      ];
    case 'jupyter':
      return ['nbclient==0.10.2', 'nbformat==5.10.4', 'jupyter_client==8.6.3', 'jupyterlab==4.4.10', 'ipython==8.22.2'];
    case 'torch':
      // PyPI's Linux wheel is the CUDA build: its NVIDIA libraries make the venv several GB though the bench runs on
      // the CPU. torchvision 0.29.2 is the newest release and requires torch>=2.14.
      return ['torch==2.15.0', 'torchvision==0.29.2'];
    case 'keras-gpu':
      // The wheel the GPU build's libtensorflow comes from (src/setup/gpu_backend.ts), with the CUDA wheels it pins;
      // tf-keras keeps Keras 2's semantics (the peers run with TF_USE_LEGACY_KERAS=1).
      return [`tensorflow[and-cuda]==${TENSORFLOW_VERSION}`, TF_KERAS];
  }
}

/** Keras 2 for TensorFlow 2.16. */
const TF_KERAS = 'tf-keras==2.16.0';

/**
 * Installed without their dependencies: tf-keras requires the `tensorflow` distribution, which `tensorflow-cpu`
 * provides under another name (the same `tensorflow` module); with its dependencies pip would add the 590 MB GPU wheel.
 */
const WITHOUT_DEPENDENCIES = new Set([TF_KERAS]);

/** A .pth file (run by Python at start-up) that makes `tf.keras` Keras 2 in every process of the venv. */
const LEGACY_KERAS_PTH = {
  name: 'percept_legacy_keras.pth',
  text: "import os; os.environ.setdefault('TF_USE_LEGACY_KERAS', '1')\n",
};

/** What a group's first install fetches, for the log line before it starts. */
const DOWNLOAD_NOTE: Partial<Record<PythonGroup, string>> = {
  torch:
    "torch is PyPI's CUDA build: its 0.5 GB wheel pulls NVIDIA's CUDA libraries and Triton, 5.4 GB installed (2-3 minutes on a fast link)",
  'keras-gpu': "tensorflow[and-cuda] pulls NVIDIA's CUDA 12 libraries: about 2.5 GB to download, 6 GB installed",
};

export function venvDir(root = projectRoot(), venv: PythonVenv = '.venv'): string {
  return join(root, venv);
}

/** The venv's python executable. */
export function venvPython(root = projectRoot(), venv: PythonVenv = '.venv'): string {
  return join(venvDir(root, venv), 'bin', 'python');
}

function markerFile(root: string, venv: PythonVenv): string {
  return join(venvDir(root, venv), 'percept-requirements.txt');
}

function installedRequirements(root: string, venv: PythonVenv): string[] {
  const marker = markerFile(root, venv);
  return existsSync(marker) ? readFileSync(marker, 'utf8').split('\n').filter(Boolean) : [];
}

/**
 * The python of the group's venv when the group's pinned requirements are installed there, else undefined.
 * It reads the install marker (and starts Python only for the keras group's version-dependent pin), so `percept bench` can look for the torch peer cheaply.
 *
 * @example
 * const torch = installedPython('torch'); // '/work/percept/.venv-torch/bin/python' or undefined
 */
export function installedPython(group: PythonGroup, root = projectRoot()): string | undefined {
  const venv = venvOf(group);
  if (!existsSync(venvPython(root, venv))) return undefined;
  const installed = installedRequirements(root, venv);
  const wanted = requirements(group, () => findPython().version);
  return wanted.every((requirement) => installed.includes(requirement)) ? venvPython(root, venv) : undefined;
}

function pipInstall(python: string, requirements: readonly string[], flags: readonly string[]): void {
  if (requirements.length === 0) return;
  const result = spawnSync(
    python,
    ['-m', 'pip', 'install', '--disable-pip-version-check', '--quiet', ...flags, ...requirements],
    {
      encoding: 'utf8',
      stdio: ['ignore', 'inherit', 'pipe'],
    },
  );
  if (result.status !== 0) {
    throw new UserError(
      `pip install ${requirements.join(' ')} failed: ${result.stderr.trim().split('\n').slice(-3).join(' ')}. Fix: check access to PyPI, then rerun`,
    );
  }
}

/** Writes LEGACY_KERAS_PTH into the venv's site-packages. */
function writeLegacyKerasPth(python: string): void {
  const found = spawnSync(python, ['-c', "import sysconfig; print(sysconfig.get_paths()['purelib'])"], {
    encoding: 'utf8',
  });
  if (found.status !== 0) throw new Error(`cannot find the site-packages of ${python}: ${found.stderr.trim()}`);
  writeFileSync(join(found.stdout.trim(), LEGACY_KERAS_PTH.name), LEGACY_KERAS_PTH.text);
}

/**
 * Creates each group's venv if needed and installs the groups' pinned requirements into it (skipped when its marker
 * says they are in). Returns the python of the groups' venv; groups from different venvs are installed by one call each.
 *
 * @example
 * const python = ensurePythonEnv(['keras'], log); // '/work/percept/.venv/bin/python'
 */
export function ensurePythonEnv(groups: readonly PythonGroup[], log: SetupLog): string {
  const venvs = [...new Set(groups.map(venvOf))];
  if (venvs.length !== 1)
    throw new Error(
      `ensurePythonEnv: groups ${groups.join(', ')} live in ${venvs.length === 0 ? 'no venv' : venvs.join(' and ')}; call it once per venv`,
    );
  const venv = venvs[0]!;
  const root = projectRoot();
  const python = findPython();
  const dir = venvDir(root, venv);
  if (!existsSync(venvPython(root, venv))) {
    log(`creating the Python environment ${dir}`);
    const created = spawnSync(python.command, ['-m', 'venv', dir], { encoding: 'utf8' });
    if (created.status !== 0) {
      throw new UserError(`python -m venv ${dir} failed: ${created.stderr.trim()}. Fix: apt-get install python3-venv`);
    }
  }
  const wanted = [...new Set(groups.flatMap((group) => requirements(group, () => python.version)))].sort();
  const installed = installedRequirements(root, venv);
  const missing = wanted.filter((requirement) => !installed.includes(requirement));
  if (missing.length > 0) {
    for (const group of groups) {
      const note = DOWNLOAD_NOTE[group];
      if (
        note !== undefined &&
        requirements(group, () => python.version).some((requirement) => missing.includes(requirement))
      )
        log(note);
    }
    log(`pip install ${missing.join(' ')} (into ${dir}; pip's cache is reused)`);
    pipInstall(
      venvPython(root, venv),
      missing.filter((requirement) => !WITHOUT_DEPENDENCIES.has(requirement)),
      [],
    );
    pipInstall(
      venvPython(root, venv),
      missing.filter((requirement) => WITHOUT_DEPENDENCIES.has(requirement)),
      ['--no-deps'],
    );
    if (missing.includes(TF_KERAS)) writeLegacyKerasPth(venvPython(root, venv));
    writeFileSync(markerFile(root, venv), [...new Set([...installed, ...missing])].sort().join('\n') + '\n');
  }
  return venvPython(root, venv);
}
