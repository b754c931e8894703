/**
 * The only module that imports TensorFlow.js (DESIGN.md §2, §5).
 *
 * It picks `@tensorflow/tfjs-node-gpu` > `@tensorflow/tfjs-node` > pure-JS `@tensorflow/tfjs`,
 * honouring `PERCEPT_BACKEND=auto|native|js`, and says once per process which one runs.
 *
 * @example
 * import { tf, backendInfo } from '../tf.ts';
 * const y = tf.tidy(() => tf.ones([2, 2]).mul(2));
 */
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { isAbsolute } from 'node:path';
import type * as TfModule from '@tensorflow/tfjs';
import { UserError } from './errors.ts';
import { installKernels } from './kernels/install.ts';

export type Tf = typeof TfModule;

/** `gpu`: tfjs-node-gpu (CUDA); `native`: tfjs-node on libtensorflow (CPU); `js`: pure JavaScript. */
export type BackendKind = 'gpu' | 'native' | 'js';
export type BackendRequest = 'auto' | 'native' | 'js';

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

const BACKEND_REQUESTS: readonly BackendRequest[] = ['auto', 'native', 'js'];

/** Parses `PERCEPT_BACKEND`; an unknown value is a user error naming the valid ones. */
export function parseBackendRequest(value: string | undefined): BackendRequest {
  const request = (value ?? '').trim().toLowerCase() || 'auto';
  if (!(BACKEND_REQUESTS as readonly string[]).includes(request)) {
    throw new UserError(
      `PERCEPT_BACKEND=${value} is not a backend. Fix: set PERCEPT_BACKEND to one of ${BACKEND_REQUESTS.join(', ')} (or unset it for auto).`,
    );
  }
  return request as BackendRequest;
}

// CommonJS require works both from the ESM sources (tsx) and from the CommonJS notebook bundle, where
// __filename is the bundle's path (`node -e` defines a global __filename of '[eval]', hence the isAbsolute check).
const load = createRequire(typeof __filename === 'string' && isAbsolute(__filename) ? __filename : import.meta.url);

interface Candidate {
  kind: BackendKind;
  packageName: string;
}

const NATIVE_CANDIDATES: Candidate[] = [
  { kind: 'gpu', packageName: '@tensorflow/tfjs-node-gpu' },
  { kind: 'native', packageName: '@tensorflow/tfjs-node' },
];
const JS_CANDIDATE: Candidate = { kind: 'js', packageName: '@tensorflow/tfjs' };

/** Turns tfjs-node's multi-line load failures into one line with the fix. */
export function explainLoadFailure(packageName: string, error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: string } | null)?.code;
  if (code === 'MODULE_NOT_FOUND' && message.includes(`'${packageName}'`)) {
    return `${packageName} is not installed`;
  }
  const firstLine = message.split('\n')[0]!.trim();
  if (/tfjs_binding\.node\) can not be found/.test(message)) {
    return `${packageName} is installed but its native binding was never built. Fix: npx percept setup`;
  }
  if (/cannot open shared object file|undefined symbol|invalid ELF header/.test(message)) {
    return `${packageName}'s native binding cannot load libtensorflow (${firstLine}). Fix: npx percept setup --rebuild`;
  }
  if (/libcud|CUDA/i.test(message)) {
    return `${packageName} needs CUDA 11.2 and cuDNN 8.1 (tfjs#8362): ${firstLine}`;
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

/** Loads the backend that `request` asks for; `native` that cannot load is a UserError saying why. */
export function selectBackend(request: BackendRequest): { tf: Tf; info: BackendInfo } {
  // TensorFlow's C++ logging (oneDNN notices, CPU feature hints) is noise in a CLI; users can lower it again.
  process.env['TF_CPP_MIN_LOG_LEVEL'] ??= '2';
  const skipped: string[] = [];
  const candidates = request === 'js' ? [JS_CANDIDATE] : request === 'native' ? NATIVE_CANDIDATES : [...NATIVE_CANDIDATES, JS_CANDIDATE];
  for (const candidate of candidates) {
    let tf: Tf;
    try {
      tf = loadCandidate(candidate);
    } catch (error) {
      if (candidate === JS_CANDIDATE) throw error;
      skipped.push(explainLoadFailure(candidate.packageName, error));
      continue;
    }
    const info: BackendInfo = {
      kind: candidate.kind,
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
    `PERCEPT_BACKEND=native but no native backend loads: ${skipped.filter((s) => !s.includes('tfjs-node-gpu is not installed')).join('; ')}`,
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
  return `percept: TensorFlow.js ${info.tfjsVersion} on ${info.kind === 'gpu' ? 'GPU' : 'native CPU'} backend (libtensorflow ${info.tfVersion ?? 'unknown'}, ${info.threads} threads)`;
}

const selected = selectBackend(parseBackendRequest(process.env['PERCEPT_BACKEND']));

/** The TensorFlow.js namespace of the selected backend. */
export const tf: Tf = selected.tf;
/** What was selected, for `doctor`, run summaries and benchmarks. */
export const backendInfo: BackendInfo = selected.info;

if (process.env['PERCEPT_QUIET_BACKEND'] !== '1') process.stderr.write(describeBackend(backendInfo) + '\n');
