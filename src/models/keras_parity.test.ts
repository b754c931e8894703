/**
 * percept's architectures against keras.applications (Keras 2.12), with every reference computed in this run by
 * keras_reference.py in `.venv` (one Python start for the whole file): layer names, order, classes and parameter
 * counts (MobileNetV3 minimalistic, and every architecture with `pooling`, included); predictions of Keras's randomly
 * weighted models after loading their save_weights .h5 files; preprocess_input.
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
import { projectRoot } from '../paths.ts';
import { venvPython } from '../setup/python_env.ts';
import { architectures, buildArchitecture, countParams, preprocess, type BuildOptions } from './index.ts';
import { kerasClassName } from './summary.ts';
import { parseExperimentConfig } from '../runs/config.ts';
import { buildExperimentModel } from '../runs/experiment_model.ts';
import { loadWeights } from './weights.ts';

const run = promisify(execFile);
const python = needsPython('tensorflow');
const KERAS_ARCHITECTURES = [
  'mobilenet_v2',
  'mobilenet_v3_small',
  'mobilenet_v3_large',
  'resnet50',
  'densenet121',
  'vgg16',
] as const;

/** The build options keras_reference.py passes to Keras, under the names Keras and BuildOptions share. */
type KerasOptions = Pick<BuildOptions, 'alpha' | 'minimalistic' | 'pooling'>;

interface KerasBuild {
  name: string;
  options: KerasOptions;
  includeTop: boolean;
  input: number;
  total: number;
  trainable: number;
  nonTrainable: number;
  layers: [string, string, number][];
}

/**
 * outputs.json: input and output shapes per file stem, with the architecture and options of each output build;
 * `attributes`: the root attributes of chunked.h5.
 */
type OutputsMeta = Record<
  string,
  { arch?: string; options?: KerasOptions; input: number[]; output?: number[]; attributes?: string[] }
>;

/** The output builds keras_reference.py writes: every architecture, minimalistic MobileNetV3s (one of them pooled). */
const OUTPUT_BUILDS = [
  ...KERAS_ARCHITECTURES,
  'mobilenet_v3_small_minimalistic',
  'mobilenet_v3_large_minimalistic_max',
];

interface ListedModel {
  name: string;
  params: number;
  trainable: number;
  nonTrainable: number;
  layers: number;
}

async function perceptModels(...args: string[]): Promise<unknown> {
  const { stdout } = await run(
    process.execPath,
    [join(projectRoot(), 'src', 'cli', 'bin.mjs'), 'models', '--json', ...args],
    { maxBuffer: 16 << 20 },
  );
  return JSON.parse(stdout);
}

let out = '';
let builds: KerasBuild[] = [];
let meta: OutputsMeta = {};
/** `percept models --json` of the bases and of a minimalistic, max-pooled MobileNetV3 Large. */
let listed: [ListedModel[], ListedModel] | undefined;

before(async () => {
  if (python.skip !== undefined) return;
  out = mkdtempSync(join(tmpdir(), 'percept-keras-'));
  // The CLI processes need nothing from Python: they run while it does, on the other core.
  const [, bases, minimalistic] = await Promise.all([
    run(venvPython(), [join(projectRoot(), 'src', 'models', 'keras_reference.py'), out], {
      timeout: 600_000,
      maxBuffer: 16 << 20,
    }),
    perceptModels('--no-top', '--input', '32'),
    perceptModels('mobilenet_v3_large', '--no-top', '--minimalistic', '--pooling', 'max', '--input', '64'),
  ]);
  listed = [bases as ListedModel[], minimalistic as ListedModel];
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
  return tf.tidy(
    () =>
      model.predict(
        preprocess(
          architectures.get(arch).preprocess,
          tf.tensor4d(f32(file), shape as [number, number, number, number]),
        ),
      ) as Tensor,
  );
}

const plain = (build: KerasBuild): boolean => Object.keys(build.options).length === 0;
const sameOptions = (build: KerasBuild, options: KerasOptions): boolean =>
  JSON.stringify(build.options) === JSON.stringify(options);

test(
  'layer names, order, Keras classes and parameter counts equal keras.applications, with and without top, MobileNetV2 at two alphas, MobileNetV3 minimalistic, every architecture pooled by avg and max',
  python,
  () => {
    assert.equal(builds.length, 32);
    for (const name of KERAS_ARCHITECTURES) {
      for (const pooling of ['avg', 'max'] as const)
        assert.ok(
          builds.some((build) => build.name === name && !build.includeTop && sameOptions(build, { pooling })),
          `${name} pooling ${pooling}`,
        );
    }
    for (const name of ['mobilenet_v3_small', 'mobilenet_v3_large']) {
      for (const includeTop of [true, false])
        assert.ok(
          builds.some(
            (build) =>
              build.name === name && build.includeTop === includeTop && sameOptions(build, { minimalistic: true }),
          ),
          `${name} minimalistic`,
        );
    }
    for (const build of builds) {
      const label = `${build.name} ${JSON.stringify(build.options)} ${build.includeTop ? 'with' : 'without'} top at ${build.input}`;
      const model = architectures
        .get(build.name)
        .build({ inputSize: build.input, includeTop: build.includeTop, ...build.options });
      try {
        assert.deepEqual(
          model.layers.map((layer) => [layer.name, kerasClassName(layer), layer.countParams()]),
          build.layers,
          label,
        );
        assert.deepEqual(
          countParams(model),
          { total: build.total, trainable: build.trainable, nonTrainable: build.nonTrainable },
          label,
        );
      } finally {
        model.dispose();
      }
    }
  },
);

test("resnet18's trainable parameters with a 1000-class top equal torchvision's resnet18", () => {
  const model = architectures.get('resnet18').build({ inputSize: 32, includeTop: true });
  // torchvision.models.resnet18().parameters() sums to 11,689,512 (torchvision's model docs; BN running stats are buffers).
  assert.equal(countParams(model).trainable, 11_689_512);
  model.dispose();
});

const countsOf = (entry: ListedModel | KerasBuild): number[] =>
  'params' in entry
    ? [entry.params, entry.trainable, entry.nonTrainable, entry.layers]
    : [entry.total, entry.trainable, entry.nonTrainable, entry.layers.length];

test(
  'percept models --json --no-top [--minimalistic --pooling max] reports the counts Keras reports for include_top=False with the same options',
  python,
  () => {
    const [bases, minimalistic] = listed!;
    for (const name of KERAS_ARCHITECTURES) {
      const keras = builds.find((build) => build.name === name && !build.includeTop && plain(build))!;
      assert.deepEqual(countsOf(bases.find((entry) => entry.name === name)!), countsOf(keras), name);
    }
    const kerasMinimalistic = builds.find(
      (build) =>
        build.name === 'mobilenet_v3_large' &&
        sameOptions(build, { minimalistic: true, pooling: 'max' }) &&
        build.input === 64,
    )!;
    assert.deepEqual(countsOf(minimalistic), countsOf(kerasMinimalistic));
  },
);

test(
  "each architecture (and minimalistic MobileNetV3, one pooled) loaded with Keras's save_weights .h5 predicts what Keras predicts (max abs diff <= 1e-4)",
  python,
  async () => {
    assert.deepEqual(
      Object.keys(meta).filter((stem) => meta[stem]!.arch !== undefined),
      OUTPUT_BUILDS,
    );
    for (const stem of OUTPUT_BUILDS) {
      const { arch, options, input, output } = meta[stem]!;
      const model = buildArchitecture(arch!, { inputSize: input[1]!, includeTop: false, seed: 7, ...options });
      try {
        const expected = f32(`${stem}.output.f32`);
        const before = predictOn(model, arch!, `${stem}.input.f32`, input);
        assert.ok(
          maxAbsDiff(before, expected) > 1e-2,
          `${stem}: percept's own random weights already predict Keras's outputs`,
        );
        before.dispose();
        const report = await loadWeights(model, join(out, `${stem}.h5`));
        assert.deepEqual([report.missing, report.unexpected, report.wrongShape], [[], [], []], stem);
        assert.equal(report.loaded, model.weights.length, stem);
        const after = predictOn(model, arch!, `${stem}.input.f32`, input);
        assert.deepEqual(after.shape, output, stem);
        assert.ok(maxAbsDiff(after, expected) <= 1e-4, `${stem}: max abs diff ${maxAbsDiff(after, expected)}`);
        after.dispose();
      } finally {
        model.dispose();
      }
    }
  },
);

test("percept's preprocess equals each family's keras.applications preprocess_input on the same batch", python, () => {
  const input = tf.tensor4d(f32('preprocess.input.f32'), meta['preprocess']!.input as [number, number, number, number]);
  for (const name of KERAS_ARCHITECTURES) {
    const ours = preprocess(architectures.get(name).preprocess, input);
    assert.ok(maxAbsDiff(ours, f32(`preprocess.${name}.f32`)) <= 1e-4, name);
    ours.dispose();
  }
  input.dispose();
});

test(
  'an .h5 with chunked attributes loads with its top; a _1-suffixed notop file loads by layer and position, and misses only the top',
  python,
  async () => {
    assert.ok(meta['chunked']!.attributes!.includes('layer_names1'), 'Keras split layer_names into chunks');
    const images = meta['chunked']!.input;
    const withTop = buildArchitecture('mobilenet_v2', { inputSize: 32, includeTop: true, classes: 10, seed: 3 });
    await loadWeights(withTop, join(out, 'chunked.h5'));
    const predicted = predictOn(withTop, 'mobilenet_v2', 'chunked.input.f32', images);
    assert.ok(maxAbsDiff(predicted, f32('chunked.output.f32')) <= 1e-4);
    predicted.dispose();

    const fresh = buildArchitecture('mobilenet_v2', { inputSize: 32, includeTop: true, classes: 10, seed: 4 });
    await assert.rejects(
      loadWeights(fresh, join(out, 'suffixed_notop.h5')),
      /2 missing \(predictions\/kernel, predictions\/bias\).*strict: false/,
    );
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
  },
);

test(
  "an experiment config's model.weights FILE.h5 gives the base Keras's weights (read in a worker, as training builds synchronously)",
  python,
  () => {
    const weights = join(out, 'mobilenet_v2.h5');
    const config = parseExperimentConfig(
      {
        name: 'h5',
        data: { format: 'affectnet', path: 'x', imageSize: 64 },
        model: { arch: 'mobilenet_v2', weights, freeze: 'base' },
      },
      'h5.json',
    );
    const built = buildExperimentModel(config, { classes: 3, inputSize: 64, runsRoot: out });
    const { input, output } = meta['mobilenet_v2']!;
    const features = predictOn(built.base, 'mobilenet_v2', 'mobilenet_v2.input.f32', input);
    assert.deepEqual(features.shape, output);
    assert.ok(maxAbsDiff(features, f32('mobilenet_v2.output.f32')) <= 1e-4);
    features.dispose();
    built.model.dispose();
    const wider = parseExperimentConfig(
      {
        name: 'h5',
        data: { format: 'affectnet', path: 'x', imageSize: 64 },
        model: { arch: 'mobilenet_v2', alpha: 1.4, weights },
      },
      'h5.json',
    );
    assert.throws(
      () => buildExperimentModel(wider, { classes: 3, inputSize: 64, runsRoot: out }),
      /^UserError: model\.weights: .*with the wrong shape \(Conv1\/kernel: file \[3,3,3,32\], model \[3,3,3,48\]/,
    );
  },
);
