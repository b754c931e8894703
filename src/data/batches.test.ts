import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { tf } from '../tf.ts';
import { imageBatches, type Batch } from './batches.ts';
import { regressionTarget } from '../metrics/evaluate.ts';
import { decodeImage } from './image.ts';
import { openDataset } from './open.ts';
import { tempDir, writeAffectNetItem, writeIdx, writeTruncatedJpeg } from './test_fixtures.ts';

async function collect(
  iterable: AsyncIterable<Batch>,
): Promise<{ ids: string[][]; batches: Omit<Batch, 'x'>[]; shapes: number[][]; firstPixels: number[] }> {
  const out = {
    ids: [] as string[][],
    batches: [] as Omit<Batch, 'x'>[],
    shapes: [] as number[][],
    firstPixels: [] as number[],
  };
  for await (const batch of iterable) {
    const { x, ...rest } = batch;
    out.ids.push(batch.ids);
    out.batches.push(rest);
    out.shapes.push(x.shape);
    if (x.shape[0] > 0) {
      const first = x.slice([0, 0, 0, 0], [1, 1, 1, -1]);
      out.firstPixels.push(...(await first.data()));
      first.dispose();
    }
    x.dispose();
  }
  return out;
}

test('imageBatches: RGB 0..255 float32 batches, labels, -2 valence as NaN, a corrupt image skipped and reported', async () => {
  const root = tempDir();
  for (let i = 0; i < 9; i++) await writeAffectNetItem(root, String(i), i % 8, i === 4 ? -2 : 0.5, 0.25);
  const dataset = await openDataset(root);
  await writeTruncatedJpeg(join(root, 'images', '5.jpg')); // corrupted after listing: found mid-epoch
  const result = await collect(imageBatches(dataset.items, { size: 16, batchSize: 4 }));
  assert.deepEqual(result.ids, [['0', '1', '2', '3'], ['4', '6', '7'], ['8']]);
  assert.deepEqual(result.shapes, [
    [4, 16, 16, 3],
    [3, 16, 16, 3],
    [1, 16, 16, 3],
  ]);
  assert.deepEqual(Array.from(result.batches[1]!.labels!), [4, 6, 7]);
  assert.deepEqual(Array.from(result.batches[1]!.valence!), [NaN, 0.5, 0.5]);
  assert.deepEqual(Array.from(result.batches[1]!.arousal!), [0.25, 0.25, 0.25]);
  assert.equal(result.batches[1]!.problems.length, 1);
  assert.match(result.batches[1]!.problems[0]!.reason, /^unreadable image: /);
  assert.equal(result.batches[0]!.problems.length, 0);
  // Item 0 was drawn as rgb(0, 120, 80): a JPEG round trip keeps it within a few levels.
  assert.ok(
    Math.abs(result.firstPixels[0]! - 0) < 4 &&
      Math.abs(result.firstPixels[1]! - 120) < 4 &&
      Math.abs(result.firstPixels[2]! - 80) < 4,
    String(result.firstPixels.slice(0, 3)),
  );
});

test('imageBatches: seeded shuffle, grayscale option, and no tensor left behind', async () => {
  const root = tempDir();
  for (let i = 0; i < 10; i++) await writeAffectNetItem(root, String(i), i % 3);
  const { items } = await openDataset(root);
  const before = tf.memory().numTensors;
  const a = await collect(imageBatches(items, { size: 8, batchSize: 3, shuffle: true, seed: 7, prefetch: 3 }));
  const b = await collect(imageBatches(items, { size: 8, batchSize: 3, shuffle: true, seed: 7, concurrency: 1 }));
  const c = await collect(
    imageBatches(items, { size: 8, batchSize: 3, shuffle: true, seed: 8, augment: { flip: true, brightness: 0.2 } }),
  );
  assert.deepEqual(a.ids, b.ids);
  assert.notDeepEqual(
    a.ids.flat(),
    items.map((item) => item.id),
  );
  assert.deepEqual([...a.ids.flat()].sort(), items.map((item) => item.id).sort());
  assert.notDeepEqual(c.ids, a.ids);
  const gray = await collect(imageBatches(items, { size: 8, batchSize: 10, channels: 1 }));
  assert.deepEqual(gray.shapes, [[10, 8, 8, 1]]);
  assert.equal(tf.memory().numTensors, before);
  assert.ok(
    Number.isNaN(regressionTarget(undefined)) && Number.isNaN(regressionTarget(-2)) && regressionTarget(-1) === -1,
  );
});

test('imageBatches reads idx records and resizes them, grayscale to RGB', async () => {
  const root = tempDir();
  writeIdx(
    join(root, 'train-images-idx3-ubyte'),
    [2, 4, 4],
    Uint8Array.from({ length: 32 }, (_, i) => (i < 16 ? 100 : 200)),
  );
  writeIdx(join(root, 'train-labels-idx1-ubyte'), [2], Uint8Array.of(1, 0));
  const { items } = await openDataset(root);
  const result = await collect(imageBatches(items, { size: 8, batchSize: 2 }));
  assert.deepEqual(result.shapes, [[2, 8, 8, 3]]);
  assert.deepEqual(result.firstPixels, [100, 100, 100]);
  assert.deepEqual(Array.from(result.batches[0]!.labels!), [1, 0]);
  const native = await collect(imageBatches(items, { size: 4, batchSize: 2, channels: 1 }));
  assert.deepEqual(native.shapes, [[2, 4, 4, 1]]);
});

test('decodeImage applies EXIF orientation and turns grayscale and alpha into RGB', async () => {
  const dir = tempDir();
  // Stored 40×20, left half red and right half blue, with EXIF orientation 6 (display rotated 90° clockwise):
  // displayed, red is on top.
  const raw = Buffer.alloc(40 * 20 * 3);
  for (let y = 0; y < 20; y++)
    for (let x = 0; x < 40; x++) raw.set(x < 20 ? [255, 0, 0] : [0, 0, 255], (y * 40 + x) * 3);
  const file = join(dir, 'rotated.jpg');
  writeFileSync(
    file,
    await sharp(raw, { raw: { width: 40, height: 20, channels: 3 } })
      .jpeg({ quality: 100 })
      .withMetadata({ orientation: 6 })
      .toBuffer(),
  );
  const image = await decodeImage(file, { size: 8 });
  const pixel = (x: number, y: number) =>
    Array.from(image.data.subarray((y * 8 + x) * 3, (y * 8 + x) * 3 + 3)).map(Math.round);
  assert.ok(pixel(4, 0)[0]! > 200 && pixel(4, 0)[2]! < 50, `top is red: ${pixel(4, 0).join(', ')}`);
  assert.ok(pixel(4, 7)[2]! > 200 && pixel(4, 7)[0]! < 50, `bottom is blue: ${pixel(4, 7).join(', ')}`);
  const gray = await sharp(Buffer.alloc(16, 77), { raw: { width: 4, height: 4, channels: 1 } })
    .png()
    .toBuffer();
  assert.deepEqual(Array.from((await decodeImage(gray, { size: 2 })).data), Array(12).fill(77));
  const rgba = await sharp({
    create: { width: 4, height: 4, channels: 4, background: { r: 10, g: 20, b: 30, alpha: 0.5 } },
  })
    .webp({ lossless: true })
    .toBuffer();
  assert.deepEqual(Array.from((await decodeImage(rgba, { size: 2 })).data.subarray(0, 3)), [10, 20, 30]);
});

test('a batch of mixed sizes and channels gives each image the pixels it gets in a batch of its own', async () => {
  const root = tempDir();
  const rgb = join(root, 'rgb.png');
  const grey = join(root, 'grey.png');
  const noise = (n: number): Buffer => Buffer.from(Array.from({ length: n }, (_, i) => (i * 37) % 256));
  await sharp(noise(20 * 12 * 3), { raw: { width: 20, height: 12, channels: 3 } })
    .png()
    .toFile(rgb);
  await sharp(noise(9 * 14), { raw: { width: 9, height: 14, channels: 1 } })
    .png()
    .toFile(grey);
  const items = [
    { id: 'rgb', file: rgb },
    { id: 'grey', file: grey },
  ];
  const pixels = async (batchItems: typeof items): Promise<Float32Array> => {
    let values = new Float32Array(0);
    for await (const batch of imageBatches(batchItems, { size: 8, batchSize: 2 })) {
      values = Float32Array.from([...values, ...(await batch.x.data())]);
      batch.x.dispose();
    }
    return values;
  };
  const together = await pixels(items);
  const alone = Float32Array.from([...(await pixels([items[0]!])), ...(await pixels([items[1]!]))]);
  assert.equal(together.length, 2 * 8 * 8 * 3);
  assert.deepEqual(Array.from(together), Array.from(alone));
});

test("flip-only augmentation mirrors inside TensorFlow's decode the images augmentImage mirrors, and only those", async () => {
  const root = tempDir();
  const items: { id: string; file: string }[] = [];
  for (let i = 0; i < 12; i++) {
    const file = join(root, `${i}.png`);
    // Asymmetric: every row rises left to right, so a mirrored image differs from its original.
    const raw = Buffer.from(
      Array.from({ length: 10 * 10 * 3 }, (_, k) => (Math.floor(k / 3) % 10) * 20 + i * 3 + (k % 3)),
    );
    await sharp(raw, { raw: { width: 10, height: 10, channels: 3 } })
      .png()
      .toFile(file);
    items.push({ id: `img${i}`, file });
  }
  const images = async (augment: Parameters<typeof imageBatches>[1]['augment']): Promise<number[][]> => {
    const out: number[][] = [];
    for await (const batch of imageBatches(items, { size: 8, batchSize: 12, seed: 3, augment })) {
      const values = Array.from(await batch.x.data());
      for (let i = 0; i < batch.x.shape[0]; i++) out.push(values.slice(i * 192, (i + 1) * 192));
      batch.x.dispose();
    }
    return out;
  };
  const mirrored = (pixels: number[]): number[] =>
    Array.from({ length: 192 }, (_, k) => {
      const [y, x, c] = [Math.floor(k / 24), Math.floor(k / 3) % 8, k % 3];
      return pixels[y * 24 + (7 - x) * 3 + c]!;
    });
  const plain = await images(undefined);
  const native = await images({ flip: true });
  // A contrast change of 1e-9 leaves the pixels (to float32 precision) but sends the batch through augmentImage in
  // JavaScript, which draws each image's flip first from the same seeded generator.
  const javascript = await images({ flip: true, contrast: 1e-9 });
  const flipped = native.map((pixels, i) => {
    const same = pixels.every((value, k) => value === plain[i]![k]);
    const mirror = pixels.every((value, k) => value === mirrored(plain[i]!)[k]);
    assert.ok(same !== mirror, `image ${i} is neither the original nor its mirror`);
    return mirror;
  });
  assert.ok(flipped.includes(true) && flipped.includes(false), `flips ${flipped.join(',')}`);
  javascript.forEach((pixels, i) => {
    const expected = flipped[i]! ? mirrored(plain[i]!) : plain[i]!;
    pixels.forEach((value, k) => assert.ok(Math.abs(value - expected[k]!) < 1e-3, `image ${i} pixel ${k}`));
  });
});

test('a consumer that stops early leaves no decoded batch behind', async () => {
  const root = tempDir();
  for (let i = 0; i < 8; i++) await writeAffectNetItem(root, String(i), i % 8);
  const dataset = await openDataset(root);
  const before = tf.memory().numTensors;
  for await (const batch of imageBatches(dataset.items, { size: 8, batchSize: 2, prefetch: 3 })) {
    batch.x.dispose();
    break;
  }
  assert.equal(tf.memory().numTensors, before);
});
