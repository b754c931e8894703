import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { synthesizeFaces } from '../data/index.ts';
import { tempDir } from '../data/test_fixtures.ts';
import { runExperiment } from '../runs/experiment.ts';
import { readRun, type EpochRecord } from '../runs/run_files.ts';
import { needsNative, needsPython } from '../testing.ts';
import { tensorboardTag } from './tensorboard.ts';
import { readEvents } from './tensorboard_testing.ts';

const root = tempDir('percept-tensorboard-');
const synth = join(root, 'synth');
const runs = join(root, 'runs');

function tinyConfig(histograms: boolean) {
  return {
    name: 'tb',
    seed: 3,
    data: { format: 'affectnet', path: synth, imageSize: 16 },
    model: { arch: 'simple_cnn', head: { dense: [8], tasks: ['classification', 'valence_arousal'] } },
    train: {
      batchSize: 16,
      epochs: 3,
      optimizer: { name: 'adam', lr: 0.003 },
      schedule: { name: 'cosine', minLr: 0 },
      tensorboard: { histograms },
    },
  };
}

/** The run both the event-file and the server tests read: 3 epochs, with weight histograms. */
let runDir = '';

before(async () => {
  await synthesizeFaces({ out: synth, n: 48, size: 32, seed: 1 });
  if (needsPython('tensorboard').skip === undefined)
    runDir = (await runExperiment(tinyConfig(true), { out: runs })).dir;
});

after(() => rmSync(root, { recursive: true, force: true }));

/** The figures history.json holds, as TensorBoard tags per folder: tag -> [[step, value]]. */
function expectedScalars(epochs: readonly EpochRecord[]): Record<string, Record<string, [number, number][]>> {
  const out: Record<string, Record<string, [number, number][]>> = { train: {}, validation: {} };
  for (const record of epochs) {
    for (const [key, value] of Object.entries(record.logs)) {
      const { folder, tag } = tensorboardTag(key);
      (out[folder]![tag] ??= []).push([record.epoch - 1, value]);
    }
    (out['train']!['epoch_learning_rate'] ??= []).push([record.epoch - 1, record.lr]);
  }
  return out;
}

test(
  'a run`s event files, read by TensorBoard`s EventAccumulator, hold every figure and rate of history.json, and weight histograms when asked',
  needsPython('tensorboard'),
  async () => {
    const run = readRun(runDir);
    const expected = expectedScalars(run.history!.epochs);
    for (const folder of ['train', 'validation'] as const) {
      const { scalars, histograms } = readEvents(join(runDir, 'tensorboard', folder));
      assert.deepEqual(Object.keys(scalars).sort(), Object.keys(expected[folder]!).sort(), folder);
      for (const [tag, points] of Object.entries(expected[folder]!)) {
        assert.deepEqual(
          scalars[tag]!.map(([step]) => step),
          [0, 1, 2],
          `${folder}/${tag} steps`,
        );
        // Event files hold float32.
        points.forEach(([, value], i) =>
          assert.ok(Math.abs(scalars[tag]![i]![1] - value) <= 1e-6 * Math.max(1, Math.abs(value)), `${folder}/${tag}`),
        );
      }
      if (folder === 'validation') {
        assert.deepEqual(histograms, {});
        continue;
      }
      const kernel = Object.keys(histograms).find((tag) => /kernel\/histogram$/.test(tag));
      assert.ok(kernel !== undefined, `no kernel histogram among ${Object.keys(histograms).join(', ')}`);
      assert.deepEqual(
        histograms[kernel]!.map(([step]) => step),
        [0, 1, 2],
      );
    }
    // Each weight's histogram counts all its elements, the same number every epoch.
    const { histograms } = readEvents(join(runDir, 'tensorboard', 'train'));
    for (const [tag, points] of Object.entries(histograms))
      assert.ok(
        points.every(([, count]) => count === points[0]![1] && count > 0),
        tag,
      );
  },
);

test(
  'retrained in the same process, a run writes a new event file with only its own epochs',
  needsPython('tensorboard'),
  async () => {
    const first = await runExperiment(tinyConfig(false), { out: join(root, 'again') });
    const second = await runExperiment({ ...tinyConfig(false), seed: 4 }, { out: join(root, 'again'), force: true });
    assert.equal(first.dir, second.dir);
    const files = readdirSync(join(second.dir, 'tensorboard', 'train'));
    assert.equal(files.length, 1, `one event file, not ${files.join(', ')}`);
    const { scalars } = readEvents(join(second.dir, 'tensorboard', 'train'));
    const history = readRun(second.dir).history!.epochs;
    assert.deepEqual(
      scalars['epoch_loss']!.map(([step, value]) => [step, Math.fround(value)]),
      history.map((record) => [record.epoch - 1, Math.fround(record.logs['loss']!)]),
    );
  },
);

test(
  'percept tensorboard serves the runs under their names, with the numbers of history.json',
  { ...needsNative(), ...needsPython('tensorboard') },
  async () => {
    const dir = runDir;
    const child = spawn(process.execPath, ['src/cli/bin.mjs', 'tensorboard', dir, '--port', '0'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      let output = '';
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no URL in 120 s: ${output}`)), 120_000);
        const read = (chunk: Buffer): void => {
          output += chunk.toString();
          const found = /(http:\/\/localhost:\d+\/)/.exec(output);
          if (found !== null) {
            clearTimeout(timer);
            resolve(found[1]!);
          }
        };
        child.stdout.on('data', read);
        child.stderr.on('data', read);
        child.on('exit', (code) => reject(new Error(`tensorboard exited with ${code}: ${output}`)));
      });
      const served = (await (await fetch(`${url}data/runs`)).json()) as string[];
      assert.deepEqual(served.sort(), ['tb/train', 'tb/validation']);
      const points = (await (
        await fetch(`${url}data/plugin/scalars/scalars?run=tb%2Ftrain&tag=epoch_loss`)
      ).json()) as [number, number, number][];
      const history = readRun(dir).history!.epochs;
      assert.deepEqual(
        points.map(([, step, value]) => [step, Math.fround(value)]),
        history.map((record) => [record.epoch - 1, Math.fround(record.logs['loss']!)]),
      );
    } finally {
      // Ctrl-C as a kill of percept alone: it stops TensorBoard and exits.
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.on('exit', resolve));
        child.kill('SIGINT');
        await exited;
      }
    }
    const bad = spawnSync(process.execPath, ['src/cli/bin.mjs', 'tensorboard', synth], { encoding: 'utf8' });
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /synth\/tensorboard: missing, so .*synth has no TensorBoard logs\. Fix: /);
  },
);
