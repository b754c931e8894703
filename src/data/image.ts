/**
 * Image decoding with sharp (libvips): JPEG/PNG/WebP, EXIF orientation applied, grayscale or alpha turned into the
 * requested channels, resized to a square model input. Pixels stay 0..255: each model applies its own
 * preprocessing (docs/ARCHITECTURE.md §4), the reader does not.
 */
import { readFile } from 'node:fs/promises';
import sharp, { type Sharp } from 'sharp';

/** Extensions the image readers list. */
export const IMAGE_EXTENSIONS = ['.jpg', '.jpeg', '.png', '.webp'] as const;

/** True when the file name ends with a readable image extension. */
export function isImageFile(name: string): boolean {
  const lower = name.toLowerCase();
  return IMAGE_EXTENSIONS.some((extension) => lower.endsWith(extension));
}

/** Interleaved HWC pixels, 0..255. */
export interface RawImage {
  data: Float32Array;
  width: number;
  height: number;
  channels: 1 | 3;
}

export interface DecodeOptions {
  /** Side of the square output. */
  size: number;
  /** 3 (RGB, default) or 1 (grayscale). */
  channels?: 1 | 3;
}

// Each file is decoded once per epoch: libvips's operation cache only costs time here (measured ~20% slower with it).
sharp.cache(false);

// Keras's image_dataset_from_directory resizes bilinearly without keeping the aspect ratio; so does this.
const RESIZE = { fit: 'fill', kernel: 'linear' } as const;

function finish(pipeline: Sharp, options: DecodeOptions): Promise<RawImage> {
  const channels = options.channels ?? 3;
  return pipeline
    .resize(options.size, options.size, RESIZE)
    .removeAlpha()
    .toColourspace(channels === 1 ? 'b-w' : 'srgb')
    .raw()
    .toBuffer({ resolveWithObject: true })
    .then(({ data, info }) => {
      if (info.channels !== channels) throw new Error(`decoded ${info.channels} channels where ${channels} were asked`);
      return { data: Float32Array.from(data), width: info.width, height: info.height, channels };
    });
}

/**
 * Decodes an image file (or its bytes) to `size`×`size` pixels. Throws with libvips's reason when the file is
 * unreadable, truncated or empty; callers turn that into a `Problem`.
 *
 * @example
 * const image = await decodeImage('data/images/0.jpg', { size: 96 }); // image.data.length === 96 * 96 * 3
 */
export function decodeImage(source: string | Buffer, options: DecodeOptions): Promise<RawImage> {
  // 'truncated' rejects a cut-off JPEG/PNG instead of returning grey rows (libvips would only warn).
  return finish(sharp(source, { failOn: 'truncated' }).rotate(), options);
}

/** 8-bit interleaved pixels at their stored size (after orientation). */
export interface Pixels {
  data: Uint8Array;
  width: number;
  height: number;
  channels: 1 | 3;
}

/**
 * Decodes an image to 8-bit pixels without resizing it to the model input (batches resize on the tensor backend,
 * as Keras does); only images over `maxSide` are shrunk first, so that a large photo is cheap to decode
 * (libvips shrinks JPEGs while decoding them).
 *
 * @example
 * const pixels = await decodePixels('photo.jpg', { channels: 3, maxSide: 192 });
 */
export async function decodePixels(
  source: string | Buffer,
  options: { channels: 1 | 3; maxSide: number },
): Promise<Pixels> {
  // Reading the bytes with fs and handing sharp a buffer is ~15% faster for small images than libvips's file loader.
  const bytes = typeof source === 'string' ? await readFile(source) : source;
  const { data, info } = await sharp(bytes, { failOn: 'truncated' })
    .rotate()
    .resize({ width: options.maxSide, height: options.maxSide, fit: 'inside', withoutEnlargement: true })
    .removeAlpha()
    .toColourspace(options.channels === 1 ? 'b-w' : 'srgb')
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== options.channels)
    throw new Error(`decoded ${info.channels} channels where ${options.channels} were asked`);
  return { data, width: info.width, height: info.height, channels: options.channels };
}

/** Width and height as displayed (after EXIF orientation), read from the header only. */
export async function imageDimensions(file: string): Promise<{ width: number; height: number }> {
  const metadata = await sharp(file).metadata();
  if (metadata.width === undefined || metadata.height === undefined)
    throw new Error('no image dimensions in the header');
  // EXIF orientations 5-8 rotate by 90°.
  const swapped = (metadata.orientation ?? 1) >= 5;
  return swapped
    ? { width: metadata.height, height: metadata.width }
    : { width: metadata.width, height: metadata.height };
}

/** The message of a decode error, trimmed to its first line (libvips appends its log). */
export function decodeReason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0]!.trim();
}
