import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { projectRoot } from '../paths.ts';
import { needsNative } from '../testing.ts';
import { ARCHITECTURES } from '../models/index.ts';
import type { DoctorReport } from './doctor.ts';

const BIN = join(projectRoot(), 'src', 'cli', 'bin.mjs');

function doctor(env: Record<string, string> = {}): DoctorReport {
  const result = spawnSync(process.execPath, [BIN, 'doctor', '--json'], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
  });
  assert.equal(result.status, 0, result.stderr);
  return JSON.parse(result.stdout) as DoctorReport;
}

test('doctor reports that every architecture trains with traced steps on the native backend', needsNative(), () => {
  const report = doctor();
  assert.equal(report.backend, 'native');
  assert.deepEqual(
    Object.keys(report.steps ?? {}),
    ARCHITECTURES.map((spec) => spec.name),
  );
  for (const [architecture, mode] of Object.entries(report.steps!)) assert.equal(mode, 'traced', architecture);
});

test('doctor on the pure-JS backend reports eager steps and why', () => {
  const report = doctor({ PERCEPT_BACKEND: 'js' });
  for (const mode of Object.values(report.steps ?? {}))
    assert.match(mode, /^eager \(the cpu backend has no TensorFlow functions\)$/);
  assert.equal(Object.keys(report.steps ?? {}).length, ARCHITECTURES.length);
});
