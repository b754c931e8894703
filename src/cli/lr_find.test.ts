import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { synthesizeFaces } from '../data/index.ts';
import { tempDir } from '../data/test_fixtures.ts';
import { runExperiment } from '../runs/experiment.ts';
import { tf } from '../tf.ts';
import { findLearningRate, type LrFindResult } from '../runs/lr_find.ts';

const root = tempDir('percept-lr-find-');
const configFile = join(root, 'tiny.json');
let runDir = '';

before(async () => {
  const synth = join(root, 'synth');
  await synthesizeFaces({ out: synth, n: 64, size: 32, seed: 3 });
  const config = {
    name: 'tiny',
    seed: 1,
    data: { format: 'affectnet', path: synth, imageSize: 24 },
    model: { arch: 'simple_cnn', head: { dense: [16] } },
    train: { batchSize: 8, epochs: 1, optimizer: { name: 'adam', lr: 0.001 } },
  };
  writeFileSync(configFile, JSON.stringify(config));
  runDir = (await runExperiment(config, { out: join(root, 'runs') })).dir;
});

after(() => rmSync(root, { recursive: true, force: true }));

/** Every file under `dir` with the SHA-256 of its bytes. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (folder: string): void => {
    for (const name of readdirSync(folder)) {
      const path = join(folder, name);
      if (statSync(path).isDirectory()) walk(path);
      else out[path] = createHash('sha256').update(readFileSync(path)).digest('hex');
    }
  };
  walk(dir);
  return out;
}

function lrFind(args: string[]) {
  return spawnSync(process.execPath, ['src/cli/bin.mjs', 'lr-find', ...args], { encoding: 'utf8', timeout: 300_000 });
}

test('percept lr-find ramps the rate over the config`s batches, writes the curve and its plot, and leaves the config`s run as it was', () => {
  const before = snapshot(runDir);
  const prefix = join(root, 'out', 'tiny-lr');
  const result = lrFind([configFile, '--steps', '40', '--start', '1e-6', '--end', '10', '--out', prefix, '--json']);
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stderr, /lr-find batches \d+\/40/);
  const printed = JSON.parse(result.stdout) as { points: number; json: string; svg: string };
  const saved = JSON.parse(readFileSync(`${prefix}.json`, 'utf8')) as LrFindResult;
  assert.equal(printed.points, saved.points.length);
  assert.ok(saved.points.length >= 10 && saved.points.length <= 40, `${saved.points.length} batches`);
  // The rates are the planned exponential ramp, batch by batch.
  saved.points.forEach((point, i) => assert.ok(Math.abs(point.lr / (1e-6 * 1e7 ** (i / 39)) - 1) < 1e-9, `batch ${i}`));
  // Only the last batch, where the test stopped, may have diverged.
  assert.ok(saved.points.slice(0, -1).every((point) => Number.isFinite(point.loss)));
  if (saved.suggestions !== undefined) {
    for (const lr of Object.values(saved.suggestions)) assert.ok(lr >= 1e-6 && lr <= 10);
  } else assert.ok(saved.stoppedEarly !== undefined);
  assert.match(readFileSync(`${prefix}.svg`, 'utf8'), /^<svg[\s\S]*learning rate \(log scale\)[\s\S]*<\/svg>\s*$/);
  assert.deepEqual(snapshot(runDir), before, "the run's files are unchanged");
  assert.deepEqual(readdirSync(join(root, 'runs')), ['tiny'], 'no run folder is written');
});

test('bad input to lr-find names the value and the fix', () => {
  for (const [args, message] of [
    [[configFile, '--start', '1', '--end', '0.1'], /--start 1 must be below --end 0.1/],
    [[configFile, '--start', 'fast'], /--start 'fast' is not a positive learning rate/],
    [[configFile, '--steps', '5'], /--steps 5: the test needs at least 10 batches/],
    [[join(root, 'missing.json')], /missing\.json/],
  ] as const) {
    const result = lrFind([...args]);
    assert.equal(result.status, 1, `${args.join(' ')}: ${result.stderr}`);
    assert.match(result.stderr, message);
  }
});

test('the range test on a series config runs over its windows and leaves no tensor behind', async () => {
  const tensors = tf.memory().numTensors;
  const result = await findLearningRate(
    {
      name: 'series',
      data: { format: 'timeseries', path: 'node_modules/vega-datasets/data/co2-concentration.csv', imageSize: 8 },
      model: { arch: 'lstm', head: { tasks: ['forecast'] } },
      train: { batchSize: 16 },
    },
    { steps: 20 },
  );
  assert.ok(result.points.length >= 10, `${result.points.length} batches`);
  assert.equal(tf.memory().numTensors, tensors);
});
