import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { UserError } from '../errors.ts';
import { parseExperimentConfig, readExperimentConfig } from './config.ts';

const minimal = { name: 'a', data: { format: 'affectnet', path: 'data/synth' }, model: { arch: 'mobilenet_v2' } };

test('defaults are filled in', () => {
  const config = parseExperimentConfig(minimal, 'a.json');
  assert.equal(config.train.optimizer.name, 'adam');
  assert.equal(config.data.split.stratify, true);
  assert.deepEqual(config.model.head.tasks, ['expression']);
  assert.equal(config.train.earlyStopping, false);
});

test('errors name the path and what is allowed', () => {
  const bad = { ...minimal, train: { optimizer: { name: 'adagrad', lr: -1 } } };
  assert.throws(() => parseExperimentConfig(bad, 'a.json'), (error: unknown) => {
    assert.ok(error instanceof UserError);
    assert.match(error.message, /a\.json: train\.optimizer\.name: .*"adam".*"adamw"/);
    assert.match(error.message, /a\.json: train\.optimizer\.lr: .*>0/);
    return true;
  });
  assert.throws(() => parseExperimentConfig({ ...minimal, model: { arch: 'x', fraeze: 'base' } }, 'b.json'), /b\.json: model: Unrecognized key: "fraeze"/);
});

test('a profile overrides fields deeply; an unknown profile lists the valid ones', () => {
  const config = parseExperimentConfig({ ...minimal, train: { epochs: 30, batchSize: 16 }, profiles: { quick: { data: { limit: 64 }, train: { epochs: 2 } } } }, 'a.json', 'quick');
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
