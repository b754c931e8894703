/**
 * `percept models` as a process: the docs/ARCHITECTURE.md §3 JSON, the Keras-style summary, and exit 1 on bad input.
 * (keras_parity.test.ts checks the numbers against Keras.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { projectRoot } from '../paths.ts';
import {
  ARCHITECTURES,
  architectures,
  buildArchitecture,
  countParams,
  type ArchitectureOption,
} from '../models/index.ts';

function percept(...args: string[]) {
  return spawnSync(process.execPath, [join(projectRoot(), 'src', 'cli', 'bin.mjs'), 'models', ...args], {
    encoding: 'utf8',
    env: { ...process.env, PERCEPT_QUIET_BACKEND: '1' },
  });
}

interface Row {
  name: string;
  input: number;
  inputShape: number[];
  includeTop: boolean;
  params: number;
  trainable: number;
  nonTrainable: number;
  layers: number;
}

test('percept models --json lists every architecture with its top (include_top=True); --no-top without it', () => {
  const withTop = percept('--json', '--input', '32');
  assert.equal(withTop.status, 0, withTop.stderr);
  const rows = JSON.parse(withTop.stdout) as Row[];
  assert.deepEqual(
    rows.map((row) => row.name),
    ARCHITECTURES.map((spec) => spec.name),
  );
  for (const row of rows) {
    assert.deepEqual(Object.keys(row).sort(), [
      'includeTop',
      'input',
      'inputShape',
      'layers',
      'name',
      'nonTrainable',
      'params',
      'trainable',
    ]);
    assert.equal(row.params, row.trainable + row.nonTrainable);
    assert.equal(row.includeTop, true);
    assert.equal(row.input, 32);
  }
  // torchvision's resnet18 with its 1000-class top: 11,689,512 parameters (BN statistics are buffers there).
  assert.equal(rows.find((row) => row.name === 'resnet18')!.trainable, 11_689_512);

  const noTop = percept('--json', '--input', '32', '--no-top');
  assert.equal(noTop.status, 0, noTop.stderr);
  const bases = JSON.parse(noTop.stdout) as Row[];
  for (const [i, base] of bases.entries()) {
    assert.equal(base.includeTop, false);
    assert.ok(base.params < rows[i]!.params && base.layers < rows[i]!.layers, base.name);
  }
  const text = percept('vgg16', '--input', '32', '--no-top');
  assert.equal(text.status, 0, text.stderr);
  const vgg = bases.find((base) => base.name === 'vgg16')!;
  const grouped = (n: number) => n.toLocaleString('en-US');
  assert.match(
    text.stdout,
    new RegExp(
      `^name\\s+input\\s+params\\s+trainable\\s+non-trainable\\s+layers\\nvgg16\\s+32x32x3\\s+${grouped(vgg.params)}\\s+${grouped(vgg.trainable)}\\s+0\\s+19\\n$`,
    ),
  );
});

test('percept models NAME --alpha --classes --json is one object, counted as the same build in-process', () => {
  const result = percept('mobilenet_v2', '--alpha', '0.35', '--classes', '10', '--input', '96', '--json');
  assert.equal(result.status, 0, result.stderr);
  const row = JSON.parse(result.stdout) as Row & { alpha: number };
  const model = buildArchitecture('mobilenet_v2', { inputSize: 96, includeTop: true, classes: 10, alpha: 0.35 });
  const counts = countParams(model);
  assert.deepEqual(
    [row.alpha, row.params, row.trainable, row.nonTrainable, row.layers],
    [0.35, counts.total, counts.trainable, counts.nonTrainable, model.layers.length],
  );
  model.dispose();
});

test('percept models NAME --summary prints a Keras-style table with trainable flags and totals; --json gives its rows', () => {
  const text = percept('mobilenet_v3_small', '--summary', '--input', '64', '--no-top');
  assert.equal(text.status, 0, text.stderr);
  assert.match(
    text.stdout,
    /^Model: "MobilenetV3small"\n_+\nLayer \(type\)\s+Output Shape\s+Param #\s+Trainable\n=+\n/,
  );
  assert.match(text.stdout, /\nConv \(Conv2D\)\s+\(None, 32, 32, 16\)\s+432\s+Y\n/);
  assert.match(text.stdout, /\ntf\.__operators__\.add \(TFOpLambda\)\s+\(None, 32, 32, 16\)\s+0\s+Y\n/);
  const json = percept('mobilenet_v3_small', '--summary', '--input', '64', '--no-top', '--json');
  assert.equal(json.status, 0, json.stderr);
  const summary = JSON.parse(json.stdout) as Row & {
    summary: { name: string; type: string; outputShape: string; params: number; trainable: boolean }[];
  };
  assert.equal(summary.summary.length, summary.layers);
  assert.equal(
    summary.summary.reduce((sum, row) => sum + row.params, 0),
    summary.params,
  );
  assert.deepEqual(summary.summary[2], {
    name: 'Conv',
    type: 'Conv2D',
    outputShape: '(None, 32, 32, 16)',
    params: 432,
    trainable: true,
  });
  // The layer rows lie between the two '=' rules.
  const rows = text.stdout.split(/\n=+\n/)[1]!.split('\n');
  assert.equal(rows.length, summary.layers);
  assert.match(
    text.stdout,
    new RegExp(
      `\\nTotal params: ${summary.params.toLocaleString('en-US')}\\nTrainable params: ${summary.trainable.toLocaleString('en-US')}\\nNon-trainable params: ${summary.nonTrainable.toLocaleString('en-US')}\\n`,
    ),
  );
});

test('bad input exits 1 with the fix: unknown name, --summary without NAME, --alpha on a ResNet, bad or too small --input', () => {
  const unknown = percept('resnet');
  assert.equal(unknown.status, 1);
  assert.match(unknown.stderr, /unknown architecture 'resnet'\. Valid: mobilenet_v2, .*resnet50/);
  const summary = percept('--summary');
  assert.equal(summary.status, 1);
  assert.match(summary.stderr, /--summary needs an architecture NAME/);
  const alpha = percept('resnet50', '--alpha', '0.5');
  assert.equal(alpha.status, 1);
  assert.match(alpha.stderr, /--alpha is a MobileNet width multiplier; resnet50 has none/);
  const input = percept('--input', 'big');
  assert.equal(input.status, 1);
  assert.match(input.stderr, /--input 'big' is not a positive integer/);
  const small = percept('mobilenet_v2', '--input', '16');
  assert.equal(small.status, 1);
  assert.match(small.stderr, /model\.inputSize 16: mobilenet_v2 needs an integer input of at least 32 px/);
});

test('percept models --no-top --pooling --minimalistic applies each where the architecture takes it, and says so in --json', () => {
  const plain = JSON.parse(percept('--json', '--input', '32', '--no-top').stdout) as Row[];
  const result = percept('--json', '--input', '32', '--no-top', '--pooling', 'avg', '--minimalistic');
  assert.equal(result.status, 0, result.stderr);
  const rows = JSON.parse(result.stdout) as (Row & { pooling?: string; minimalistic?: boolean })[];
  for (const [i, row] of rows.entries()) {
    const spec = architectures.all()[i]!;
    const takes = (option: ArchitectureOption) => spec.options.includes(option);
    assert.deepEqual(
      [row.name, row.pooling, row.minimalistic],
      [spec.name, takes('pooling') ? 'avg' : undefined, takes('minimalistic') ? true : undefined],
    );
    // One global pooling layer more where pooled; minimalistic drops squeeze-excite and hard-swish layers.
    if (!takes('minimalistic')) assert.equal(row.layers, plain[i]!.layers + (takes('pooling') ? 1 : 0), row.name);
    else assert.ok(row.params < plain[i]!.params, row.name);
  }
});

test('--pooling without --no-top or with a bad value, on a series model, and --minimalistic on a ResNet exit 1 with the fix', () => {
  const cases: [string[], RegExp][] = [
    [['--pooling', 'max'], /--pooling pools a base without its top .*Fix: add --no-top/],
    [['--no-top', '--pooling', 'min'], /--pooling 'min' is not avg or max/],
    [['lstm', '--no-top', '--pooling', 'avg'], /--pooling: lstm has no feature map to pool\. Fix: remove --pooling/],
    [
      ['resnet50', '--minimalistic'],
      /--minimalistic is MobileNetV3's variant; resnet50 has none\. Fix: .*mobilenet_v3_small, mobilenet_v3_large/,
    ],
  ];
  for (const [args, pattern] of cases) {
    const result = percept(...args);
    assert.equal(result.status, 1, args.join(' '));
    assert.match(result.stderr, pattern, args.join(' '));
  }
});
