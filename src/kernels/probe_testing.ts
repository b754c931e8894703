/** Test helpers: run src/backend_parity.ts in a child process under some environment and compare two runs. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import type { ParityProbe } from '../backend_parity.ts';

/** Runs the parity probe in a fresh process (backend and kernels are chosen once per process). */
export function probeOn(env: Record<string, string>): ParityProbe {
  const script =
    "import('./src/backend_parity.ts').then((m) => process.stdout.write(JSON.stringify(m.runParityProbe())))";
  const result = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], {
    encoding: 'utf8',
    env: { ...process.env, PERCEPT_QUIET_BACKEND: '1', ...env },
  });
  assert.equal(result.status, 0, result.stderr);
  return JSON.parse(result.stdout) as ParityProbe;
}

/**
 * Largest element-wise difference relative to the tensor's largest magnitude (max-norm relative error): elements near
 * zero after batch norm's mean subtraction carry float32 round-off that an element-wise ratio would blow up.
 */
export function maxRelativeDifference(a: number[], b: number[]): number {
  assert.equal(a.length, b.length);
  const scale = Math.max(...a.map(Math.abs), ...b.map(Math.abs));
  return Math.max(...a.map((value, i) => Math.abs(value - b[i]!))) / scale;
}

/** Outputs, loss, every gradient and every moving statistic agree within 1e-4 relative, and none is degenerate. */
export function assertSameProbe(actual: ParityProbe, expected: ParityProbe, tolerance = 1e-4): void {
  assert.ok(maxRelativeDifference(actual.output, expected.output) <= tolerance, 'outputs differ');
  assert.ok(
    Math.abs(actual.loss - expected.loss) <= tolerance * Math.abs(expected.loss),
    `loss ${actual.loss} vs ${expected.loss}`,
  );
  assert.deepEqual(Object.keys(actual.gradients).sort(), Object.keys(expected.gradients).sort());
  for (const [name, gradient] of Object.entries(actual.gradients)) {
    const difference = maxRelativeDifference(gradient, expected.gradients[name]!);
    assert.ok(difference <= tolerance, `${name}: gradients differ by ${difference} relative`);
    assert.ok(
      gradient.some((value) => value !== 0),
      `${name}: gradient is all zeros`,
    );
  }
  for (const [name, values] of Object.entries(actual.movingStatistics)) {
    const difference = maxRelativeDifference(values, expected.movingStatistics[name]!);
    assert.ok(difference <= tolerance, `${name}: moving statistics differ by ${difference} relative`);
  }
}
