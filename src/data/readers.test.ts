import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { UserError } from '../errors.ts';
import { detectFormat } from './detect.ts';
import { FASHION_MNIST_DIR } from './idx.ts';
import { openDataset } from './open.ts';
import { encodeNpy } from './npy.ts';
import { tempDir, writeAffectNetItem, writeIdx, writeImage } from './test_fixtures.ts';

const reasons = (root: string, problems: { file: string; reason: string }[]) =>
  problems.map((problem) => `${relative(root, problem.file)}: ${problem.reason}`).sort();

test('affectnet: good items read, every kind of bad annotation skipped with its reason', async () => {
  const root = tempDir();
  await writeAffectNetItem(root, '0', 1, 0.5, 0.25);
  await writeAffectNetItem(root, '1', 7, -2, -2); // uncertain valence/arousal: kept
  await writeAffectNetItem(root, '2', 8); // 'None' in the full release: out of range
  await writeAffectNetItem(root, '3', null); // missing _exp
  await writeAffectNetItem(root, '4', 2, Number.NaN);
  await writeAffectNetItem(root, '5', 3, 1.5);
  await writeAffectNetItem(root, '6', 1);
  writeFileSync(join(root, 'annotations', '6_exp.npy'), 'garbage');
  await writeAffectNetItem(root, '7', 1);
  writeFileSync(join(root, 'annotations', '7_exp.npy'), encodeNpy([1.5], '<f8', []));
  await writeImage(join(root, 'images', '0.png'), { png: true }); // same id as 0.jpg
  writeFileSync(join(root, 'images', '9.jpg'), ''); // zero bytes
  writeFileSync(join(root, 'annotations', '42_exp.npy'), encodeNpy([1], '<i8', []));
  assert.equal(detectFormat(root), 'affectnet');
  const dataset = await openDataset(root);
  assert.equal(dataset.format, 'affectnet');
  assert.equal(dataset.presplit, false);
  assert.deepEqual(dataset.classes, ['Neutral', 'Happy', 'Sad', 'Surprise', 'Fear', 'Disgust', 'Anger', 'Contempt']);
  assert.deepEqual(
    dataset.items.map(({ id, label, valence, arousal }) => ({ id, label, valence, arousal })),
    [
      { id: '0', label: 1, valence: 0.5, arousal: 0.25 },
      { id: '1', label: 7, valence: -2, arousal: -2 },
    ],
  );
  assert.deepEqual(reasons(root, dataset.problems), [
    'annotations/42_exp.npy: annotation without image 42.(jpg|png)',
    'images/0.png: duplicate id 0',
    'images/2.jpg: label 8 out of range 0..7 (Neutral, Happy, Sad, Surprise, Fear, Disgust, Anger, Contempt)',
    'images/3.jpg: missing annotation 3_exp.npy',
    'images/4.jpg: malformed annotation 4_val.npy: value is NaN',
    'images/5.jpg: valence 1.5 out of range [-1, 1] (or -2 for uncertain)',
    'images/6.jpg: malformed annotation 6_exp.npy: not a .npy file (no \\x93NUMPY magic)',
    'images/7.jpg: label 1.5 out of range 0..7 (Neutral, Happy, Sad, Surprise, Fear, Disgust, Anger, Contempt)',
    'images/9.jpg: zero-byte image',
  ]);
});

test('affectnet pre-split folders (train_set/val_set) keep their split', async () => {
  const root = tempDir();
  await writeAffectNetItem(join(root, 'train_set'), '0', 0);
  await writeAffectNetItem(join(root, 'train_set'), '1', 1);
  await writeAffectNetItem(join(root, 'val_set'), '0', 2);
  const dataset = await openDataset(root);
  assert.equal(dataset.presplit, true);
  assert.deepEqual(
    dataset.items.map((item) => [item.id, item.split, item.label]),
    [
      ['train/0', 'train', 0],
      ['train/1', 'train', 1],
      ['val/0', 'val', 2],
    ],
  );
});

test('imagefolder: flat and pre-split, classes sorted, empty class folder reported', async () => {
  const flat = tempDir();
  await writeImage(join(flat, 'dog', 'a.jpg'));
  await writeImage(join(flat, 'cat', 'b.png'), { png: true });
  await writeImage(join(flat, 'cat', 'a.jpg'));
  mkdirSync(join(flat, 'bird'));
  writeFileSync(join(flat, 'cat', 'notes.txt'), 'not an image');
  assert.equal(detectFormat(flat), 'imagefolder');
  const dataset = await openDataset(flat);
  assert.deepEqual(dataset.classes, ['cat', 'dog']);
  assert.deepEqual(
    dataset.items.map((item) => [item.id, item.label]),
    [
      ['cat/a.jpg', 0],
      ['cat/b.png', 0],
      ['dog/a.jpg', 1],
    ],
  );
  assert.deepEqual(reasons(flat, dataset.problems), ['bird: empty class folder (no .jpg/.jpeg/.png/.webp file)']);

  const split = tempDir();
  await writeImage(join(split, 'train', 'cat', '1.jpg'));
  await writeImage(join(split, 'train', 'dog', '2.jpg'));
  await writeImage(join(split, 'test', 'dog', '3.jpg'));
  const presplit = await openDataset(split);
  assert.equal(presplit.presplit, true);
  assert.deepEqual(
    presplit.items.map((item) => [item.id, item.split, item.label]),
    [
      ['train/cat/1.jpg', 'train', 0],
      ['train/dog/2.jpg', 'train', 1],
      ['test/dog/3.jpg', 'test', 1],
    ],
  );
});

test('csv manifest: names or integer labels, optional valence/arousal, bad rows reported', async () => {
  const root = tempDir();
  await writeImage(join(root, 'img', 'a.jpg'));
  await writeImage(join(root, 'img', 'b.jpg'));
  await writeImage(join(root, 'img', 'c.jpg'));
  writeFileSync(join(root, 'img', 'zero.jpg'), '');
  const file = join(root, 'manifest.csv');
  writeFileSync(
    file,
    [
      'path,label,valence,arousal',
      'img/a.jpg,happy,0.5,0.1',
      '"img/b.jpg",sad,-2,-0.3',
      'img/a.jpg,happy,0.5,0.1',
      'img/missing.jpg,sad,,',
      'img/zero.jpg,sad,,',
      'img/c.jpg,sad,abc,0',
      '',
    ].join('\n'),
  );
  assert.equal(detectFormat(file), 'csv');
  const dataset = await openDataset(file);
  assert.deepEqual(dataset.classes, ['happy', 'sad']);
  assert.deepEqual(
    dataset.items.map(({ id, label, valence, arousal }) => ({ id, label, valence, arousal })),
    [
      { id: 'img/a.jpg', label: 0, valence: 0.5, arousal: 0.1 },
      { id: 'img/b.jpg', label: 1, valence: -2, arousal: -0.3 },
    ],
  );
  assert.deepEqual(reasons(root, dataset.problems), [
    'img/missing.jpg: missing image (listed at line 5)',
    'img/zero.jpg: zero-byte image',
    'manifest.csv:4: duplicate id img/a.jpg',
    "manifest.csv:7: valence 'abc' is not a number",
  ]);
  writeFileSync(file, 'file,class\na.jpg,1\n');
  assert.equal(detectFormat(file), 'timeseries');
  await assert.rejects(
    openDataset(file, { format: 'csv' }),
    (error) => error instanceof UserError && /lacks a path and a label column/.test(error.message),
  );
});

test('idx: gzipped or not, labels checked, split from the file name', async () => {
  const root = tempDir();
  const pixels = Uint8Array.from({ length: 3 * 4 * 4 }, (_, i) => i);
  writeIdx(join(root, 'train-images-idx3-ubyte.gz'), [3, 4, 4], pixels);
  writeIdx(join(root, 'train-labels-idx1-ubyte.gz'), [3], Uint8Array.of(2, 0, 1));
  writeIdx(join(root, 't10k-images-idx3-ubyte'), [1, 4, 4], pixels.subarray(0, 16));
  writeIdx(join(root, 't10k-labels-idx1-ubyte'), [2], Uint8Array.of(1, 1));
  assert.equal(detectFormat(root), 'idx');
  const dataset = await openDataset(root);
  assert.equal(dataset.presplit, true);
  assert.deepEqual(dataset.classes, ['0', '1', '2']);
  assert.deepEqual(
    dataset.items.map((item) => [item.id, item.label, item.index]),
    [
      ['test/0', 1, 0],
      ['train/0', 2, 0],
      ['train/1', 0, 1],
      ['train/2', 1, 2],
    ],
  );
  assert.deepEqual(reasons(root, dataset.problems), [
    't10k-labels-idx1-ubyte: 2 labels for 1 images: the extra ones are skipped',
  ]);
});

test('idx: Fashion-MNIST from Debian keeps its official 60,000/10,000 split and class names', async () => {
  const dataset = await openDataset(FASHION_MNIST_DIR);
  assert.equal(dataset.items.length, 70000);
  assert.equal(dataset.items.filter((item) => item.split === 'test').length, 10000);
  assert.equal(dataset.classes.length, 10);
  assert.equal(dataset.classes[9], 'Ankle boot');
});

test('no usable item is a UserError naming the path and the layout expected', async () => {
  const root = tempDir();
  mkdirSync(join(root, 'images'));
  mkdirSync(join(root, 'annotations'));
  writeFileSync(join(root, 'images', '1.jpg'), '');
  await assert.rejects(
    openDataset(root),
    (error) =>
      error instanceof UserError &&
      error.message.startsWith(`${root}: no usable item as affectnet`) &&
      /_exp\.npy/.test(error.message) &&
      /zero-byte/.test(error.message),
  );
  await assert.rejects(
    openDataset(join(root, 'nope')),
    (error) => error instanceof UserError && /no such file or folder/.test(error.message),
  );
  await assert.rejects(
    openDataset(root, { format: 'imagefolder' }),
    (error) => error instanceof UserError && /no usable item as imagefolder/.test(error.message),
  );
  await assert.rejects(
    openDataset(join(root, 'images'), { format: 'affectnet' }),
    (error) => error instanceof UserError && /not readable as affectnet/.test(error.message),
  );
});
