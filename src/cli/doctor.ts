/**
 * `percept doctor [--json] [--no-steps]`: what percept will run on, and the fix for anything missing, and how each
 * architecture's training steps run (traced into one TensorFlow function, or eager and why; `--no-steps` skips the
 * few seconds that takes).
 */
import { parseCommandArgs, printJson } from './args.ts';
import { CHROMIUM_FIX, findChromium } from '../setup/chromium.ts';
import { checkKernel } from '../notebook/kernel.ts';
import { spawnSync } from 'node:child_process';
import { nativeSource, type NativePackage, type NativeSource } from '../setup/native_backend.ts';
import { noGpuReason } from '../device.ts';

const USAGE = 'percept doctor [--json] [--no-steps]';

export interface DoctorReport {
  backend: 'native' | 'js' | 'gpu';
  tfjsVersion: string;
  /** libtensorflow version; null on pure JS. */
  tfVersion: string | null;
  /** Where libtensorflow came from when percept's offline install placed it. */
  nativeSource: string | null;
  threads: number;
  /** The GPU TensorFlow computes on (name, compute capability, memory, driver, CUDA, cuDNN), or why there is none. */
  gpu: { inUse: boolean; description: string };
  node: string;
  chromium: string | null;
  kernel: string | null;
  /** Per architecture: 'traced' or 'eager (why)'; null with --no-steps. */
  steps: Record<string, string> | null;
  /** Each problem with its fix; empty when everything is in place. */
  problems: string[];
}

/** nvidia-smi's name, compute capability, memory and driver of each GPU, one line each; undefined without it. */
function nvidiaSmi(): string | undefined {
  const result = spawnSync(
    'nvidia-smi',
    ['--query-gpu=name,compute_cap,memory.total,driver_version', '--format=csv,noheader'],
    { encoding: 'utf8' },
  );
  if (result.status !== 0) return undefined;
  return result.stdout
    .trim()
    .split('\n')
    .map((line) => {
      const [name, capability, memory, driver] = line.split(',').map((field) => field.trim());
      return `${name} (compute capability ${capability}, ${memory}, driver ${driver})`;
    })
    .join('; ');
}

function describeGpu(
  inUse: boolean,
  skipped: readonly string[],
  source: NativeSource | undefined,
): { inUse: boolean; description: string } {
  if (!inUse) {
    const reason = skipped.find((line) => /GPU|tfjs-node-gpu/.test(line)) ?? noGpuReason();
    return { inUse, description: `none: ${reason}` };
  }
  const cuda = source?.cuda;
  const libraries =
    cuda === undefined
      ? ''
      : `; CUDA ${cuda['nvidia-cuda-runtime-cu12']}, cuDNN ${cuda['nvidia-cudnn-cu12']} from PyPI`;
  return { inUse, description: `${nvidiaSmi() ?? 'GPU in use (nvidia-smi not found for its details)'}${libraries}` };
}

export async function run(args: string[]): Promise<number> {
  const { values } = parseCommandArgs(
    'doctor',
    args,
    { json: { type: 'boolean' }, 'no-steps': { type: 'boolean' } },
    USAGE,
  );
  if (values.help) {
    process.stdout.write(`Usage: ${USAGE}\n`);
    return 0;
  }
  process.env['PERCEPT_QUIET_BACKEND'] = '1';
  const { backendInfo } = await import('../tf.ts');
  const chromium = findChromium();
  const kernel = checkKernel();
  const source =
    backendInfo.kind === 'js' ? undefined : nativeSource(undefined, backendInfo.packageName as NativePackage);
  const problems: string[] = [];
  if (backendInfo.kind === 'js')
    problems.push(`backend: pure JS (${backendInfo.skipped.join('; ')}). Fix: npx percept setup`);
  for (const skipped of backendInfo.skipped) {
    if (skipped.includes('CUDA')) problems.push(`gpu: ${skipped}`);
  }
  if (chromium === undefined) problems.push(`chromium: not found (PDF reports need it). Fix: ${CHROMIUM_FIX}`);
  if (!kernel.found) problems.push(`kernel: tslab kernel not registered (notebooks need it). Fix: ${kernel.fix}`);
  const steps = values['no-steps'] ? null : await (await import('../train/step_probe.ts')).probeStepModes();
  const report: DoctorReport = {
    backend: backendInfo.kind,
    tfjsVersion: backendInfo.tfjsVersion,
    tfVersion: backendInfo.tfVersion,
    nativeSource: source === undefined ? null : `PyPI ${source.wheel} (Python ${source.python})`,
    threads: backendInfo.threads,
    gpu: describeGpu(backendInfo.kind === 'gpu', backendInfo.skipped, source),
    node: process.version,
    chromium: chromium ?? null,
    kernel: kernel.found ? (kernel.spec ?? null) : null,
    steps,
    problems,
  };
  if (values.json) {
    printJson(report);
  } else {
    const rows: [string, string][] = [
      ['backend', `${report.backend} (${backendInfo.packageName})`],
      ['TensorFlow.js', report.tfjsVersion],
      [
        'libtensorflow',
        report.tfVersion === null
          ? 'none (pure JS)'
          : `${report.tfVersion}${report.nativeSource === null ? '' : ` from ${report.nativeSource}`}`,
      ],
      ['threads', String(report.threads)],
      ['gpu', report.gpu.description],
      ['node', report.node],
      ['chromium', report.chromium ?? 'missing'],
      ['tslab kernel', report.kernel ?? 'missing'],
    ];
    for (const [architecture, mode] of Object.entries(steps ?? {})) rows.push([`steps ${architecture}`, mode]);
    for (const [key, value] of rows) process.stdout.write(`${key.padEnd(24)} ${value}\n`);
    for (const problem of problems) process.stdout.write(`problem: ${problem}\n`);
  }
  return 0;
}
