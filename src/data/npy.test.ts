import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { needsPython } from '../testing.ts';
import { venvPython } from '../setup/python_env.ts';
import { encodeNpy, NpyError, parseNpy, readNpyNumber } from './npy.ts';
import { tempDir } from './test_fixtures.ts';

// Files written by real NumPy (numpy.lib.format.write_array with each version), read back by parseNpy.
const WRITER = `
import sys, numpy as np
from numpy.lib import format as f
out = sys.argv[1]
cases = {
  'v1_f8_scalar': (np.array(0.785714, dtype='<f8'), (1, 0)),
  'v1_be_f4_one': (np.array([-0.5], dtype='>f4'), (1, 0)),
  'v2_i8_scalar': (np.array(7, dtype='<i8'), (2, 0)),
  'v3_be_i2_one': (np.array([-3], dtype='>i2'), (3, 0)),
  'v1_u1_matrix': (np.arange(6, dtype='|u1').reshape(2, 3), (1, 0)),
  'v1_be_f8_vec': (np.array([1.5, -2.25, 1e10], dtype='>f8'), (1, 0)),
  'v1_i4_scalar': (np.array(-2, dtype='<i4'), (1, 0)),
  'v1_str_scalar': (np.array('0.25', dtype='<U8'), (1, 0)),
  'v3_str_one': (np.array(['1']), (3, 0)),
  'v1_bool': (np.array(True), (1, 0)),
  'v1_f2': (np.array([0.5, -2.0], dtype='<f2'), (1, 0)),
  'v1_nan': (np.array(np.nan), (1, 0)),
  'v1_object': (np.array([{'a': 1}], dtype=object), (1, 0)),
}
for name, (array, version) in cases.items():
    with open(f'{out}/{name}.npy', 'wb') as handle:
        f.write_array(handle, array, version=version, allow_pickle=True)
`;

function writeWithNumpy(): string {
  const dir = tempDir('percept-npy-');
  const result = spawnSync(venvPython(), ['-c', WRITER, dir], { encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
  return dir;
}

test(
  'parseNpy reads files written by NumPy: versions 1-3, both endians, int/float/bool/str dtypes',
  needsPython('tensorflow'),
  async () => {
    const dir = writeWithNumpy();
    const read = (name: string) => parseNpy(readFileSync(join(dir, `${name}.npy`)));
    assert.deepEqual(read('v1_f8_scalar'), { dtype: '<f8', shape: [], values: [0.785714] });
    assert.deepEqual(read('v1_be_f4_one'), { dtype: '>f4', shape: [1], values: [-0.5] });
    assert.deepEqual(read('v2_i8_scalar'), { dtype: '<i8', shape: [], values: [7] });
    assert.deepEqual(read('v3_be_i2_one'), { dtype: '>i2', shape: [1], values: [-3] });
    assert.deepEqual(read('v1_u1_matrix'), { dtype: '|u1', shape: [2, 3], values: [0, 1, 2, 3, 4, 5] });
    assert.deepEqual(read('v1_be_f8_vec').values, [1.5, -2.25, 1e10]);
    assert.deepEqual(read('v1_str_scalar'), { dtype: '<U8', shape: [], values: ['0.25'] });
    assert.deepEqual(read('v1_bool').values, [1]);
    assert.deepEqual(read('v1_f2').values, [0.5, -2]);
    assert.equal(await readNpyNumber(join(dir, 'v3_str_one.npy')), 1);
    assert.equal(await readNpyNumber(join(dir, 'v1_str_scalar.npy')), 0.25);
    assert.equal(await readNpyNumber(join(dir, 'v1_i4_scalar.npy')), -2);
    await assert.rejects(readNpyNumber(join(dir, 'v1_nan.npy')), /NaN/);
    await assert.rejects(readNpyNumber(join(dir, 'v1_be_f8_vec.npy')), /expected one value, found shape \(3\)/);
    assert.throws(() => read('v1_object'), /dtype '\|O' is unsupported/);
  },
);

test('encodeNpy writes files that NumPy loads', needsPython('tensorflow'), () => {
  const dir = tempDir('percept-npy-');
  writeFileSync(join(dir, 'a.npy'), encodeNpy([3], '<i8', []));
  writeFileSync(join(dir, 'b.npy'), encodeNpy([0.5, -1.25], '<f8', [2]));
  writeFileSync(join(dir, 'c.npy'), encodeNpy([1, 2, 3, 4, 5, 6], '<f4', [2, 3]));
  const script = `import sys, numpy as np; d = sys.argv[1]; a = np.load(d + '/a.npy'); b = np.load(d + '/b.npy'); c = np.load(d + '/c.npy'); print(a.dtype, a.shape, int(a), b.tolist(), c.shape, c.dtype, c[1, 2])`;
  const result = spawnSync(venvPython(), ['-c', script, dir], { encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
  assert.equal(result.stdout.trim(), 'int64 () 3 [0.5, -1.25] (2, 3) float32 6.0');
});

test('parseNpy explains malformed files', () => {
  assert.throws(
    () => parseNpy(Buffer.alloc(0)),
    (error) => error instanceof NpyError && /empty file/.test(error.message),
  );
  assert.throws(() => parseNpy(Buffer.from('hello world, not numpy')), /no \\x93NUMPY magic/);
  const good = encodeNpy([1, 2, 3], '<f8', [3]);
  assert.throws(() => parseNpy(good.subarray(0, good.length - 4)), /truncated/);
  assert.throws(() => parseNpy(good.subarray(0, 20)), /header is truncated/);
  const badVersion = Buffer.from(good);
  badVersion[6] = 9;
  assert.throws(() => parseNpy(badVersion), /version 9/);
  assert.deepEqual(parseNpy(good).values, [1, 2, 3]);
  assert.equal(good.length % 64, 24, 'header padded so the data starts on a 64-byte boundary');
});
