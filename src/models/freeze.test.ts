/**
 * Freezing: Keras's layer counting, blocks per family, trainableBlocks never splitting a block, trainableTop and
 * fromLayer warning when they do, and the config forms reaching an experiment model.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LayersModel } from '@tensorflow/tfjs';
import { UserError } from '../errors.ts';
import { parseExperimentConfig } from '../runs/config.ts';
import { buildExperimentModel } from '../runs/experiment_model.ts';
import { ARCHITECTURES, architectures } from './index.ts';
import { applyFreeze, layerBlockNames, layerBlocks, planFreeze } from './freeze.ts';

const bases = new Map<string, LayersModel>();
function base(name: string): LayersModel {
  let model = bases.get(name);
  if (model === undefined) {
    const spec = architectures.get(name);
    model = spec.build({ inputSize: spec.family === 'recurrent' ? 12 : 32, includeTop: false });
    bases.set(name, model);
  }
  return model;
}

const trainableFlags = (model: LayersModel): boolean[] => model.layers.map((layer) => layer.trainable);

test('blocks per family: the papers’ residual, inverted-residual and dense blocks, derived from layer names', () => {
  // MobileNetV2: 17 bottlenecks (Sandler et al. Table 2); V3: 11 (Small) and 15 (Large) bneck rows (Howard et al.
  // Tables 1-2); ResNet18/50: 2+2+2+2 and 3+4+6+3 blocks; DenseNet121: 6+12+24+16 conv blocks and 3 transitions.
  const expected: Record<string, number> = {
    mobilenet_v2: 17,
    mobilenet_v3_small: 11,
    mobilenet_v3_large: 15,
    resnet18: 8,
    resnet50: 16,
    densenet121: 61,
    vgg16: 5,
    simple_cnn: 2,
  };
  for (const [name, count] of Object.entries(expected)) assert.equal(layerBlocks(base(name)).length, count, name);
  const v3 = base('mobilenet_v3_small');
  const names = layerBlockNames(v3);
  // Keras's automatically named hard-swish layers inside a block belong to it; those after the last conv do not.
  assert.equal(names[v3.layers.findIndex((layer) => layer.name === 're_lu_1')], 'expanded_conv');
  assert.equal(names[v3.layers.length - 1], undefined);
  assert.deepEqual(layerBlocks(base('lstm')), []);
});

test('trainableTop counts layers as Keras does (base.layers[-N:], the input layer included) and warns only when it splits a block', () => {
  const model = base('mobilenet_v2');
  const count = model.layers.length;
  const plan = applyFreeze(model, { trainableTop: 3 });
  assert.deepEqual(
    trainableFlags(model),
    model.layers.map((_, i) => i >= count - 3),
  );
  assert.equal(plan.warning, undefined, 'Conv_1, Conv_1_bn, out_relu lie outside every block');
  const split = applyFreeze(model, { trainableTop: 5 });
  assert.match(
    split.warning ?? '',
    /trainableTop 5 cuts block 'block_16' in two: 'block_16_depthwise_relu' frozen, 'block_16_project' trainable\. Fix: trainableTop 11 \(the whole block\) or 3/,
  );
  assert.equal(applyFreeze(model, { trainableTop: 11 }).warning, undefined);
  assert.deepEqual(trainableFlags(model).filter(Boolean).length, 11);
  assert.equal(applyFreeze(model, { trainableTop: 10_000 }).firstTrainable, 0);
});

test('trainableBlocks never cuts a block in two, in any architecture, for any N', () => {
  for (const spec of ARCHITECTURES) {
    const model = base(spec.name);
    const blocks = layerBlocks(model);
    const names = layerBlockNames(model);
    for (let n = 1; n <= blocks.length; n++) {
      const { firstTrainable } = applyFreeze(model, { trainableBlocks: n });
      const flags = trainableFlags(model);
      assert.equal(flags.filter(Boolean).length, model.layers.length - firstTrainable);
      for (const block of blocks) {
        const inside = flags.slice(block.start, block.end + 1);
        assert.ok(
          inside.every((flag) => flag === inside[0]),
          `${spec.name} trainableBlocks ${n} splits ${block.name}`,
        );
      }
      // The cut falls between two blocks: the layer before the first trainable one (if any) is in another block.
      assert.ok(
        firstTrainable === 0 ||
          names[firstTrainable - 1] !== names[firstTrainable] ||
          names[firstTrainable] === undefined,
        `${spec.name} ${n}`,
      );
      assert.equal(blocks.filter((block) => flags[block.start]).length, n, `${spec.name}: ${n} blocks trainable`);
    }
  }
  assert.throws(
    () => planFreeze(base('gru'), { trainableBlocks: 1 }),
    (error: unknown) => error instanceof UserError && /has no blocks\. Fix: use trainableTop/.test(error.message),
  );
});

test("fromLayer trains from the named layer on, warns inside a block, and lists the fix for an unknown name; 'base' and 'none'", () => {
  const model = base('resnet50');
  const plan = applyFreeze(model, { fromLayer: 'conv5_block1_1_conv' });
  assert.equal(plan.warning, undefined);
  assert.equal(model.layers.find((layer) => layer.name === 'conv5_block1_1_conv')!.trainable, true);
  assert.equal(model.layers.find((layer) => layer.name === 'conv4_block6_out')!.trainable, false);
  assert.match(applyFreeze(model, { fromLayer: 'conv5_block3_2_conv' }).warning ?? '', /cuts block 'conv5_block3'/);
  assert.throws(
    () => planFreeze(model, { fromLayer: 'conv9' }),
    /fromLayer 'conv9': no such layer in 'resnet50'\. Fix: .*--summary/,
  );
  applyFreeze(model, 'base');
  assert.ok(trainableFlags(model).every((flag) => !flag));
  applyFreeze(model, 'none');
  assert.ok(trainableFlags(model).every((flag) => flag));
});

test('the experiment config takes every freeze form, and the experiment model freezes its base by it', () => {
  const config = (freeze: unknown) =>
    parseExperimentConfig(
      { name: 'f', data: { format: 'affectnet', path: 'x', imageSize: 32 }, model: { arch: 'mobilenet_v2', freeze } },
      'f.json',
    );
  const built = buildExperimentModel(config({ trainableBlocks: 2 }), { classes: 3, inputSize: 32, runsRoot: 'runs' });
  const description = built.applyFreeze(config({ trainableBlocks: 2 }).model.freeze);
  assert.equal(description, "last 2 blocks trainable (from 'block_15_expand', 20 of 154 layers)");
  assert.equal(built.base.getLayer('block_14_add').trainable, false);
  assert.equal(built.base.getLayer('block_15_expand').trainable, true);
  assert.match(built.applyFreeze(5) ?? '', /warning: trainableTop 5 cuts block 'block_16'/);
  assert.match(built.applyFreeze({ fromLayer: 'Conv_1' }) ?? '', /from 'Conv_1' on trainable \(3 of 154 layers\)/);
  built.model.dispose();
  assert.throws(() => config({ trainableBlocks: -1 }), /model\.freeze/);
  assert.throws(() => config({ fromLayer: '' }), /model\.freeze/);
  assert.throws(() => config({ trainableTop: 1, trainableBlocks: 1 }), /model\.freeze/);
});
