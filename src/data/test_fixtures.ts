/**
 * Test-only: small datasets written into a temporary folder, in each docs/ARCHITECTURE.md §3 layout, with bad items on request.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import sharp from 'sharp';
import { encodeNpy } from './npy.ts';

/** A fresh temporary folder. */
export function tempDir(prefix = 'percept-data-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A solid-colour JPEG (or PNG) of the given size, written to `file`. */
export async function writeImage(
  file: string,
  options: { width?: number; height?: number; rgb?: [number, number, number]; png?: boolean } = {},
): Promise<void> {
  mkdirSync(dirname(file), { recursive: true });
  const [r, g, b] = options.rgb ?? [200, 100, 50];
  const image = sharp({
    create: { width: options.width ?? 20, height: options.height ?? 20, channels: 3, background: { r, g, b } },
  });
  writeFileSync(file, await (options.png === true ? image.png() : image.jpeg({ quality: 95 })).toBuffer());
}

/** Writes a truncated JPEG (its first half). */
export async function writeTruncatedJpeg(file: string): Promise<void> {
  mkdirSync(dirname(file), { recursive: true });
  const jpeg = await sharp({ create: { width: 64, height: 64, channels: 3, background: 'red' } })
    .jpeg()
    .toBuffer();
  writeFileSync(file, jpeg.subarray(0, Math.floor(jpeg.length / 2)));
}

/** One AffectNet item: image plus `_exp/_val/_aro.npy` (pass `null` to leave an annotation out). */
export async function writeAffectNetItem(
  root: string,
  id: string,
  exp: number | null,
  valence: number | null = 0.5,
  arousal: number | null = 0.25,
): Promise<void> {
  await writeImage(join(root, 'images', `${id}.jpg`), { rgb: [exp === null ? 0 : exp * 30, 120, 80] });
  mkdirSync(join(root, 'annotations'), { recursive: true });
  if (exp !== null) writeFileSync(join(root, 'annotations', `${id}_exp.npy`), encodeNpy([exp], '<i8', []));
  if (valence !== null) writeFileSync(join(root, 'annotations', `${id}_val.npy`), encodeNpy([valence], '<f8', []));
  if (arousal !== null) writeFileSync(join(root, 'annotations', `${id}_aro.npy`), encodeNpy([arousal], '<f8', []));
}

/** An IDX file of unsigned bytes with the given dimensions, gzipped when the name ends in .gz. */
export function writeIdx(file: string, dims: readonly number[], data: Uint8Array): void {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header[2] = 0x08;
  header[3] = dims.length;
  dims.forEach((dim, i) => header.writeUInt32BE(dim, 4 + 4 * i));
  const bytes = Buffer.concat([header, Buffer.from(data)]);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, file.endsWith('.gz') ? gzipSync(bytes) : bytes);
}
