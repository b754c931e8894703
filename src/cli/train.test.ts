import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { synthesizeFaces } from '../data/index.ts';
import { tempDir } from '../data/test_fixtures.ts';
import { readRun } from '../runs/run_files.ts';
import { terminalProgress } from '../train/progress.ts';
import type { TrainingContext } from '../train/callbacks.ts';
import { readEvents } from '../train/tensorboard_testing.ts';
import { needsPython } from '../testing.ts';

const root = tempDir('percept-train-cli-');
const configFile = join(root, 'tiny.json');
const EPOCHS = 6;

before(async () => {
  const synth = join(root, 'synth');
  await synthesizeFaces({ out: synth, n: 48, size: 32, seed: 2 });
  const config = {
    name: 'tiny',
    seed: 5,
    data: { format: 'affectnet', path: synth, imageSize: 24, augment: { flip: true } },
    model: { arch: 'simple_cnn', head: { dense: [16], dropout: 0.3 } },
    train: {
      batchSize: 8,
      epochs: EPOCHS,
      optimizer: { name: 'adamw', lr: 0.002, weightDecay: 0.01 },
      schedule: { name: 'cosine', minLr: 0 },
    },
  };
  writeFileSync(configFile, JSON.stringify(config));
});

after(() => rmSync(root, { recursive: true, force: true }));

function train(args: string[]) {
  return spawnSync(process.execPath, ['src/cli/bin.mjs', 'train', ...args], {
    encoding: 'utf8',
    env: { ...process.env, FORCE_COLOR: '0' },
  });
}

test('killed with SIGKILL after its first checkpoint, a run resumed with --resume ends with the history of an uninterrupted run', async () => {
  const whole = train([configFile, '--out', join(root, 'whole')]);
  assert.equal(whole.status, 0, whole.stderr);
  // Not a TTY (a pipe): one progress line per epoch, no bar redrawn in place.
  const lines = whole.stdout.split('\n').filter((line) => line.startsWith('epoch '));
  assert.deepEqual(
    lines.map((line) => line.split(' ')[1]),
    Array.from({ length: EPOCHS }, (_, i) => `${i + 1}/${EPOCHS}`),
  );
  assert.ok(lines.every((line) => / loss \d/.test(line) && / val_acc \d/.test(line)));
  assert.doesNotMatch(whole.stdout, /\r|\x1b/);

  const out = join(root, 'killed');
  const child = spawn(process.execPath, ['src/cli/bin.mjs', 'train', configFile, '--out', out], { stdio: 'ignore' });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
  const latest = join(out, 'tiny', 'checkpoint', 'latest.json');
  while (!existsSync(latest) && child.exitCode === null) await new Promise((resolve) => setTimeout(resolve, 10));
  child.kill('SIGKILL');
  assert.equal(await exited, 'SIGKILL');
  assert.ok(!existsSync(join(out, 'tiny', 'summary.json')));

  const refused = train([configFile, '--out', out]);
  assert.equal(refused.status, 1);
  assert.match(refused.stderr, /unfinished run.*--resume/);

  const resumed = train([configFile, '--out', out, '--resume', '--json']);
  assert.equal(resumed.status, 0, resumed.stderr);
  const result = JSON.parse(resumed.stdout) as { resumedFrom: number };
  assert.ok(result.resumedFrom >= 1 && result.resumedFrom < EPOCHS, `resumed from ${result.resumedFrom}`);

  const expected = readRun(join(root, 'whole', 'tiny')).history!.epochs;
  const actual = readRun(join(out, 'tiny')).history!.epochs;
  assert.equal(actual.length, EPOCHS);
  actual.forEach((record, i) => {
    assert.equal(record.lr, expected[i]!.lr);
    for (const [key, value] of Object.entries(expected[i]!.logs)) {
      assert.ok(
        Math.abs(record.logs[key]! - value) <= 1e-6 * Math.max(1, Math.abs(value)),
        `epoch ${i + 1} ${key}: ${record.logs[key]} vs ${value}`,
      );
    }
  });
  // TensorBoard logs an epoch once it is checkpointed: the killed and the resumed session's files hold each epoch once.
  if (needsPython('tensorboard').skip === undefined) {
    const { scalars } = readEvents(join(out, 'tiny', 'tensorboard', 'train'));
    assert.deepEqual(
      scalars['epoch_loss']!.map(([step]) => step),
      Array.from({ length: EPOCHS }, (_, i) => i),
    );
  }
});

test('on a TTY progress is a bar redrawn in place with the ETA, and a line per finished epoch', async () => {
  let written = '';
  const stream = {
    isTTY: true,
    columns: 200,
    write: (chunk: string) => ((written += chunk), true),
  } as unknown as NodeJS.WriteStream;
  const progress = terminalProgress(stream);
  const context = { epochs: 2, batchesPerEpoch: 4, learningRate: 1e-3, stopTraining: false } as TrainingContext;
  await progress.onTrainBegin();
  await progress.onEpochBegin(0);
  await progress.onBatchEnd(0, { loss: 1.5 }, context);
  assert.match(written, /^\r\x1b\[Kepoch 1\/2 \[={6} {18}\] 1\/4 loss 1\.5000 ETA \d+s$/);
  await progress.onEpochEnd(0, { loss: 1.2, val_loss: 1.3 }, context);
  assert.match(written, /\r\x1b\[Kepoch 1\/2 loss 1\.2000 val_loss 1\.3000 \(\d+s ETA \d+s\)\n$/);
});

test('a bad config exits 1 naming the field', () => {
  const bad = join(root, 'bad.json');
  writeFileSync(
    bad,
    JSON.stringify({
      name: 'bad',
      data: { format: 'affectnet', path: root },
      model: { arch: 'simple_cnn' },
      train: { optimizer: { lr: -1 } },
    }),
  );
  const result = train([bad]);
  assert.equal(result.status, 1);
  assert.match(result.stderr, /bad\.json: train\.optimizer\.lr/);
});
