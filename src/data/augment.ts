/**
 * Training-time augmentation on decoded pixels: each transform is a pure function of an image and its parameters
 * (tested on known images); `augmentImage` draws the parameters from a seeded PRNG. Applied to the train split only.
 */
import type { RawImage } from './image.ts';

/** Which augmentations to draw and how strongly; everything is off by default. */
export interface AugmentOptions {
  /** Mirror left-right with probability 1/2. */
  flip?: boolean;
  /** Rotate by a uniform angle in [-rotation, rotation] degrees. */
  rotation?: number;
  /** Random resized crop (torchvision's RandomResizedCrop): area fraction in [minScale, 1], aspect ratio in [3/4, 4/3]. */
  crop?: { minScale: number };
  /** Add a uniform offset in [-brightness, brightness] × 255. */
  brightness?: number;
  /** Scale the distance to each channel's mean by a uniform factor in [1 - contrast, 1 + contrast]. */
  contrast?: number;
}

/** A crop rectangle in pixels (may be fractional). */
export interface CropBox {
  x: number;
  y: number;
  width: number;
  height: number;
}

function blank(image: RawImage): RawImage {
  return { ...image, data: new Float32Array(image.data.length) };
}

/** Bilinear sample at (x, y), coordinates clamped to the image (Keras's fill_mode='nearest'). */
function sample(image: RawImage, x: number, y: number, channel: number): number {
  const { width, height, channels, data } = image;
  const cx = Math.min(width - 1, Math.max(0, x));
  const cy = Math.min(height - 1, Math.max(0, y));
  const x0 = Math.floor(cx);
  const y0 = Math.floor(cy);
  const x1 = Math.min(width - 1, x0 + 1);
  const y1 = Math.min(height - 1, y0 + 1);
  const fx = cx - x0;
  const fy = cy - y0;
  const at = (px: number, py: number): number => data[(py * width + px) * channels + channel]!;
  const top = at(x0, y0) * (1 - fx) + at(x1, y0) * fx;
  const bottom = at(x0, y1) * (1 - fx) + at(x1, y1) * fx;
  return top * (1 - fy) + bottom * fy;
}

/**
 * Mirrors the image left-right.
 *
 * @example
 * flipHorizontal({ data: Float32Array.of(1, 2), width: 2, height: 1, channels: 1 }).data; // [2, 1]
 */
export function flipHorizontal(image: RawImage): RawImage {
  const out = blank(image);
  const { width, height, channels } = image;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < channels; c++)
        out.data[(y * width + x) * channels + c] = image.data[(y * width + (width - 1 - x)) * channels + c]!;
    }
  }
  return out;
}

/**
 * Rotates about the centre by `degrees` (counter-clockwise as displayed), bilinear, edges extended.
 *
 * @example
 * rotate(image, 90); // a 90° turn of a square image
 */
export function rotate(image: RawImage, degrees: number): RawImage {
  const out = blank(image);
  const { width, height, channels } = image;
  const angle = (degrees * Math.PI) / 180;
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  const cx = (width - 1) / 2;
  const cy = (height - 1) / 2;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      // Inverse mapping: where in the source each output pixel comes from (y grows downwards).
      const dx = x - cx;
      const dy = y - cy;
      const sx = cx + dx * cos - dy * sin;
      const sy = cy + dx * sin + dy * cos;
      for (let c = 0; c < channels; c++) out.data[(y * width + x) * channels + c] = sample(image, sx, sy, c);
    }
  }
  return out;
}

/**
 * Crops `box` and resizes it back to the image's size (bilinear, pixel centres aligned).
 *
 * @example
 * resizedCrop(image, { x: 0, y: 0, width: image.width / 2, height: image.height / 2 }); // top-left quarter, enlarged
 */
export function resizedCrop(image: RawImage, box: CropBox): RawImage {
  const out = blank(image);
  const { width, height, channels } = image;
  const scaleX = box.width / width;
  const scaleY = box.height / height;
  for (let y = 0; y < height; y++) {
    const sy = box.y + (y + 0.5) * scaleY - 0.5;
    for (let x = 0; x < width; x++) {
      const sx = box.x + (x + 0.5) * scaleX - 0.5;
      for (let c = 0; c < channels; c++) out.data[(y * width + x) * channels + c] = sample(image, sx, sy, c);
    }
  }
  return out;
}

/**
 * Adds `delta` × 255 to every pixel, clipped to 0..255 (tf.image.adjust_brightness on the 0..255 scale).
 *
 * @example
 * adjustBrightness(image, 0.1); // 25.5 brighter
 */
export function adjustBrightness(image: RawImage, delta: number): RawImage {
  const out = blank(image);
  for (let i = 0; i < image.data.length; i++) out.data[i] = Math.min(255, Math.max(0, image.data[i]! + delta * 255));
  return out;
}

/**
 * Scales each pixel's distance to its channel's mean by `factor`, clipped to 0..255 (tf.image.adjust_contrast).
 *
 * @example
 * adjustContrast(image, 1.2); // 20% more contrast
 */
export function adjustContrast(image: RawImage, factor: number): RawImage {
  const out = blank(image);
  const { channels, data } = image;
  const pixels = data.length / channels;
  for (let c = 0; c < channels; c++) {
    let sum = 0;
    for (let i = c; i < data.length; i += channels) sum += data[i]!;
    const mean = sum / pixels;
    for (let i = c; i < data.length; i += channels)
      out.data[i] = Math.min(255, Math.max(0, mean + (data[i]! - mean) * factor));
  }
  return out;
}

/** torchvision's RandomResizedCrop box: area in [minScale, 1] of the image, aspect ratio log-uniform in [3/4, 4/3]. */
function randomCropBox(width: number, height: number, minScale: number, random: () => number): CropBox {
  for (let attempt = 0; attempt < 10; attempt++) {
    const area = width * height * (minScale + (1 - minScale) * random());
    const ratio = Math.exp(Math.log(3 / 4) + (Math.log(4 / 3) - Math.log(3 / 4)) * random());
    const w = Math.sqrt(area * ratio);
    const h = Math.sqrt(area / ratio);
    if (w <= width && h <= height)
      return { x: random() * (width - w), y: random() * (height - h), width: w, height: h };
  }
  return { x: 0, y: 0, width, height };
}

/** Whether mirroring is the only augmentation asked for: then the native decode can apply it (src/data/batches.ts). */
export function onlyFlips(options: AugmentOptions): boolean {
  const { flip, crop, rotation, brightness, contrast } = options;
  return flip === true && crop === undefined && [rotation, brightness, contrast].every((amount) => (amount ?? 0) <= 0);
}

/** The flip draw of an image: mirrored with probability 1/2. The first draw when there is no crop. */
export function drawsFlip(random: () => number): boolean {
  return random() < 0.5;
}

/**
 * Applies the augmentations of `options` with parameters drawn from `random` (a seeded PRNG), in the order
 * crop, flip, rotation, brightness, contrast.
 *
 * @example
 * augmentImage(image, { flip: true, rotation: 10 }, seededRandom(7));
 */
export function augmentImage(image: RawImage, options: AugmentOptions, random: () => number): RawImage {
  let out = image;
  const uniform = (limit: number): number => (2 * random() - 1) * limit;
  if (options.crop !== undefined)
    out = resizedCrop(out, randomCropBox(out.width, out.height, options.crop.minScale, random));
  if (options.flip === true && drawsFlip(random)) out = flipHorizontal(out);
  if ((options.rotation ?? 0) > 0) out = rotate(out, uniform(options.rotation!));
  if ((options.brightness ?? 0) > 0) out = adjustBrightness(out, uniform(options.brightness!));
  if ((options.contrast ?? 0) > 0) out = adjustContrast(out, 1 + uniform(options.contrast!));
  return out;
}
