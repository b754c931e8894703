import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { UserError } from '../errors.ts';
import { parseExperimentConfig, readExperimentConfig, upgradeDeprecatedNames } from './config.ts';

const minimal = { name: 'a', data: { format: 'affectnet', path: 'data/synth' }, model: { arch: 'mobilenet_v2' } };

test('defaults are filled in', () => {
  const config = parseExperimentConfig(minimal, 'a.json');
  assert.equal(config.train.optimizer.name, 'adam');
  assert.equal(config.data.split.stratify, true);
  assert.deepEqual(config.model.head.tasks, ['classification']);
  assert.equal(config.train.earlyStopping, false);
});

test("a config of an earlier release, with the task called 'expression', is read as 'classification' with a deprecation line per field", () => {
  const old = {
    ...minimal,
    model: { arch: 'simple_cnn', head: { tasks: ['expression', 'valence_arousal'], lossWeights: { expression: 2 } } },
    train: {
      earlyStopping: { monitor: 'val_expression_loss' },
      schedule: { name: 'plateau', monitor: 'expression_loss' },
    },
  };
  const { deprecations } = upgradeDeprecatedNames(old, 'old.json');
  assert.deepEqual(deprecations, [
    "old.json: model.head.tasks: 'expression' is deprecated and read as 'classification'. Fix: write 'classification'",
    "old.json: model.head.lossWeights: 'expression' is deprecated and read as 'classification'. Fix: write 'classification'",
    "old.json: train.earlyStopping.monitor: 'val_expression_loss' is deprecated and read as 'val_classification_loss'. Fix: write 'val_classification_loss'",
    "old.json: train.schedule.monitor: 'expression_loss' is deprecated and read as 'classification_loss'. Fix: write 'classification_loss'",
  ]);
  const warned: string[] = [];
  const warn = console.warn;
  console.warn = (line: string) => warned.push(line);
  try {
    const config = parseExperimentConfig(old, 'old.json');
    assert.deepEqual(config.model.head.tasks, ['classification', 'valence_arousal']);
    assert.deepEqual(config.model.head.lossWeights, { classification: 2 });
    assert.equal(config.train.earlyStopping && config.train.earlyStopping.monitor, 'val_classification_loss');
  } finally {
    console.warn = warn;
  }
  assert.deepEqual(
    warned,
    deprecations.map((line) => `percept: ${line}`),
  );
  assert.deepEqual(upgradeDeprecatedNames(minimal, 'a.json'), { value: minimal, deprecations: [] });
});

test('errors name the path and what is allowed', () => {
  const bad = { ...minimal, train: { optimizer: { name: 'adagrad', lr: -1 } } };
  assert.throws(
    () => parseExperimentConfig(bad, 'a.json'),
    (error: unknown) => {
      assert.ok(error instanceof UserError);
      assert.match(error.message, /a\.json: train\.optimizer\.name: .*"adam".*"adamw"/);
      assert.match(error.message, /a\.json: train\.optimizer\.lr: .*>0/);
      return true;
    },
  );
  assert.throws(
    () => parseExperimentConfig({ ...minimal, model: { arch: 'x', fraeze: 'base' } }, 'b.json'),
    /b\.json: model: Unrecognized key: "fraeze"/,
  );
  // A monitored name percept cannot place as a loss or a registry metric is refused before training starts.
  assert.throws(
    () => parseExperimentConfig({ ...minimal, train: { earlyStopping: { monitor: 'val_lr' } } }, 'c.json'),
    /c\.json: train\.earlyStopping\.monitor: 'val_lr' is neither a loss nor a metric percept knows.*Fix: monitor val_loss/,
  );
  assert.equal(
    parseExperimentConfig({ ...minimal, train: { earlyStopping: { monitor: 'val_classification_acc' } } }, 'c.json')
      .train.earlyStopping && true,
    true,
  );
});

test('a profile overrides fields deeply; an unknown profile lists the valid ones', () => {
  const config = parseExperimentConfig(
    {
      ...minimal,
      train: { epochs: 30, batchSize: 16 },
      profiles: { quick: { data: { limit: 64 }, train: { epochs: 2 } } },
    },
    'a.json',
    'quick',
  );
  assert.equal(config.train.epochs, 2);
  assert.equal(config.train.batchSize, 16);
  assert.equal(config.data.limit, 64);
  assert.throws(() => parseExperimentConfig(minimal, 'a.json', 'quick'), /no profile 'quick'/);
});

test('every config in configs/ is valid, with and without its quick profile', () => {
  const files = readdirSync('configs').filter((file) => file.endsWith('.json'));
  assert.ok(files.length > 0);
  for (const file of files) {
    readExperimentConfig(`configs/${file}`);
    readExperimentConfig(`configs/${file}`, 'quick');
  }
});
