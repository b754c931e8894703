import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { explainLoadFailure, parseBackendRequest } from './tf.ts';
import { findPython } from './setup/native_backend.ts';
import { assertSameProbe, probeOn } from './kernels/probe_testing.ts';
import { needsNative } from './testing.ts';
import { UserError } from './errors.ts';

const BIN = new URL('./cli/bin.mjs', import.meta.url).pathname;
const SRC = new URL('.', import.meta.url).pathname;

test('src/tf.ts is the only file that loads TensorFlow.js (type-only imports are erased at run time)', () => {
  // Files that name a TensorFlow.js package without loading it into percept's process: setup probes tfjs-node in a
  // child process (a broken binding cannot abort percept) and the notebook bundle keeps the packages external.
  const allowed = new Set(['tf.ts', 'setup/native_backend.ts', 'notebook/bundle.ts']);
  const files = readdirSync(SRC, { recursive: true, encoding: 'utf8' }).filter(
    (file) => /\.(ts|mjs)$/.test(file) && !file.endsWith('.test.ts'),
  );
  const naming = files.filter((file) =>
    /'@tensorflow\//.test(readFileSync(join(SRC, file), 'utf8').replace(/^import type [^;]*;/gm, '')),
  );
  assert.deepEqual(
    naming.filter((file) => !allowed.has(file)),
    [],
  );
  assert.ok(naming.includes('tf.ts'), 'the check sees tf.ts itself');
});

test(
  'native and pure-JS backends give the same outputs, gradients and moving statistics (1e-4 relative)',
  needsNative(),
  () => {
    const native = probeOn({ PERCEPT_BACKEND: 'native' });
    const js = probeOn({ PERCEPT_BACKEND: 'js' });
    assert.equal(native.backend, 'tensorflow');
    assert.equal(js.backend, 'cpu');
    assertSameProbe(native, js);
    assert.deepEqual(Object.keys(native.gradients).sort(), [
      'bn/beta',
      'bn/gamma',
      'bn_dense/beta',
      'bn_dense/gamma',
      'conv/kernel',
      'dense/bias',
      'dense/kernel',
      'hidden/kernel',
    ]);
  },
);

test('PERCEPT_BACKEND accepts auto, native, js and rejects anything else with the fix', () => {
  assert.equal(parseBackendRequest(undefined), 'auto');
  assert.equal(parseBackendRequest(' JS '), 'js');
  assert.throws(
    () => parseBackendRequest('cuda'),
    (error: unknown) =>
      error instanceof UserError && /PERCEPT_BACKEND=cuda .* one of auto, native, gpu, js/.test(error.message),
  );
});

test('an unknown PERCEPT_BACKEND is one line on stderr and exit 1, no stack trace', () => {
  const result = spawnSync(process.execPath, [BIN, 'doctor'], {
    encoding: 'utf8',
    env: { ...process.env, PERCEPT_BACKEND: 'bogus' },
  });
  assert.equal(result.status, 1);
  assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
  assert.match(result.stderr, /PERCEPT_BACKEND=bogus is not a backend\. Fix:/);
});

test('a half-built native binding is explained in one line with the fix', () => {
  const missing = new Error(
    'The Node.js native addon module (tfjs_binding.node) can not be found at path: /x/lib/napi-v8/tfjs_binding.node. \nPlease run command ...',
  );
  assert.equal(
    explainLoadFailure('@tensorflow/tfjs-node', missing),
    '@tensorflow/tfjs-node is installed but its native binding was never built. Fix: npx percept setup',
  );
  const unlinked = new Error('libtensorflow_cc.so.2: cannot open shared object file: No such file or directory');
  assert.match(
    explainLoadFailure('@tensorflow/tfjs-node', unlinked),
    /cannot load libtensorflow \(libtensorflow_cc\.so\.2: cannot open shared object file.*\)\. Fix: npx percept setup --rebuild$/,
  );
  const absent = Object.assign(new Error("Cannot find module '@tensorflow/tfjs-node-gpu'\nRequire stack:"), {
    code: 'MODULE_NOT_FOUND',
  });
  assert.equal(
    explainLoadFailure('@tensorflow/tfjs-node-gpu', absent),
    '@tensorflow/tfjs-node-gpu is not installed. Fix: npx percept setup --gpu',
  );
});

test('a missing Python is one line naming the cause and the fix', () => {
  const saved = process.env['PERCEPT_PYTHON'];
  process.env['PERCEPT_PYTHON'] = '/nonexistent/python3';
  try {
    assert.throws(
      () => findPython(),
      (error: unknown) =>
        error instanceof UserError &&
        /no Python found .*Fix: install Python 3/.test(error.message) &&
        !error.message.includes('\n'),
    );
  } finally {
    if (saved === undefined) delete process.env['PERCEPT_PYTHON'];
    else process.env['PERCEPT_PYTHON'] = saved;
  }
});

test('the selected backend is announced once per process', () => {
  const script = "import('./src/tf.ts').then(() => import('./src/tf.ts'))";
  const result = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], {
    encoding: 'utf8',
    env: { ...process.env, PERCEPT_BACKEND: 'js', PERCEPT_QUIET_BACKEND: '' },
  });
  assert.equal(result.status, 0, result.stderr);
  const lines = result.stderr.split('\n').filter((line) => line.startsWith('percept:'));
  assert.equal(lines.length, 1, result.stderr);
  assert.match(
    lines[0]!,
    /WARNING: running on pure-JS TensorFlow\.js .*hundreds of times slower.*Fix: npx percept setup/,
  );
});
