import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { explainLoadFailure, parseBackendRequest } from './tf.ts';
import { findPython } from './setup/native_backend.ts';
import type { ParityProbe } from './backend_parity.ts';
import { needsNative } from './testing.ts';
import { UserError } from './errors.ts';

const BIN = new URL('./cli/bin.mjs', import.meta.url).pathname;

function probeOn(backend: 'native' | 'js'): ParityProbe {
  const script = "import('./src/backend_parity.ts').then((m) => process.stdout.write(JSON.stringify(m.runParityProbe())))";
  const result = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], {
    encoding: 'utf8',
    env: { ...process.env, PERCEPT_BACKEND: backend, PERCEPT_QUIET_BACKEND: '1' },
  });
  assert.equal(result.status, 0, result.stderr);
  return JSON.parse(result.stdout) as ParityProbe;
}

/**
 * Largest element-wise difference relative to the tensor's largest magnitude (max-norm relative error): elements near
 * zero after batch norm's mean subtraction carry float32 round-off that an element-wise ratio would blow up.
 */
function maxRelativeDifference(a: number[], b: number[]): number {
  assert.equal(a.length, b.length);
  const scale = Math.max(...a.map(Math.abs), ...b.map(Math.abs));
  return Math.max(...a.map((value, i) => Math.abs(value - b[i]!))) / scale;
}

test('native and pure-JS backends give the same outputs and gradients (1e-4 relative)', needsNative(), () => {
  const native = probeOn('native');
  const js = probeOn('js');
  assert.equal(native.backend, 'tensorflow');
  assert.equal(js.backend, 'cpu');
  assert.ok(maxRelativeDifference(native.output, js.output) <= 1e-4, 'outputs differ');
  assert.ok(Math.abs(native.loss - js.loss) <= 1e-4 * Math.abs(js.loss));
  assert.deepEqual(Object.keys(native.gradients).sort(), ['bn/beta', 'bn/gamma', 'conv/kernel', 'dense/bias', 'dense/kernel']);
  for (const [name, gradient] of Object.entries(native.gradients)) {
    const difference = maxRelativeDifference(gradient, js.gradients[name]!);
    assert.ok(difference <= 1e-4, `${name}: gradients differ by ${difference} relative`);
    assert.ok(gradient.some((value) => value !== 0), `${name}: gradient is all zeros`);
  }
});

test('PERCEPT_BACKEND accepts auto, native, js and rejects anything else with the fix', () => {
  assert.equal(parseBackendRequest(undefined), 'auto');
  assert.equal(parseBackendRequest(' JS '), 'js');
  assert.throws(() => parseBackendRequest('cuda'), (error: unknown) => error instanceof UserError && /PERCEPT_BACKEND=cuda .* one of auto, native, js/.test(error.message));
});

test('an unknown PERCEPT_BACKEND is one line on stderr and exit 1, no stack trace', () => {
  const result = spawnSync(process.execPath, [BIN, 'doctor'], { encoding: 'utf8', env: { ...process.env, PERCEPT_BACKEND: 'bogus' } });
  assert.equal(result.status, 1);
  assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
  assert.match(result.stderr, /PERCEPT_BACKEND=bogus is not a backend\. Fix:/);
});

test('a half-built native binding is explained in one line with the fix', () => {
  const missing = new Error('The Node.js native addon module (tfjs_binding.node) can not be found at path: /x/lib/napi-v8/tfjs_binding.node. \nPlease run command ...');
  assert.equal(explainLoadFailure('@tensorflow/tfjs-node', missing), '@tensorflow/tfjs-node is installed but its native binding was never built. Fix: npx percept setup');
  const unlinked = new Error('libtensorflow_cc.so.2: cannot open shared object file: No such file or directory');
  assert.match(explainLoadFailure('@tensorflow/tfjs-node', unlinked), /cannot load libtensorflow \(libtensorflow_cc\.so\.2: cannot open shared object file.*\)\. Fix: npx percept setup --rebuild$/);
  const absent = Object.assign(new Error("Cannot find module '@tensorflow/tfjs-node-gpu'\nRequire stack:"), { code: 'MODULE_NOT_FOUND' });
  assert.equal(explainLoadFailure('@tensorflow/tfjs-node-gpu', absent), '@tensorflow/tfjs-node-gpu is not installed');
});

test('a missing Python is one line naming the cause and the fix', () => {
  const saved = process.env['PERCEPT_PYTHON'];
  process.env['PERCEPT_PYTHON'] = '/nonexistent/python3';
  try {
    assert.throws(() => findPython(), (error: unknown) => error instanceof UserError && /no Python found .*Fix: install Python 3/.test(error.message) && !error.message.includes('\n'));
  } finally {
    if (saved === undefined) delete process.env['PERCEPT_PYTHON'];
    else process.env['PERCEPT_PYTHON'] = saved;
  }
});

test('the selected backend is announced once per process', () => {
  const script = "import('./src/tf.ts').then(() => import('./src/tf.ts'))";
  const result = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], { encoding: 'utf8', env: { ...process.env, PERCEPT_BACKEND: 'js', PERCEPT_QUIET_BACKEND: '' } });
  assert.equal(result.status, 0, result.stderr);
  const lines = result.stderr.split('\n').filter((line) => line.startsWith('percept:'));
  assert.equal(lines.length, 1, result.stderr);
  assert.match(lines[0]!, /WARNING: running on pure-JS TensorFlow\.js .*10-50x slower.*Fix: npx percept setup/);
});
