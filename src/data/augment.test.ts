import { test } from 'node:test';
import assert from 'node:assert/strict';
import { seededRandom } from '../random.ts';
import { adjustBrightness, adjustContrast, augmentImage, flipHorizontal, resizedCrop, rotate } from './augment.ts';
import type { RawImage } from './image.ts';

/** A 3×3 one-channel image holding 0..8 row by row. */
const ramp: RawImage = { data: Float32Array.from({ length: 9 }, (_, i) => i), width: 3, height: 3, channels: 1 };

test('flipHorizontal mirrors each row, per channel', () => {
  assert.deepEqual(Array.from(flipHorizontal(ramp).data), [2, 1, 0, 5, 4, 3, 8, 7, 6]);
  const rgb: RawImage = { data: Float32Array.of(1, 2, 3, 4, 5, 6), width: 2, height: 1, channels: 3 };
  assert.deepEqual(Array.from(flipHorizontal(rgb).data), [4, 5, 6, 1, 2, 3]);
  assert.deepEqual(Array.from(ramp.data), [0, 1, 2, 3, 4, 5, 6, 7, 8], 'the input is untouched');
});

test('rotate by 90° turns a square image a quarter (counter-clockwise), 0° is the identity', () => {
  assert.deepEqual(Array.from(rotate(ramp, 0).data), Array.from(ramp.data));
  assert.deepEqual(
    Array.from(rotate(ramp, 90).data).map((v) => Math.round(v * 1e6) / 1e6),
    [2, 5, 8, 1, 4, 7, 0, 3, 6],
  );
  assert.deepEqual(
    Array.from(rotate(ramp, 180).data).map((v) => Math.round(v * 1e6) / 1e6),
    [8, 7, 6, 5, 4, 3, 2, 1, 0],
  );
});

test('resizedCrop of the whole image is the identity; of the top-left pixel, that pixel enlarged', () => {
  assert.deepEqual(Array.from(resizedCrop(ramp, { x: 0, y: 0, width: 3, height: 3 }).data), Array.from(ramp.data));
  const pixel = resizedCrop(ramp, { x: 0, y: 0, width: 1, height: 1 }).data;
  assert.equal(pixel[4], 0);
  assert.ok(
    pixel.every((v) => v < 1.5),
    'only the top-left neighbourhood is sampled',
  );
  // The bottom-right 2×2 enlarged to 3×3: corners keep 4, 5, 7, 8 after clamping; the centre is their mean.
  const corner = resizedCrop(ramp, { x: 1, y: 1, width: 2, height: 2 }).data;
  assert.equal(corner[4], 6);
});

test('brightness adds delta × 255 and clips; contrast scales around each channel mean', () => {
  const grey: RawImage = { data: Float32Array.of(0, 100, 250), width: 3, height: 1, channels: 1 };
  assert.deepEqual(Array.from(adjustBrightness(grey, 0.1).data), [25.5, 125.5, 255]);
  // mean 116.666…: (x - mean) * 2 + mean, clipped.
  assert.deepEqual(Array.from(adjustContrast(grey, 2).data).map(Math.round), [0, 83, 255]);
  assert.deepEqual(Array.from(adjustContrast(grey, 1).data).map(Math.round), [0, 100, 250]);
});

test('augmentImage is seeded: same seed same image, no options no change', () => {
  const image: RawImage = {
    data: Float32Array.from({ length: 8 * 8 * 3 }, (_, i) => (i * 37) % 256),
    width: 8,
    height: 8,
    channels: 3,
  };
  const options = { flip: true, rotation: 15, crop: { minScale: 0.6 }, brightness: 0.2, contrast: 0.3 };
  const a = augmentImage(image, options, seededRandom(5));
  assert.deepEqual(augmentImage(image, options, seededRandom(5)), a);
  assert.notDeepEqual(augmentImage(image, options, seededRandom(6)).data, a.data);
  assert.equal(augmentImage(image, {}, seededRandom(5)), image);
});
