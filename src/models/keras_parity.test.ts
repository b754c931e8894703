/**
 * percept's architectures against keras.applications (Keras 2.12), with every reference computed in this run by
 * keras_reference.py in `.venv` (one Python start for the whole file): layer names, order, classes and parameter
 * counts; predictions of Keras's randomly weighted models after loading their save_weights .h5 files; preprocess_input.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { LayersModel, Tensor } from '@tensorflow/tfjs';
import { tf } from '../tf.ts';
import { needsPython } from '../testing.ts';
import { projectRoot } from '../setup/paths.ts';
import { venvPython } from '../setup/python_env.ts';
import { architectures, buildArchitecture, countParams, preprocess } from './index.ts';
import { kerasClassName } from './summary.ts';
import { parseExperimentConfig } from '../runs/config.ts';
import { buildExperimentModel } from '../runs/experiment_model.ts';
import { loadWeights } from './weights.ts';

const run = promisify(execFile);
const python = needsPython('tensorflow');
const KERAS_ARCHITECTURES = ['mobilenet_v2', 'mobilenet_v3_small', 'mobilenet_v3_large', 'resnet50', 'densenet121', 'vgg16'] as const;

interface KerasBuild {
  name: string;
  alpha: number | null;
  includeTop: boolean;
  input: number;
  total: number;
  trainable: number;
  nonTrainable: number;
  layers: [string, string, number][];
}

/** outputs.json: input and output shapes per file stem; `attributes`: the root attributes of chunked.h5. */
type OutputsMeta = Record<string, { input: number[]; output?: number[]; attributes?: string[] }>;

let out = '';
let builds: KerasBuild[] = [];
let meta: OutputsMeta = {};

before(async () => {
  if (python.skip !== undefined) return;
  out = mkdtempSync(join(tmpdir(), 'percept-keras-'));
  await run(venvPython(), [join(projectRoot(), 'src', 'models', 'keras_reference.py'), out], { timeout: 600_000, maxBuffer: 16 << 20 });
  builds = JSON.parse(readFileSync(join(out, 'counts.json'), 'utf8')) as KerasBuild[];
  meta = JSON.parse(readFileSync(join(out, 'outputs.json'), 'utf8')) as OutputsMeta;
});

after(() => {
  if (out !== '') rmSync(out, { recursive: true, force: true });
});

function f32(name: string): Float32Array {
  const bytes = readFileSync(join(out, name));
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

function maxAbsDiff(a: Tensor | Float32Array, b: Float32Array): number {
  const values = a instanceof Float32Array ? a : (a.dataSync() as Float32Array);
  assert.equal(values.length, b.length);
  return values.reduce((max, value, i) => Math.max(max, Math.abs(value - b[i]!)), 0);
}

/** Predicts `name`'s Keras input file with percept's own preprocessing. */
function predictOn(model: LayersModel, arch: string, file: string, shape: number[]): Tensor {
  return tf.tidy(() => model.predict(preprocess(architectures.get(arch).preprocess, tf.tensor4d(f32(file), shape as [number, number, number, number]))) as Tensor);
}

test('layer names, order, Keras classes and parameter counts equal keras.applications, with and without top, MobileNetV2 at two alphas', python, () => {
  assert.equal(builds.length, 14);
  for (const build of builds) {
    const label = `${build.name}${build.alpha === null ? '' : ` alpha ${build.alpha}`} ${build.includeTop ? 'with' : 'without'} top at ${build.input}`;
    const model = architectures.get(build.name).build({ inputSize: build.input, includeTop: build.includeTop, ...(build.alpha === null ? {} : { alpha: build.alpha }) });
    try {
      assert.deepEqual(
        model.layers.map((layer) => [layer.name, kerasClassName(layer), layer.countParams()]),
        build.layers,
        label,
      );
      assert.deepEqual(countParams(model), { total: build.total, trainable: build.trainable, nonTrainable: build.nonTrainable }, label);
    } finally {
      model.dispose();
    }
  }
});

test("resnet18's trainable parameters with a 1000-class top equal torchvision's resnet18", () => {
  const model = architectures.get('resnet18').build({ inputSize: 32, includeTop: true });
  // torchvision.models.resnet18().parameters() sums to 11,689,512 (torchvision's model docs; BN running stats are buffers).
  assert.equal(countParams(model).trainable, 11_689_512);
  model.dispose();
});

test('percept models --json --no-top reports the counts Keras reports for include_top=False', python, async () => {
  const { stdout } = await run(process.execPath, [join(projectRoot(), 'src', 'cli', 'bin.mjs'), 'models', '--json', '--no-top', '--input', '32'], { maxBuffer: 16 << 20 });
  const listed = JSON.parse(stdout) as { name: string; params: number; trainable: number; nonTrainable: number; layers: number }[];
  for (const name of KERAS_ARCHITECTURES) {
    const keras = builds.find((build) => build.name === name && !build.includeTop && (build.alpha === null || build.alpha === 1))!;
    const row = listed.find((entry) => entry.name === name)!;
    assert.deepEqual([row.params, row.trainable, row.nonTrainable, row.layers], [keras.total, keras.trainable, keras.nonTrainable, keras.layers.length], name);
  }
});

test("each architecture loaded with Keras's save_weights .h5 predicts what Keras predicts (max abs diff <= 1e-4)", python, async () => {
  for (const name of KERAS_ARCHITECTURES) {
    const { input, output } = meta[name]!;
    const model = buildArchitecture(name, { inputSize: input[1]!, includeTop: false, seed: 7 });
    try {
      const expected = f32(`${name}.output.f32`);
      const before = predictOn(model, name, `${name}.input.f32`, input);
      assert.ok(maxAbsDiff(before, expected) > 1e-2, `${name}: percept's own random weights already predict Keras's outputs`);
      before.dispose();
      const report = await loadWeights(model, join(out, `${name}.h5`));
      assert.deepEqual([report.missing, report.unexpected, report.wrongShape], [[], [], []], name);
      assert.equal(report.loaded, model.weights.length, name);
      const after = predictOn(model, name, `${name}.input.f32`, input);
      assert.deepEqual(after.shape, output, name);
      assert.ok(maxAbsDiff(after, expected) <= 1e-4, `${name}: max abs diff ${maxAbsDiff(after, expected)}`);
      after.dispose();
    } finally {
      model.dispose();
    }
  }
});

test("percept's preprocess equals each family's keras.applications preprocess_input on the same batch", python, () => {
  const input = tf.tensor4d(f32('preprocess.input.f32'), meta['preprocess']!.input as [number, number, number, number]);
  for (const name of KERAS_ARCHITECTURES) {
    const ours = preprocess(architectures.get(name).preprocess, input);
    assert.ok(maxAbsDiff(ours, f32(`preprocess.${name}.f32`)) <= 1e-4, name);
    ours.dispose();
  }
  input.dispose();
});

test('an .h5 with chunked attributes loads with its top; a _1-suffixed notop file loads by layer and position, and misses only the top', python, async () => {
  assert.ok(meta['chunked']!.attributes!.includes('layer_names1'), 'Keras split layer_names into chunks');
  const images = meta['chunked']!.input;
  const withTop = buildArchitecture('mobilenet_v2', { inputSize: 32, includeTop: true, classes: 10, seed: 3 });
  await loadWeights(withTop, join(out, 'chunked.h5'));
  const predicted = predictOn(withTop, 'mobilenet_v2', 'chunked.input.f32', images);
  assert.ok(maxAbsDiff(predicted, f32('chunked.output.f32')) <= 1e-4);
  predicted.dispose();

  const fresh = buildArchitecture('mobilenet_v2', { inputSize: 32, includeTop: true, classes: 10, seed: 4 });
  await assert.rejects(loadWeights(fresh, join(out, 'suffixed_notop.h5')), /2 missing \(predictions\/kernel, predictions\/bias\).*strict: false/);
  const partial = await loadWeights(fresh, join(out, 'suffixed_notop.h5'), { strict: false });
  assert.deepEqual(partial.missing, ['predictions/kernel', 'predictions/bias']);
  assert.equal(partial.loaded, withTop.weights.length - 2);
  const base = buildArchitecture('mobilenet_v2', { inputSize: 32, includeTop: false, seed: 5 });
  await loadWeights(base, join(out, 'suffixed_notop.h5'));
  for (const weight of base.weights) {
    const same = withTop.weights.find((candidate) => candidate.originalName === weight.originalName)!;
    assert.equal(maxAbsDiff(weight.read(), same.read().dataSync() as Float32Array), 0, weight.originalName);
  }
  for (const model of [withTop, fresh, base]) model.dispose();
});

test("an experiment config's model.weights FILE.h5 gives the base Keras's weights (read in a worker, as training builds synchronously)", python, () => {
  const weights = join(out, 'mobilenet_v2.h5');
  const config = parseExperimentConfig({ name: 'h5', data: { format: 'affectnet', path: 'x', imageSize: 64 }, model: { arch: 'mobilenet_v2', weights, freeze: 'base' } }, 'h5.json');
  const built = buildExperimentModel(config, { classes: 3, inputSize: 64, runsRoot: out });
  const { input, output } = meta['mobilenet_v2']!;
  const features = predictOn(built.base, 'mobilenet_v2', 'mobilenet_v2.input.f32', input);
  assert.deepEqual(features.shape, output);
  assert.ok(maxAbsDiff(features, f32('mobilenet_v2.output.f32')) <= 1e-4);
  features.dispose();
  built.model.dispose();
  const wider = parseExperimentConfig({ name: 'h5', data: { format: 'affectnet', path: 'x', imageSize: 64 }, model: { arch: 'mobilenet_v2', alpha: 1.4, weights } }, 'h5.json');
  assert.throws(() => buildExperimentModel(wider, { classes: 3, inputSize: 64, runsRoot: out }), /^UserError: model\.weights: .*with the wrong shape \(Conv1\/kernel: file \[3,3,3,32\], model \[3,3,3,48\]/);
});
