/**
 * The only module that imports TensorFlow.js (docs/ARCHITECTURE.md §2, §5).
 *
 * It picks `@tensorflow/tfjs-node-gpu` (where an NVIDIA driver is loaded) > `@tensorflow/tfjs-node` > pure-JS
 * `@tensorflow/tfjs`, honouring `PERCEPT_BACKEND=auto|native|gpu|js` (which package) and `PERCEPT_DEVICE=auto|cpu|gpu`
 * (where TensorFlow computes), and says once per process which one runs. The choice is made before any libtensorflow
 * is loaded: the two packages' libraries share their file names, so one process can hold only one of them.
 *
 * @example
 * import { tf, backendInfo } from '../tf.ts';
 * const y = tf.tidy(() => tf.ones([2, 2]).mul(2));
 */
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { isAbsolute } from 'node:path';
import type { Tf } from './tf_type.ts';
import { UserError } from './errors.ts';
import { installKernels } from './kernels/install.ts';
import { noGpuReason, nvidiaDriver, parseChoice, parseDeviceRequest, type DeviceRequest } from './device.ts';

export type { Tf };

/**
 * `gpu`: TensorFlow places ops on a GPU (tfjs-node-gpu); `native`: libtensorflow on the CPU (tfjs-node, or
 * tfjs-node-gpu where it found no GPU); `js`: pure JavaScript.
 */
export type BackendKind = 'gpu' | 'native' | 'js';
/** Which package: `native` either native one, `gpu` tfjs-node-gpu only (on a GPU-less machine it computes on the CPU). */
export type BackendRequest = 'auto' | 'native' | 'gpu' | 'js';

export interface BackendInfo {
  kind: BackendKind;
  /** npm package that provides the backend. */
  packageName: string;
  tfjsVersion: string;
  /** Version of the libtensorflow C library behind the binding; null on pure JS. */
  tfVersion: string | null;
  /** Intra-op threads TensorFlow uses (it defaults to the number of cores). */
  threads: number;
  /** Why faster backends were not used, one line each; empty when the best one loaded. */
  skipped: string[];
  /** True when TensorFlow's fused training kernels replace tfjs's composite ones (src/kernels/). */
  fusedKernels: boolean;
}

const BACKEND_REQUESTS: readonly BackendRequest[] = ['auto', 'native', 'gpu', 'js'];

/** Parses `PERCEPT_BACKEND`. */
export function parseBackendRequest(value: string | undefined): BackendRequest {
  return parseChoice('PERCEPT_BACKEND', value, BACKEND_REQUESTS, 'backend');
}

// CommonJS require works both from the ESM sources (tsx) and from the CommonJS notebook bundle, where
// __filename is the bundle's path (`node -e` defines a global __filename of '[eval]', hence the isAbsolute check).
const load = createRequire(typeof __filename === 'string' && isAbsolute(__filename) ? __filename : import.meta.url);

interface Candidate {
  kind: BackendKind;
  packageName: string;
}

const GPU_CANDIDATE: Candidate = { kind: 'gpu', packageName: '@tensorflow/tfjs-node-gpu' };
const CPU_CANDIDATE: Candidate = { kind: 'native', packageName: '@tensorflow/tfjs-node' };
const JS_CANDIDATE: Candidate = { kind: 'js', packageName: '@tensorflow/tfjs' };

/**
 * The packages to try, in order, with the reasons for leaving the GPU build out. Without an NVIDIA driver the GPU
 * build would only compute on the CPU with another libtensorflow, so auto takes it only where a driver is loaded.
 */
export function backendCandidates(
  request: BackendRequest,
  device: DeviceRequest,
  driver: string | undefined,
): { candidates: Candidate[]; skipped: string[] } {
  if (request === 'js') return { candidates: [JS_CANDIDATE], skipped: [] };
  if (request === 'gpu' || device === 'gpu') return { candidates: [GPU_CANDIDATE], skipped: [] };
  const skipped: string[] = [];
  const native = [CPU_CANDIDATE];
  if (device === 'cpu') skipped.push('@tensorflow/tfjs-node-gpu left out: PERCEPT_DEVICE=cpu');
  else if (driver === undefined) skipped.push(`@tensorflow/tfjs-node-gpu left out: ${noGpuReason(driver)}`);
  else native.unshift(GPU_CANDIDATE);
  return { candidates: request === 'native' ? native : [...native, JS_CANDIDATE], skipped };
}

/** Turns tfjs-node's multi-line load failures into one line with the fix. */
export function explainLoadFailure(packageName: string, error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: string } | null)?.code;
  if (code === 'MODULE_NOT_FOUND' && message.includes(`'${packageName}'`)) {
    return packageName === GPU_CANDIDATE.packageName
      ? `${packageName} is not installed. Fix: npx percept setup --gpu`
      : `${packageName} is not installed`;
  }
  const firstLine = message.split('\n')[0]!.trim();
  if (/tfjs_binding\.node\) can not be found/.test(message)) {
    return `${packageName} is installed but its native binding was never built. Fix: npx percept setup`;
  }
  if (/cannot open shared object file|undefined symbol|invalid ELF header/.test(message)) {
    return `${packageName}'s native binding cannot load libtensorflow (${firstLine}). Fix: npx percept setup --rebuild`;
  }
  if (/libcud|CUDA/i.test(message)) {
    return `${packageName} cannot load its CUDA libraries (${firstLine}). Fix: npx percept setup --gpu --rebuild`;
  }
  return `${packageName} failed to load: ${firstLine}`;
}

function loadCandidate(candidate: Candidate): Tf {
  const tf = load(candidate.packageName) as Tf;
  if (candidate.kind === 'js') {
    // tfjs-backend-cpu prints a banner suggesting tfjs-node on its first write; describeBackend() says it better.
    (tf.backend() as unknown as { firstUse?: boolean }).firstUse = false;
  }
  // Importing tfjs-node registers the 'tensorflow' backend; make sure it actually runs a kernel.
  tf.tidy(() => tf.add(tf.scalar(1), tf.scalar(1)).dataSync());
  return tf;
}

function libtensorflowVersion(tf: Tf): string | null {
  const backend = tf.backend() as unknown as { binding?: { TF_Version?: string } };
  return backend.binding?.TF_Version ?? null;
}

/**
 * Loads the backend that `request` and `device` ask for; a native or GPU request that cannot be met is a UserError
 * saying why.
 */
export function selectBackend(
  request: BackendRequest,
  device: DeviceRequest = 'auto',
  driver = nvidiaDriver(),
): { tf: Tf; info: BackendInfo } {
  // TensorFlow's C++ logging (oneDNN notices, CPU feature hints) is noise in a CLI; users can lower it again.
  process.env['TF_CPP_MIN_LOG_LEVEL'] ??= '2';
  // TensorFlow would otherwise reserve nearly all of the GPU's memory at start; grow it as tensors need it.
  process.env['TF_FORCE_GPU_ALLOW_GROWTH'] ??= 'true';
  // With the GPU build asked for on the CPU, hide the GPUs from CUDA itself.
  if (device === 'cpu') process.env['CUDA_VISIBLE_DEVICES'] = '-1';
  const { candidates, skipped } = backendCandidates(request, device, driver);
  for (const candidate of candidates) {
    let tf: Tf;
    try {
      tf = loadCandidate(candidate);
    } catch (error) {
      if (candidate === JS_CANDIDATE) throw error;
      skipped.push(explainLoadFailure(candidate.packageName, error));
      continue;
    }
    const usesGpu = (tf.backend() as unknown as { isUsingGpuDevice?: boolean }).isUsingGpuDevice === true;
    if (candidate === GPU_CANDIDATE && !usesGpu) {
      if (device === 'gpu')
        throw new UserError(
          `PERCEPT_DEVICE=gpu but ${GPU_CANDIDATE.packageName} computes on the CPU: ${noGpuReason(driver)}. Fix: run on a machine with an NVIDIA GPU, or use --device cpu`,
        );
      skipped.push(`no GPU in use: ${noGpuReason(driver)}`);
    }
    const info: BackendInfo = {
      kind: candidate === GPU_CANDIDATE && !usesGpu ? 'native' : candidate.kind,
      packageName: candidate.packageName,
      tfjsVersion: tf.version_core,
      tfVersion: libtensorflowVersion(tf),
      threads: availableParallelism(),
      skipped,
      fusedKernels: installKernels(tf).fused,
    };
    return { tf, info };
  }
  throw new UserError(
    `PERCEPT_BACKEND=${request}${device === 'auto' ? '' : ` PERCEPT_DEVICE=${device}`} but no native backend loads: ${skipped.join('; ')}`,
  );
}

/** One line that says which backend runs, loudly when it is the slow one. */
export function describeBackend(info: BackendInfo): string {
  if (info.kind === 'js') {
    const why = info.skipped.length > 0 ? ` (${info.skipped.join('; ')})` : '';
    return (
      `percept: WARNING: running on pure-JS TensorFlow.js ${info.tfjsVersion}${why}. ` +
      'Convolutional training is hundreds of times slower than on the native backend (percept bench: ~600x for MobileNetV2 at 96 px). Fix: npx percept setup (see README, "Offline native install").'
    );
  }
  const build = info.packageName === GPU_CANDIDATE.packageName ? `GPU build, ` : '';
  return `percept: TensorFlow.js ${info.tfjsVersion} on ${info.kind === 'gpu' ? 'GPU' : 'native CPU'} backend (${build}libtensorflow ${info.tfVersion ?? 'unknown'}, ${info.threads} threads)`;
}

const selected = selectBackend(
  parseBackendRequest(process.env['PERCEPT_BACKEND']),
  parseDeviceRequest(process.env['PERCEPT_DEVICE']),
);

/** The TensorFlow.js namespace of the selected backend. */
export const tf: Tf = selected.tf;
/** What was selected, for `doctor`, run summaries and benchmarks. */
export const backendInfo: BackendInfo = selected.info;

if (process.env['PERCEPT_QUIET_BACKEND'] !== '1') process.stderr.write(describeBackend(backendInfo) + '\n');
