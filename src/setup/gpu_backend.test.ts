/**
 * The GPU build (src/setup/gpu_backend.ts) and the backend choice around it (src/tf.ts, src/device.ts): the wheel's
 * CUDA pins, the probe that survives TensorFlow's log lines, which package each request loads, and, with the GPU
 * build in place (CI builds it on its GPU-less machine), a training run through it as a user starts one, which
 * computes on the CPU and says why.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cudaPins, CUDA_LIBRARIES } from './gpu_backend.ts';
import {
  GPU_INSTALL_SCRIPT,
  GPU_PACKAGE,
  packageDir,
  probeAnswer,
  probeNative,
  TENSORFLOW_VERSION,
} from './native_backend.ts';
import { projectRoot } from '../paths.ts';
import { backendCandidates } from '../tf.ts';
import { noGpuReason, nvidiaDriver } from '../device.ts';
import { needsGpuBuild } from '../testing.ts';
import { synthesizeFaces } from '../data/index.ts';
import { tempDir } from '../data/test_fixtures.ts';
import { readRun } from '../runs/run_files.ts';

test("the and-cuda pins are read from the wheel's METADATA, one per CUDA library libtensorflow loads", () => {
  // Lines as tensorflow 2.16.2's METADATA writes them, with one of another extra and one unconditional.
  const metadata = [
    'Requires-Dist: numpy <2.0.0,>=1.23.5 ; python_version <= "3.11"',
    "Requires-Dist: nvidia-cublas-cu12 ==12.3.4.1 ; extra == 'and-cuda'",
    "Requires-Dist: nvidia-cuda-runtime-cu12 ==12.3.101 ; extra == 'and-cuda'",
    "Requires-Dist: nvidia-cudnn-cu12 ==8.9.7.29 ; extra == 'and-cuda'",
    "Requires-Dist: tensorrt ==8.6.1 ; extra == 'tensorrt'",
  ].join('\n');
  assert.deepEqual(cudaPins(metadata), {
    'nvidia-cublas-cu12': '12.3.4.1',
    'nvidia-cuda-runtime-cu12': '12.3.101',
    'nvidia-cudnn-cu12': '8.9.7.29',
  });
  assert.ok(CUDA_LIBRARIES.includes('cudnn') && CUDA_LIBRARIES.includes('cuda_runtime'));
});

test("the native probe finds its answer among TensorFlow's log lines, before and after it", () => {
  const logged = [
    '2026-12-07 14:02:09.896714: E external/local_xla/xla/stream_executor/cuda/cuda_fft.cc:479] Unable to register cuFFT factory',
    '{"tfVersion":"2.16.2","extension":true,"gpu":false}',
    '2026-12-07 14:02:09.915152: E external/local_xla/xla/stream_executor/cuda/cuda_blas.cc:1442] Unable to register cuBLAS factory',
  ].join('\n');
  assert.deepEqual(probeAnswer(logged), { tfVersion: '2.16.2', extension: true, gpu: false });
  assert.equal(probeAnswer('Error: Cannot find module'), undefined);
});

test('auto loads the GPU build only where an NVIDIA driver is loaded; --device gpu never falls back; cpu never loads it', () => {
  const names = (
    request: Parameters<typeof backendCandidates>[0],
    device: Parameters<typeof backendCandidates>[1],
    driver: string | undefined,
  ): string[] => backendCandidates(request, device, driver).candidates.map((candidate) => candidate.packageName);
  const driver = 'NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.54.15';
  assert.deepEqual(names('auto', 'auto', undefined), ['@tensorflow/tfjs-node', '@tensorflow/tfjs']);
  assert.deepEqual(names('auto', 'auto', driver), [
    '@tensorflow/tfjs-node-gpu',
    '@tensorflow/tfjs-node',
    '@tensorflow/tfjs',
  ]);
  assert.deepEqual(names('native', 'auto', driver), ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']);
  assert.deepEqual(names('auto', 'gpu', undefined), ['@tensorflow/tfjs-node-gpu']);
  assert.deepEqual(names('auto', 'cpu', driver), ['@tensorflow/tfjs-node', '@tensorflow/tfjs']);
  assert.deepEqual(names('gpu', 'auto', undefined), ['@tensorflow/tfjs-node-gpu']);
  assert.deepEqual(names('js', 'gpu', driver), ['@tensorflow/tfjs']);
  assert.match(backendCandidates('auto', 'auto', undefined).skipped.join(), /tfjs-node-gpu left out: no NVIDIA driver/);
  assert.match(backendCandidates('auto', 'cpu', driver).skipped.join(), /PERCEPT_DEVICE=cpu/);
});

test('the driver is read from /proc/driver/nvidia/version, and its absence is the reason given', () => {
  const dir = tempDir('percept-driver-');
  try {
    const file = join(dir, 'version');
    assert.equal(nvidiaDriver(file), undefined);
    writeFileSync(
      file,
      'NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.54.15  Tue Mar  5 22:23:56 UTC 2024\nGCC version: gcc 12\n',
    );
    assert.match(nvidiaDriver(file)!, /^NVRM version: .*550\.54\.15/);
    assert.match(noGpuReason(undefined), /no NVIDIA driver/);
    assert.match(noGpuReason(nvidiaDriver(file)), /driver is loaded .*550\.54\.15/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

const GPU_LESS =
  nvidiaDriver() === undefined
    ? {}
    : { skip: 'this machine has an NVIDIA driver: the GPU build computes on its GPU (bench/gpu_check.sh checks that)' };

test(
  'percept train runs through the GPU build on a machine without a GPU, on the CPU, and --device gpu refuses with the reason',
  { ...needsGpuBuild(), ...GPU_LESS, timeout: 300_000 },
  async () => {
    const root = tempDir('percept-gpu-build-');
    try {
      const synth = join(root, 'synth');
      await synthesizeFaces({ out: synth, n: 32, size: 32, seed: 3 });
      const config = join(root, 'gpu_build.json');
      const train = { batchSize: 8, epochs: 2, optimizer: { name: 'adam', lr: 0.002 } };
      writeFileSync(
        config,
        JSON.stringify({
          name: 'gpu_build',
          seed: 4,
          data: { format: 'affectnet', path: synth, imageSize: 24 },
          model: { arch: 'simple_cnn', head: { dense: [8] } },
          train,
        }),
      );
      const out = join(root, 'runs');
      mkdirSync(out);
      const percept = (args: string[], env: Record<string, string>): ReturnType<typeof spawnSync> =>
        spawnSync(process.execPath, ['src/cli/bin.mjs', ...args], {
          encoding: 'utf8',
          env: { ...process.env, ...env, FORCE_COLOR: '0' },
        });
      const trained = percept(['train', config, '--out', out, '--json'], { PERCEPT_BACKEND: 'gpu' });
      assert.equal(trained.status, 0, String(trained.stderr));
      assert.match(String(trained.stderr), /native CPU backend \(GPU build, libtensorflow 2\.16\.2/);
      const { summary, history } = readRun(join(out, 'gpu_build'));
      assert.match(summary.backend, /^native \(@tensorflow\/tfjs-node-gpu, .*libtensorflow 2\.16\.2\)/);
      assert.equal(history?.epochs.length, 2);
      assert.ok(
        history.epochs.every((epoch) => Number.isFinite(epoch.logs['loss'])),
        JSON.stringify(history),
      );
      const refused = percept(['train', config, '--out', out, '--force', '--device', 'gpu'], {});
      assert.equal(refused.status, 1);
      assert.match(
        String(refused.stderr),
        /PERCEPT_DEVICE=gpu but @tensorflow\/tfjs-node-gpu computes on the CPU: no NVIDIA driver .*Fix:/,
      );
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  },
);

test(
  "npm rebuild keeps the GPU build: its install script is percept's no-op, and the binding still loads",
  { ...needsGpuBuild(), timeout: 300_000 },
  () => {
    const manifest = JSON.parse(readFileSync(join(packageDir(projectRoot(), GPU_PACKAGE), 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    assert.equal(manifest.scripts['install'], GPU_INSTALL_SCRIPT);
    const rebuilt = spawnSync('npm', ['rebuild', GPU_PACKAGE], { cwd: projectRoot(), encoding: 'utf8' });
    assert.equal(rebuilt.status, 0, rebuilt.stderr);
    const status = probeNative(projectRoot(), GPU_PACKAGE);
    assert.deepEqual(
      { ok: status.ok, tfVersion: status.tfVersion, extension: status.extension },
      { ok: true, tfVersion: TENSORFLOW_VERSION, extension: true },
    );
  },
);
