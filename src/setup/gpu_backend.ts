/**
 * The GPU build of the native backend: `@tensorflow/tfjs-node-gpu`, built offline against PyPI's `tensorflow` wheel
 * and NVIDIA's CUDA wheels, never through the package's own install script (which always downloads a CUDA 11.2
 * libtensorflow 2.9.1 from a host many networks cannot reach, and which has no kernels for Hopper, sm_90).
 *
 * `tensorflow` 2.16.2 (the release of the CPU build too) is the first wheel with native sm_90 code. CUDA is loaded at
 * run time (dlopen), so the build also loads on a machine without a GPU and computes on
 * the CPU there. The CUDA libraries are the ones libtensorflow's RUNPATH looks for (`$ORIGIN/../nvidia/<name>/lib`),
 * at the versions the wheel's `and-cuda` extra pins, read from the wheel itself.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ensureNativePackage,
  downloadWheels,
  EXTRACT_MEMBER,
  GPU_PACKAGE,
  LIBRARY_WHEEL_PYTHON,
  TENSORFLOW_VERSION,
  extractLibtensorflow,
  run,
  tail,
  type Libtensorflow,
  type NativeStatus,
  type Python,
  type SetupLog,
} from './native_backend.ts';
import { userCacheDir } from '../paths.ts';
import { z } from 'zod';
import { readJsonOrUndefined } from '../json_file.ts';

/** The CUDA libraries libtensorflow finds through its RUNPATH (the rest of `and-cuda` it never loads). */
export const CUDA_LIBRARIES = [
  'cublas',
  'cuda_cupti',
  'cuda_runtime',
  'cudnn',
  'cufft',
  'cusolver',
  'cusparse',
  'nvjitlink',
] as const;

/** The `and-cuda` pins of a tensorflow wheel's METADATA: PyPI name (`nvidia-cudnn-cu12`) to version. */
export function cudaPins(metadata: string): Record<string, string> {
  const pins: Record<string, string> = {};
  for (const match of metadata.matchAll(/^Requires-Dist: (nvidia-[\w-]+) ?==([\w.]+) ?; extra == ['"]and-cuda['"]/gm))
    pins[match[1]!] = match[2]!;
  return pins;
}

/** The PyPI name of one of CUDA_LIBRARIES: cuda_runtime → nvidia-cuda-runtime-cu12. */
function pypiName(library: (typeof CUDA_LIBRARIES)[number]): string {
  return `nvidia-${library.replaceAll('_', '-')}-cu12`;
}

const READ_METADATA = `
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    name = next(n for n in z.namelist() if n.endswith('.dist-info/METADATA'))
    sys.stdout.write(z.read(name).decode())
`;

const EXTRACT_CUDA_LIBRARY = `${EXTRACT_MEMBER}
wheel, library, out = sys.argv[1], sys.argv[2], sys.argv[3]
prefix = 'nvidia/' + library + '/lib/'
with zipfile.ZipFile(wheel) as z:
    names = [n for n in z.namelist() if n.startswith(prefix) and not n.endswith('/')]
    if not names:
        sys.exit(wheel + ' has no ' + prefix)
    for name in names:
        extract(z, name, os.path.join(out, name))
`;

/** Beside the extracted libraries: the CUDA wheels they came with (PyPI name to version), written last. */
const CUDA_FILE = 'cuda.json';

/**
 * Downloads the tensorflow wheel and its CUDA wheels once (pip's cache) and extracts lib/, include/ and
 * nvidia/<library>/lib into the per-user cache (about 3.4 GB); returns that folder. A complete cache is used without
 * asking PyPI anything, so a rebuild works offline.
 */
export function ensureGpuLibtensorflow(python: Python, log: SetupLog): Libtensorflow {
  const wheel = `tensorflow==${TENSORFLOW_VERSION}`;
  const dir = userCacheDir('libtensorflow', `tensorflow-${TENSORFLOW_VERSION}-gpu`);
  const cached = join(dir, CUDA_FILE);
  const cachedPins = existsSync(join(dir, 'lib', 'libtensorflow_cc.so.2'))
    ? readJsonOrUndefined(cached, z.record(z.string(), z.string()))
    : undefined;
  if (cachedPins !== undefined) return { dir, wheel, cuda: cachedPins };
  const [tensorflowWheel] = downloadWheels(
    python,
    [wheel],
    `${wheel} (about 590 MB) for its CUDA libtensorflow`,
    log,
    LIBRARY_WHEEL_PYTHON,
  );
  const metadata = run(python.command, ['-c', READ_METADATA, tensorflowWheel!]);
  if (metadata.status !== 0) throw new Error(`reading ${tensorflowWheel}'s METADATA failed: ${tail(metadata.output)}`);
  const pins = cudaPins(metadata.output);
  const cuda = Object.fromEntries(
    CUDA_LIBRARIES.map((library) => {
      const version = pins[pypiName(library)];
      if (version === undefined)
        throw new Error(`${tensorflowWheel} does not pin ${pypiName(library)} in its and-cuda extra`);
      return [pypiName(library), version];
    }),
  );
  const specs = Object.entries(cuda).map(([name, version]) => `${name}==${version}`);
  const cudaWheels = downloadWheels(
    python,
    specs,
    `CUDA ${cuda['nvidia-cuda-runtime-cu12']} and cuDNN ${cuda['nvidia-cudnn-cu12']} (about 1.5 GB)`,
    log,
    LIBRARY_WHEEL_PYTHON,
  );
  log(`extracting libtensorflow ${TENSORFLOW_VERSION}, its C headers and ${CUDA_LIBRARIES.length} CUDA libraries`);
  extractLibtensorflow(python, tensorflowWheel!, dir, (staging) => {
    mkdirSync(staging, { recursive: true });
    CUDA_LIBRARIES.forEach((library, i) => {
      const extracted = run(python.command, ['-c', EXTRACT_CUDA_LIBRARY, cudaWheels[i]!, library, staging]);
      if (extracted.status !== 0) throw new Error(`extracting ${cudaWheels[i]} failed: ${tail(extracted.output)}`);
    });
    writeFileSync(join(staging, CUDA_FILE), JSON.stringify(cuda, null, 2) + '\n');
  });
  return { dir, wheel, cuda };
}

/** Builds `@tensorflow/tfjs-node-gpu` against the GPU libtensorflow (see above), or finds it built. */
export function ensureGpuBackend(options: { rebuild?: boolean; log: SetupLog }): NativeStatus {
  return ensureNativePackage(GPU_PACKAGE, ensureGpuLibtensorflow, options);
}
