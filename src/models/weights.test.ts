/**
 * Weights from tfjs layers models and earlier runs, mismatch reports, and the refusals (Keras .h5 files are tested
 * against Keras itself in keras_parity.test.ts).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LayersModel } from '@tensorflow/tfjs';
import { tf } from '../tf.ts';
import { UserError } from '../errors.ts';
import { saveLayersModel } from './model_files.ts';
import { buildArchitecture } from './index.ts';
import { loadWeights, loadWeightsSync, resolveWeightSource } from './weights.ts';

const root = mkdtempSync(join(tmpdir(), 'percept-weights-'));
after(() => rmSync(root, { recursive: true, force: true }));

function sameWeights(a: LayersModel, b: LayersModel): boolean {
  return a.weights.every((weight, i) =>
    tf.tidy(() => tf.all(tf.equal(weight.read(), b.weights[i]!.read())).dataSync()[0] === 1),
  );
}

const cnn = (seed: number, options: { includeTop?: boolean; channels?: number } = {}) =>
  buildArchitecture('simple_cnn', {
    inputSize: 16,
    includeTop: options.includeTop ?? true,
    channels: options.channels ?? 1,
    seed,
  });

test('a tfjs layers model (folder or model.json) and run:NAME load by weight name, sync and async alike', async () => {
  const source = cnn(1);
  await saveLayersModel(source, join(root, 'runs', 'fashion', 'model'));
  for (const [path, load] of [
    [join(root, 'runs', 'fashion', 'model'), loadWeights],
    [join(root, 'runs', 'fashion', 'model', 'model.json'), loadWeightsSync],
    ['run:fashion', loadWeights],
  ] as const) {
    const target = cnn(2);
    assert.equal(sameWeights(source, target), false);
    const report = await load(target, path, { runsRoot: join(root, 'runs') });
    assert.deepEqual(
      [report.loaded, report.missing, report.unexpected, report.wrongShape],
      [source.weights.length, [], [], []],
      path,
    );
    assert.equal(report.format, path.startsWith('run:') ? 'run' : 'tfjs');
    assert.ok(sameWeights(source, target), path);
    target.dispose();
  }
  source.dispose();
});

test('mismatches are listed by kind and fail unless strict: false; a failed load writes nothing', async () => {
  const source = join(root, 'runs', 'fashion', 'model');
  const base = cnn(3, { includeTop: false });
  const before = base.weights.map((weight) => weight.read().clone());
  await assert.rejects(
    loadWeights(base, source),
    (error: unknown) =>
      error instanceof UserError &&
      /4 unexpected \(fc1\/kernel, fc1\/bias, predictions\/kernel, predictions\/bias\)\..*strict: false/.test(
        error.message,
      ),
  );
  assert.ok(
    base.weights.every((weight, i) => tf.tidy(() => tf.all(tf.equal(weight.read(), before[i]!)).dataSync()[0] === 1)),
    'nothing written',
  );
  const lenient = await loadWeights(base, source, { strict: false });
  assert.deepEqual([lenient.loaded, lenient.missing.length, lenient.unexpected.length], [base.weights.length, 0, 4]);
  assert.equal((await loadWeights(base, source, { ignoreUnexpected: true })).unexpected.length, 4);
  tf.dispose(before);

  const rgb = cnn(4, { channels: 3 });
  await assert.rejects(
    loadWeights(rgb, source),
    /1 with the wrong shape \(block1_conv1\/kernel: file \[3,3,1,32\], model \[3,3,3,32\]\)/,
  );
  const partial = await loadWeights(rgb, source, { strict: false });
  assert.deepEqual(partial.wrongShape, ['block1_conv1/kernel: file [3,3,1,32], model [3,3,3,32]']);
  assert.equal(partial.loaded, rgb.weights.length - 1);

  await saveLayersModel(base, join(root, 'notop'));
  const withTop = cnn(5);
  await assert.rejects(
    loadWeights(withTop, join(root, 'notop')),
    /4 missing \(fc1\/kernel, fc1\/bias, predictions\/kernel, predictions\/bias\)/,
  );
  const other = buildArchitecture('lstm', { inputSize: 4, includeTop: false });
  await assert.rejects(
    loadWeights(other, join(root, 'notop'), { strict: false }),
    /no weight of model 'lstm' is in it/,
  );
  for (const model of [base, rgb, withTop, other]) model.dispose();
});

test('sources resolve by form; unknown runs, missing files and non-HDF5 .h5 files are user errors naming the file', async () => {
  assert.deepEqual(resolveWeightSource('run:a', 'runs'), { format: 'run', file: join('runs', 'a', 'model') });
  assert.deepEqual(resolveWeightSource('x/base_notop.H5'), { format: 'keras-h5', file: 'x/base_notop.H5' });
  assert.deepEqual(resolveWeightSource('x/model.json'), { format: 'tfjs', file: 'x/model.json' });
  const model = cnn(6);
  await assert.rejects(
    loadWeights(model, 'run:nothing', { runsRoot: root }),
    /'run:nothing': no saved model at .*nothing\/model\. Fix: train that run first/,
  );
  await assert.rejects(loadWeights(model, join(root, 'missing.h5')), /missing\.h5: no such file/);
  writeFileSync(join(root, 'text.h5'), 'not hdf5');
  await assert.rejects(
    loadWeights(model, join(root, 'text.h5')),
    (error: unknown) => error instanceof UserError && /text\.h5: not an HDF5 file/.test(error.message),
  );
  assert.throws(
    () => loadWeightsSync(model, join(root, 'text.h5')),
    (error: unknown) => error instanceof UserError && /not an HDF5 file/.test(error.message),
  );
  // A model.json that is not tfjs's: the error names the field that is wrong and how to write the file.
  writeFileSync(
    join(root, 'model.json'),
    JSON.stringify({
      modelTopology: {},
      weightsManifest: [{ paths: ['w.bin'], weights: [{ name: 'k', shape: [2], dtype: 'float64' }] }],
    }),
  );
  assert.throws(
    () => loadWeightsSync(model, join(root, 'model.json')),
    (error: unknown) =>
      error instanceof UserError &&
      /model\.json: weightsManifest\.0\.weights\.0\.dtype: .*\nFix: give a tfjs layers model\.json/.test(error.message),
  );
  writeFileSync(join(root, 'model.json'), '{"modelTopology": ');
  assert.throws(
    () => loadWeightsSync(model, join(root, 'model.json')),
    (error: unknown) => error instanceof UserError && /model\.json: not valid JSON/.test(error.message),
  );
  model.dispose();
});
