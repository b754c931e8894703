/**
 * bench/gpu_check.sh in its --dry-run mode, the way it is checked on a machine without a GPU: it plans every step of
 * the GPU check (setup, doctor, parity, the two bench cases, the demo), finds each one runnable here (files, bench
 * cases and demo profile exist), prints one JSON report and writes the same to --out.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../src/data/test_fixtures.ts';

interface GpuCheckReport {
  dryRun: boolean;
  machine: string;
  steps: { name: string; command: string; status: string; seconds: number }[];
}

test(
  'gpu_check.sh --dry-run plans the seven steps of the GPU check and finds each runnable',
  { timeout: 120_000 },
  () => {
    const dir = tempDir('percept-gpu-check-');
    try {
      const out = join(dir, 'gpu_check.json');
      const result = spawnSync('bash', ['bench/gpu_check.sh', '--dry-run', '--out', out], { encoding: 'utf8' });
      assert.equal(result.status, 0, result.stderr);
      const report = JSON.parse(result.stdout) as GpuCheckReport;
      assert.deepEqual(JSON.parse(readFileSync(out, 'utf8')), report);
      assert.equal(report.dryRun, true);
      assert.deepEqual(
        report.steps.map((step) => step.name),
        ['install', 'setup', 'doctor', 'parity', 'bench_resnet50', 'bench_mobilenet_v2', 'demo'],
      );
      assert.deepEqual(
        report.steps.filter((step) => step.status !== 'planned'),
        [],
      );
      assert.match(report.steps[1]!.command, /setup --gpu .*--python keras-gpu/);
      for (const step of report.steps.slice(2))
        assert.match(step.command, /--device gpu|PERCEPT_DEVICE=gpu/, step.name);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);

test('gpu_check.sh refuses an unknown option with the ones it takes', () => {
  const result = spawnSync('bash', ['bench/gpu_check.sh', '--gpu'], { encoding: 'utf8' });
  assert.equal(result.status, 1);
  assert.match(result.stderr, /unknown option --gpu \(--dry-run, --out FILE\)/);
});
