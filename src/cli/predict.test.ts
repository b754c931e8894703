import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { tf } from '../tf.ts';
import { openDataset, synthesizeFaces } from '../data/index.ts';
import { tempDir, writeTruncatedJpeg } from '../data/test_fixtures.ts';
import { runExperiment } from '../runs/experiment.ts';
import { readRun, type Prediction } from '../runs/run_files.ts';
import { openRunPredictor, predictImages, type ImagePrediction } from '../runs/predict_images.ts';
import { needsChromium, needsNative } from '../testing.ts';

const root = tempDir('percept-predict-');
const synth = join(root, 'synth');
let runDir = '';
/** The run's own test images: file and the record the run saved for it. */
let testImages: { file: string; saved: Prediction }[] = [];

before(async () => {
  await synthesizeFaces({ out: synth, n: 48, size: 40, seed: 4 });
  const result = await runExperiment(
    {
      name: 'faces',
      seed: 2,
      data: { format: 'affectnet', path: synth, imageSize: 32 },
      model: { arch: 'mobilenet_v2', alpha: 0.35, head: { tasks: ['classification', 'valence_arousal'] } },
      train: { batchSize: 8, epochs: 1, optimizer: { name: 'adam', lr: 0.001 } },
    },
    { out: join(root, 'runs') },
  );
  runDir = result.dir;
  const files = new Map((await openDataset(synth)).items.map((item) => [item.id, item.file!]));
  testImages = readRun(runDir)
    .predictions!.filter((record) => record.split === 'test')
    .map((saved) => ({ file: files.get(saved.id!)!, saved }));
});

after(() => rmSync(root, { recursive: true, force: true }));

function percept(args: string[]) {
  return spawnSync(process.execPath, ['src/cli/bin.mjs', ...args], { encoding: 'utf8', timeout: 300_000 });
}

test('percept predict on the run`s own test images gives the probabilities and valence/arousal the run saved, and lists a corrupt image it skips', async () => {
  assert.ok(testImages.length >= 3, `${testImages.length} test images`);
  const bad = join(root, 'inputs', 'broken.jpg');
  await writeTruncatedJpeg(bad);
  const out = join(root, 'out', 'test.jsonl');
  const classes = readRun(runDir).summary.classNames!.length;
  // The broken image sits between good ones: the batches around it still predict.
  const files = testImages.map((image) => image.file);
  const inputs = [...files.slice(0, 2), bad, ...files.slice(2)];
  const result = percept([
    'predict',
    runDir,
    ...inputs,
    '--out',
    out,
    '--top',
    '3',
    '--all-probs',
    '--batch-size',
    '4',
  ]);
  assert.equal(result.status, 0, result.stderr);
  assert.equal(result.stdout, '', 'with --out nothing goes to stdout');
  assert.match(result.stderr, new RegExp(`skipped ${bad}: `));
  assert.match(result.stderr, new RegExp(`predicted ${testImages.length} images, skipped 1; wrote ${out}`));
  assert.match(result.stderr, /predicting \d+\/\d+ \(\d+%\)/);
  const lines = readFileSync(out, 'utf8').trim().split('\n');
  assert.equal(lines.length, testImages.length);
  const byFile = new Map(lines.map((line) => JSON.parse(line) as ImagePrediction).map((p) => [p.file, p]));
  for (const { file, saved } of testImages) {
    const predicted = byFile.get(file)!;
    assert.ok(predicted !== undefined, `no prediction for ${file}`);
    assert.equal(predicted.probs!.length, classes);
    predicted.probs!.forEach((prob, i) => assert.ok(Math.abs(prob - saved.probs![i]!) <= 1e-5, `${file} class ${i}`));
    assert.ok(Math.abs(predicted.valence! - saved.predValence!) <= 1e-5);
    assert.ok(Math.abs(predicted.arousal! - saved.predArousal!) <= 1e-5);
    assert.equal(predicted.top!.length, 3);
    assert.equal(predicted.top![0]!.index, saved.pred);
    assert.ok(predicted.top![0]!.prob >= predicted.top![1]!.prob && predicted.top![1]!.prob >= predicted.top![2]!.prob);
  }
});

test(
  'a folder is searched recursively and a CSV manifest read; --out .csv writes the top classes; --grid draws a labelled PNG',
  needsChromium(),
  async () => {
    const folder = join(root, 'folder');
    testImages.forEach(({ file }, i) => {
      const to = join(folder, i % 2 === 0 ? 'a' : join('b', 'c'), `${i}.jpg`);
      mkdirSync(join(to, '..'), { recursive: true });
      copyFileSync(file, to);
    });
    const manifestDir = join(root, 'manifest');
    cpSync(join(synth, 'images'), join(manifestDir, 'img'), { recursive: true });
    const listed = readdirSync(join(manifestDir, 'img')).slice(0, 3);
    writeFileSync(join(manifestDir, 'list.csv'), `label,path\nx,img/${listed.join('\nx,img/')}\n`);
    const out = join(root, 'out', 'folder.csv');
    const grid = join(root, 'out', 'grid.png');
    const result = percept([
      'predict',
      runDir,
      folder,
      join(manifestDir, 'list.csv'),
      '--out',
      out,
      '--top',
      '2',
      '--grid',
      grid,
    ]);
    assert.equal(result.status, 0, result.stderr);
    const rows = readFileSync(out, 'utf8').trim().split('\n');
    assert.equal(rows[0], 'file,class1,prob1,class2,prob2,valence,arousal');
    assert.equal(rows.length - 1, testImages.length + 3);
    assert.ok(
      rows.some((row) => row.startsWith(`${join(folder, 'b', 'c')}/`)),
      'the nested folder is read',
    );
    assert.ok(
      rows.some((row) => row.startsWith(join(manifestDir, 'img', listed[0]!))),
      'the manifest is read',
    );
    const classNames = readRun(runDir).summary.classNames!;
    for (const row of rows.slice(1)) {
      const cells = row.split(',');
      assert.equal(cells.length, 7);
      assert.ok(classNames.includes(cells[1]!) && classNames.includes(cells[3]!));
    }
    const { width, height } = await sharp(grid).metadata();
    // 8 columns of 96 px at twice the density, with two rows of images and their captions.
    assert.ok(width >= 2 * 8 * 96 && height >= 2 * 2 * 96, `${width}x${height}`);
  },
);

test('bad input to predict names the file and the fix', needsNative(), () => {
  const notRun = join(root, 'not-a-run');
  mkdirSync(notRun, { recursive: true });
  const cases: { args: string[]; message: RegExp }[] = [
    { args: [notRun, testImages[0]!.file], message: /not-a-run\/config\.json: missing.*Fix: run 'percept train'/ },
    {
      args: [runDir, join(root, 'nothing.jpg')],
      message: /nothing\.jpg: no such file or folder\. Fix: give image files/,
    },
    { args: [runDir, join(synth, 'annotations')], message: /annotations: a folder with no image in it/ },
    {
      args: [runDir, join(synth, 'annotations', readdirSync(join(synth, 'annotations'))[0]!)],
      message: /not an image file or a CSV manifest/,
    },
    {
      args: [runDir, join(root, 'inputs', 'broken.jpg')],
      message: /no image could be read \(1 skipped: .*broken\.jpg/,
    },
    {
      args: [runDir, testImages[0]!.file, '--out', join(root, 'x.txt')],
      message: /--out .*x\.txt: must end in \.jsonl or \.csv/,
    },
    { args: [runDir, testImages[0]!.file, '--top', '0'], message: /--top '0' is not a positive integer/ },
  ];
  for (const { args, message } of cases) {
    const result = percept(['predict', ...args]);
    assert.equal(result.status, 1, `${args.join(' ')}: ${result.stderr}`);
    assert.match(result.stderr, message);
  }
  const copy = join(root, 'no-model');
  cpSync(runDir, copy, { recursive: true });
  rmSync(join(copy, 'model'), { recursive: true });
  const noModel = percept(['predict', copy, testImages[0]!.file]);
  assert.equal(noModel.status, 1);
  assert.match(noModel.stderr, /no-model\/model\/model\.json: missing, so .* has no saved model\. Fix: train/);
  assert.equal(percept(['predict', '--help']).status, 0);
});

test(
  'predicting 20,000 images streams: no tensor and no decoded image is kept between batches',
  needsNative(),
  async () => {
    const before = tf.memory().numTensors;
    const predictor = await openRunPredictor(runDir);
    // The same few files under 20,000 ids: the decode and the model run for every one of them.
    const items = Array.from({ length: 20_000 }, (_, i) => ({
      id: `${i}`,
      file: testImages[i % testImages.length]!.file,
    }));
    const tensors = tf.memory().numTensors;
    let seen = 0;
    let rssAtFirstTenth = 0;
    let maxRss = 0;
    try {
      for await (const batch of predictImages(predictor, items, { batchSize: 256 })) {
        seen += batch.predictions.length;
        const rss = process.memoryUsage().rss;
        if (rssAtFirstTenth === 0 && seen >= items.length / 10) rssAtFirstTenth = rss;
        maxRss = Math.max(maxRss, rss);
        // The batches decoded ahead (imageBatches' prefetch, 2) are the only tensors alive between batches.
        assert.ok(tf.memory().numTensors <= tensors + 2, `${tf.memory().numTensors - tensors} tensors kept`);
      }
    } finally {
      predictor.dispose();
    }
    assert.equal(seen, items.length);
    assert.equal(tf.memory().numTensors, before, 'closing the predictor frees its model');
    // 18,000 decoded 32 px images kept would be 220 MB.
    const growth = (maxRss - rssAtFirstTenth) / 2 ** 20;
    assert.ok(growth < 100, `RSS grew ${growth.toFixed(0)} MB after the first tenth`);
  },
);
