/**
 * One test over the whole architecture registry (docs/ARCHITECTURE.md §6): adding an architecture adds its checks.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Tensor } from '@tensorflow/tfjs';
import { tf } from '../tf.ts';
import { UserError } from '../errors.ts';
import { ARCHITECTURES, architectures, buildArchitecture, type BuildOptions } from './index.ts';

const CLASSES = 5;

for (const spec of ARCHITECTURES) {
  const recurrent = spec.family === 'recurrent';
  // Small inputs: 32 px images (the Keras minimum of the ImageNet models), 12-step series.
  const size = recurrent ? 12 : Math.max(32, spec.minInput);
  const inputShape = recurrent ? [2, size, spec.channels] : [2, size, size, spec.channels];

  test(`${spec.name}: builds at ${size}, predicts the right shape without NaN, with and without top; same seed, same weights`, () => {
    const tensors = tf.memory().numTensors;
    const x = tf.randomUniform(inputShape, 0, recurrent ? 1 : 255, 'float32', 1);
    for (const includeTop of [true, false]) {
      const model = buildArchitecture(spec.name, { inputSize: size, includeTop, classes: CLASSES, seed: 1 });
      const y = model.predict(x) as Tensor;
      assert.equal(y.shape[0], 2);
      if (includeTop) assert.deepEqual(y.shape, [2, CLASSES]);
      else assert.equal(y.shape.length, recurrent ? 2 : 4, `${spec.name} without top: ${JSON.stringify(y.shape)}`);
      const values = y.dataSync();
      assert.ok(values.every(Number.isFinite), `${spec.name}: NaN or Infinity in its output`);
      if (includeTop && !recurrent) {
        // Softmax classifiers: every row sums to 1.
        const sums = tf.tidy(() => tf.sum(y, 1).dataSync());
        for (const sum of sums) assert.ok(Math.abs(sum - 1) < 1e-4);
      }
      y.dispose();
      if (!includeTop) {
        const again = buildArchitecture(spec.name, { inputSize: size, includeTop, seed: 1 });
        const first = model.weights[0]!.read();
        assert.deepEqual(again.weights[0]!.read().dataSync(), first.dataSync(), `${spec.name}: seeded builds differ`);
        again.dispose();
      }
      model.dispose();
    }
    x.dispose();
    assert.equal(tf.memory().numTensors, tensors, `${spec.name}: tensors left behind`);
  });
}

test('an input below the architecture minimum is a user error naming the field and the minimum', () => {
  for (const spec of ARCHITECTURES) {
    assert.throws(
      () => buildArchitecture(spec.name, { inputSize: spec.minInput - 1, includeTop: false }),
      (error: unknown) =>
        error instanceof UserError &&
        error.message.includes('model.inputSize') &&
        error.message.includes(String(spec.minInput)),
    );
  }
  assert.throws(
    () => buildArchitecture('resnet', { inputSize: 32, includeTop: false }),
    /unknown architecture 'resnet'\. Valid: .*resnet50/,
  );
});

test('zeroInitResidual zeroes γ of exactly the batch norm that ends each residual branch, and `residual` says which architectures have them', () => {
  const gammaOf = (layer: { getWeights(): Tensor[]; getClassName(): string }): number[] | undefined =>
    layer.getClassName() === 'BatchNormalization' ? [...layer.getWeights()[0]!.dataSync()] : undefined;
  for (const spec of ARCHITECTURES) {
    if (spec.family === 'recurrent') continue;
    const size = Math.max(32, spec.minInput);
    const plain = buildArchitecture(spec.name, { inputSize: size, includeTop: false, seed: 1 });
    const adds = plain.layers.filter((layer) => layer.getClassName() === 'Add');
    assert.equal(
      adds.length > 0,
      spec.residual,
      `${spec.name}: residual is ${spec.residual} but it has ${adds.length} Add layers`,
    );
    // Without the option every γ starts at 1, as in Keras.
    assert.ok(
      plain.layers.every((layer) => gammaOf(layer)?.every((g) => g === 1) ?? true),
      `${spec.name}: a γ is not 1 by default`,
    );
    plain.dispose();
    if (!spec.residual) continue;
    const zeroed = buildArchitecture(spec.name, {
      inputSize: size,
      includeTop: false,
      seed: 1,
      zeroInitResidual: true,
    });
    const branchEnds = zeroed.layers
      .filter((layer) => layer.getClassName() === 'Add')
      .map((add) => add.inboundNodes[0]!.inboundLayers.filter((input) => gammaOf(input)?.every((g) => g === 0)));
    assert.ok(
      branchEnds.every((ends) => ends.length === 1),
      `${spec.name}: an addition without exactly one zeroed branch`,
    );
    const zeroedNorms = zeroed.layers.filter((layer) => gammaOf(layer)?.every((g) => g === 0));
    assert.equal(zeroedNorms.length, branchEnds.length, `${spec.name}: a γ is zero outside the residual branch ends`);
    zeroed.dispose();
  }
});

test("every image architecture takes pooling 'avg' and 'max' without top: [N, C] outputs, the mean or max of its feature map over height and width", () => {
  const tensors = tf.memory().numTensors;
  for (const spec of architectures.all().filter((candidate) => candidate.options.includes('pooling'))) {
    const size = Math.max(32, spec.minInput);
    const x = tf.randomUniform([2, size, size, spec.channels], 0, 255, 'float32', 2);
    const base = buildArchitecture(spec.name, { inputSize: size, includeTop: false, seed: 1 });
    const features = base.predict(x) as Tensor;
    for (const pooling of ['avg', 'max'] as const) {
      const pooled = buildArchitecture(spec.name, { inputSize: size, includeTop: false, seed: 1, pooling });
      assert.equal(pooled.layers.length, base.layers.length + 1, `${spec.name} ${pooling}`);
      assert.equal(
        pooled.layers.at(-1)!.getClassName(),
        pooling === 'avg' ? 'GlobalAveragePooling2D' : 'GlobalMaxPooling2D',
      );
      const y = pooled.predict(x) as Tensor;
      assert.deepEqual(y.shape, [2, features.shape[3]], `${spec.name} ${pooling}: ${JSON.stringify(y.shape)}`);
      const expected = tf.tidy(() => (pooling === 'avg' ? tf.mean(features, [1, 2]) : tf.max(features, [1, 2])));
      const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(y, expected))).dataSync()[0]!);
      assert.ok(
        diff <=
          1e-4 *
            Math.max(
              1,
              tf.tidy(() => tf.max(tf.abs(expected)).dataSync()[0]!),
            ),
        `${spec.name} ${pooling}: differs from its feature map's ${pooling} by ${diff}`,
      );
      tf.dispose([y, expected]);
      pooled.dispose();
    }
    tf.dispose([x, features]);
    base.dispose();
  }
  assert.equal(tf.memory().numTensors, tensors, 'tensors left behind');
});

test('pooling with the top, pooling of a series model and minimalistic outside MobileNetV3 are user errors that say what applies', () => {
  const refused = (name: string, options: Partial<BuildOptions>, pattern: RegExp) =>
    assert.throws(
      () => buildArchitecture(name, { inputSize: 32, includeTop: false, ...options }),
      (error: unknown) => error instanceof UserError && pattern.test(error.message),
      `${name} ${JSON.stringify(options)}`,
    );
  refused(
    'resnet50',
    { includeTop: true, pooling: 'max' },
    /^pooling 'max': resnet50's classifier top pools on its own .*include_top=False.*Fix: build without the top/,
  );
  refused(
    'lstm',
    { inputSize: 12, pooling: 'avg' },
    /^pooling 'avg': lstm has no feature map to pool \(it applies to mobilenet_v2, .*simple_cnn\)/,
  );
  for (const spec of architectures.all()) {
    if (spec.options.includes('minimalistic')) continue;
    refused(
      spec.name,
      { inputSize: Math.max(32, spec.minInput), minimalistic: true },
      new RegExp(
        `^model\\.minimalistic: ${spec.name} has no minimalistic variant .*mobilenet_v3_small, mobilenet_v3_large\\)\\. Fix: remove it`,
      ),
    );
  }
});

test('minimalistic MobileNetV3 has no squeeze-and-excite or hard-swish and no 5x5 kernel; the standard one has all three', () => {
  for (const name of ['mobilenet_v3_small', 'mobilenet_v3_large']) {
    for (const minimalistic of [false, true]) {
      const model = buildArchitecture(name, { inputSize: 32, includeTop: true, minimalistic });
      const names = model.layers.map((layer) => layer.name);
      const kernels = model.layers
        .filter((layer) => layer.getClassName() === 'DepthwiseConv2D')
        .map((layer) => layer.getWeights()[0]!.shape[0]);
      const parts = [
        names.some((n) => n.includes('squeeze_excite')),
        names.some((n) => n.startsWith('multiply')),
        kernels.includes(5),
      ];
      assert.deepEqual(parts, [!minimalistic, !minimalistic, !minimalistic], `${name} minimalistic ${minimalistic}`);
      model.dispose();
    }
  }
});
