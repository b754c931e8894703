/**
 * Batches against Keras's image_dataset_from_directory (Keras 2.12 in `.venv`, bilinear, unshuffled) on the same
 * files: JPEG and PNG, RGB, grey and RGBA, shrunk, enlarged and unresized, read as RGB and as grayscale.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { imageBatches } from './batches.ts';
import { tempDir } from './test_fixtures.ts';
import { hasNativeDecode } from '../native/image_decode.ts';
import { needsNative, needsPython } from '../testing.ts';
import { venvPython } from '../setup/python_env.ts';
import type { DataItem } from './types.ts';

const run = promisify(execFile);
const SIZE = 48;

/** Writes Keras's batch for each colour mode as raw float32 (`rgb.f32`, `grayscale.f32`) and its file order. */
const KERAS_SCRIPT = `
import json, sys
import numpy as np
import tensorflow as tf
root, size = sys.argv[1], int(sys.argv[2])
for mode in ('rgb', 'grayscale'):
    dataset = tf.keras.utils.image_dataset_from_directory(root + '/images', labels='inferred', color_mode=mode, image_size=(size, size),
                                                          interpolation='bilinear', shuffle=False, batch_size=64)
    images = np.concatenate([x.numpy() for x, _ in dataset]).astype(np.float32)
    images.tofile(root + '/' + mode + '.f32')
json.dump(dataset.file_paths, open(root + '/files.json', 'w'))
`;

/** A smooth, coloured test pattern (gradients and a disc), so that resizing has something to interpolate. */
function pattern(width: number, height: number, channels: 1 | 3 | 4): Buffer {
  const data = Buffer.alloc(width * height * channels);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const disc = (x - width / 2) ** 2 + (y - height / 3) ** 2 < (width / 4) ** 2 ? 90 : 0;
      const values = [(x * 255) / width, (y * 255) / height, disc + 40, 128 + 100 * Math.sin(x / 3)];
      for (let c = 0; c < channels; c++) data[(y * width + x) * channels + c] = Math.round(values[c]!);
    }
  }
  return data;
}

async function writeFixtures(root: string): Promise<void> {
  const images = [
    { file: 'a/0_shrunk.jpg', width: 150, height: 110, channels: 3 },
    { file: 'a/1_enlarged.png', width: 31, height: 40, channels: 3 },
    { file: 'a/2_grey.png', width: 60, height: 60, channels: 1 },
    { file: 'b/3_alpha.png', width: 64, height: 52, channels: 4 },
    { file: 'b/4_same_size.jpg', width: SIZE, height: SIZE, channels: 3 },
    { file: 'b/5_grey.jpg', width: 90, height: 70, channels: 1 },
  ] as const;
  for (const image of images) {
    const path = join(root, 'images', image.file);
    mkdirSync(join(path, '..'), { recursive: true });
    await sharp(pattern(image.width, image.height, image.channels), {
      raw: { width: image.width, height: image.height, channels: image.channels },
    }).toFile(path);
  }
}

test(
  "batches hold the pixels of Keras's image_dataset_from_directory to within 1/255 (RGB and grayscale)",
  { ...needsNative(), ...needsPython('tensorflow') },
  async () => {
    assert.ok(hasNativeDecode(), "the native backend lacks percept's batched decode (npx percept setup --rebuild)");
    const root = tempDir();
    await writeFixtures(root);
    await run(venvPython(), ['-c', KERAS_SCRIPT, root, String(SIZE)], {
      env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '2' },
    });
    const files = JSON.parse(readFileSync(join(root, 'files.json'), 'utf8')) as string[];
    const items: DataItem[] = files.map((file, index) => ({
      id: String(index),
      file,
      label: file.includes('/b/') ? 1 : 0,
    }));
    for (const [mode, channels] of [
      ['rgb', 3],
      ['grayscale', 1],
    ] as const) {
      const raw = readFileSync(join(root, `${mode}.f32`));
      const keras = new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4);
      const ours: number[] = [];
      for await (const batch of imageBatches(items, { size: SIZE, batchSize: 4, channels })) {
        assert.deepEqual(batch.problems, []);
        ours.push(...(await batch.x.data()));
        batch.x.dispose();
      }
      assert.equal(ours.length, keras.length, `${mode}: one value per Keras value`);
      const worst = ours.reduce((max, value, i) => Math.max(max, Math.abs(value - keras[i]!)), 0);
      assert.ok(worst <= 1 / 255, `${mode}: largest difference from Keras ${worst} exceeds 1/255`);
    }
  },
);
