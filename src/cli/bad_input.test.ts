/**
 * Bad data and wrong numbers, as a user meets them: `percept train` and `percept metrics` run as processes on
 * broken datasets, configs and prediction files. Each case is a user error (exit 1, a message naming the file or
 * field and the fix, no stack trace) or a correct figure.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { synthesizeFaces } from '../data/index.ts';
import { tempDir, writeImage, writeTruncatedJpeg } from '../data/test_fixtures.ts';
import { projectRoot } from '../paths.ts';
import type { SplitMetrics } from '../metrics/evaluate.ts';

const root = tempDir('percept-bad-input-');
const runs = join(root, 'runs');

after(() => rmSync(root, { recursive: true, force: true }));

function percept(...args: string[]) {
  return spawnSync(process.execPath, [join(projectRoot(), 'src', 'cli', 'bin.mjs'), ...args], {
    encoding: 'utf8',
    env: { ...process.env, PERCEPT_QUIET_BACKEND: '1', FORCE_COLOR: '0' },
  });
}

/** A user error: exit 1, the message on stderr, no internal error or stack trace. */
function assertUserError(result: ReturnType<typeof percept>, pattern: RegExp): void {
  assert.equal(result.status, 1, `exit ${result.status}\n${result.stderr}`);
  assert.doesNotMatch(result.stderr, /internal error|\n\s+at /);
  assert.match(result.stderr, pattern);
}

/** Writes a config for a tiny simple_cnn run on `data` and returns its path. */
function config(name: string, data: Record<string, unknown>): string {
  const file = join(root, `${name}.json`);
  const raw = {
    name,
    seed: 1,
    data: { imageSize: 16, ...data },
    model: { arch: 'simple_cnn', head: { dense: [8] } },
    train: { batchSize: 8, epochs: 1 },
  };
  writeFileSync(file, JSON.stringify(raw));
  return file;
}

function train(configFile: string) {
  return percept('train', configFile, '--out', runs);
}

/** `DIR/<class>/<i>.jpg` for each class, as real images or as text named .jpg. */
async function imageFolder(
  dir: string,
  classes: readonly string[],
  perClass: number,
  kind: 'image' | 'text',
): Promise<void> {
  for (const name of classes) {
    for (let i = 0; i < perClass; i++) {
      const file = join(dir, name, `${i}.jpg`);
      if (kind === 'image') await writeImage(file, { rgb: [40 * i, 100, name.length * 20] });
      else {
        mkdirSync(join(dir, name), { recursive: true });
        writeFileSync(file, `not a JPEG, only text ${i}\n`);
      }
    }
  }
}

test('a folder of text files named .jpg: train refuses it, naming the path, the count skipped and the first reasons', async () => {
  const dir = join(root, 'text-jpegs');
  await imageFolder(dir, ['cat', 'dog'], 6, 'text');
  const result = train(config('text_jpegs', { format: 'imagefolder', path: dir }));
  assertUserError(
    result,
    new RegExp(
      `${dir}: no usable item as imagefolder .*none of its 12 image\\(s\\) decodes, 12 skipped: ${join(dir, 'cat', '0.jpg')}: unreadable image: .*\\(and 9 more\\)`,
    ),
  );
  assert.match(result.stderr, /Fix: replace or remove the broken files \(percept data inspect/);
});

test('a pre-split folder whose train images all fail to decode: train refuses it before training', async () => {
  const dir = join(root, 'broken-train');
  await imageFolder(join(dir, 'train'), ['cat', 'dog'], 4, 'text');
  await imageFolder(join(dir, 'test'), ['cat', 'dog'], 2, 'image');
  const result = train(config('broken_train', { format: 'imagefolder', path: dir }));
  assertUserError(
    result,
    new RegExp(
      `${dir}: the train split is empty \\(4 usable items, 8 skipped: train 0, val 0, test 4\\); skipped: ${join(dir, 'train', 'cat', '0.jpg')}: unreadable image: .*\\(and 6 more\\)\\. Fix: replace the unreadable files`,
    ),
  );
});

test("a dataset with one class: a user error naming the path and the class, not oneHot's internal error", async () => {
  const dir = join(root, 'one-class');
  await imageFolder(dir, ['cat'], 6, 'image');
  const result = train(config('one_class', { format: 'imagefolder', path: dir }));
  assertUserError(result, new RegExp(`${dir}: only one class found \\('cat', all 6 usable items\\).*Fix:`));
});

test('split fractions that do not sum to 1 are refused by the config schema, naming data.split and the sum', () => {
  const result = train(
    config('split_sum', { format: 'imagefolder', path: root, split: { train: 0.9, val: 0.5, test: 0.1 } }),
  );
  assertUserError(result, /split_sum\.json: data\.split: train 0\.9 \+ val 0\.5 \+ test 0\.1 = 1\.5, not 1/);
});

test('an empty test split is refused before training, naming data.split.test; test: 0 opts out and trains without test metrics', async () => {
  const dir = join(root, 'tiny');
  await imageFolder(dir, ['cat', 'dog'], 2, 'image');
  const split = { train: 0.7, val: 0.2, test: 0.1, stratify: false };
  const empty = train(config('tiny_test', { format: 'imagefolder', path: dir, split }));
  assertUserError(
    empty,
    new RegExp(
      `${dir}: data\\.split\\.test = 0\\.1 gives no test item \\(4 usable items: train 3, val 1, test 0\\)\\. Fix: .*set data\\.split\\.test to 0`,
    ),
  );
  const optOut = train(
    config('tiny_no_test', { format: 'imagefolder', path: dir, split: { ...split, train: 0.8, test: 0 } }),
  );
  assert.equal(optOut.status, 0, optOut.stderr);
  const metrics = JSON.parse(readFileSync(join(runs, 'tiny_no_test', 'metrics.json'), 'utf8')) as Record<
    string,
    unknown
  >;
  assert.deepEqual(Object.keys(metrics), ['val']);
});

test('split counts leave out images that fail to decode; a corrupt problems.json of a finished run means a retrain, said so', async () => {
  const synth = join(root, 'synth');
  await synthesizeFaces({ out: synth, n: 48, size: 24, seed: 4 });
  for (const id of ['0', '1', '2']) await writeTruncatedJpeg(join(synth, 'images', `${id}.jpg`));
  const file = config('corrupt_images', { format: 'affectnet', path: synth });
  const first = train(file);
  assert.equal(first.status, 0, first.stderr);
  assert.match(first.stdout, /skipped 3 item\(s\)/);
  const dir = join(runs, 'corrupt_images');
  const split = JSON.parse(readFileSync(join(dir, 'split.json'), 'utf8')) as {
    splits: Record<string, { count: number; classes: Record<string, number> }>;
  };
  const counts = Object.values(split.splits);
  assert.equal(
    counts.reduce((sum, s) => sum + s.count, 0),
    45,
  );
  for (const s of counts)
    assert.equal(
      Object.values(s.classes).reduce((a, b) => a + b, 0),
      s.count,
    );
  const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as { skipped: unknown[] };
  assert.equal(summary.skipped.length, 3);
  const predictions = readFileSync(join(dir, 'predictions.jsonl'), 'utf8').trim().split('\n');
  assert.equal(predictions.length, split.splits['val']!.count + split.splits['test']!.count);

  writeFileSync(join(dir, 'problems.json'), '{"count": 3, "items": [');
  const retrained = train(file);
  assert.equal(retrained.status, 0, retrained.stderr);
  assert.match(
    retrained.stderr,
    /problems\.json: unreadable \(.*JSON.*\); retraining instead of reusing the finished run/,
  );
  assert.match(retrained.stdout, /^finished /m);
  const reused = train(file);
  assert.equal(reused.status, 0, reused.stderr);
  assert.match(reused.stdout, /^reused .*\n.*\n {2}skipped 3 item\(s\)/m);
});

/** A predictions file for `percept metrics`, one JSON object per line. */
function predictions(name: string, lines: readonly object[]): string {
  const file = join(root, name);
  writeFileSync(file, lines.map((line) => JSON.stringify(line)).join('\n') + '\n');
  return file;
}

const probs = (k: number): number[] => Array.from({ length: 8 }, (_, i) => (i === k ? 0.65 : 0.05));
const scored = Array.from({ length: 6 }, (_, i) => ({ true: i, pred: i, probs: probs(i) }));

test('percept metrics: a label outside the 8 probability columns is an error naming the file and line', () => {
  const file = predictions('outside.jsonl', [...scored, { true: 99, pred: 3, probs: probs(3) }]);
  assertUserError(
    percept('metrics', file),
    new RegExp(`${file}:7: true 99 is outside the 8 classes that probs scores \\(0\\.\\.7\\)`),
  );
});

test('percept metrics: a class name among class indices is an error naming the file and line', () => {
  const file = predictions('mixed.jsonl', [...scored, { true: 'Happy', pred: 1, probs: probs(1) }]);
  assertUserError(
    percept('metrics', file),
    new RegExp(`${file}:7: true "Happy" is a class name, but ${file}:1 gives class indices`),
  );
});

test('percept metrics --classes that lists too few classes is a user error naming --classes and the label', () => {
  const file = predictions(
    'classes.jsonl',
    Array.from({ length: 8 }, (_, i) => ({ true: i, pred: (i + 1) % 8 })),
  );
  assertUserError(
    percept('metrics', file, '--classes', 'A,B'),
    new RegExp(`--classes lists 2 classes \\(A, B\\), but ${file}:2 has pred 2`),
  );
  const fine = percept('metrics', file, '--classes', 'A,B,C,D,E,F,G,H', '--json', '--resamples', '20');
  assert.equal(fine.status, 0, fine.stderr);
  assert.deepEqual((JSON.parse(fine.stdout) as SplitMetrics).classification!.confusion_matrix.labels, [
    'A',
    'B',
    'C',
    'D',
    'E',
    'F',
    'G',
    'H',
  ]);
});

test('percept metrics: the correlation of a constant series is n/a (null in JSON) for valence and arousal alike', () => {
  const truth = [0.2, -0.4, 0.6, 0.1, 0.5, -0.1, 0.3, 0, 0.9, -0.7];
  // Constant valence on both sides (float means miss 0.1 and 0.7), constant predicted arousal.
  const file = predictions(
    'constant.jsonl',
    truth.map((arousal) => ({ valence: 0.1, predValence: 0.7, arousal, predArousal: 0.1 })),
  );
  const json = percept('metrics', file, '--json', '--resamples', '50');
  assert.equal(json.status, 0, json.stderr);
  const metrics = JSON.parse(json.stdout) as Record<
    'valence' | 'arousal',
    Record<string, { value: number | null; ci: (number | null)[] }>
  >;
  for (const task of ['valence', 'arousal'] as const)
    assert.deepEqual(metrics[task]['corr'], { value: null, ci: [null, null] }, task);
  assert.equal(metrics.arousal['ccc']!.value, 0);
  const text = percept('metrics', file, '--resamples', '50');
  assert.equal(text.status, 0, text.stderr);
  assert.equal(text.stdout.match(/ {2}corr +n\/a {2}\[n\/a, n\/a\]/g)?.length, 2, text.stdout);
});
