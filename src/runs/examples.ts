/**
 * `examples/`: small PNG thumbnails of correctly and incorrectly classified test images, with `index.json`, for the
 * report's green/red grids.
 */
import { join } from 'node:path';
import sharp from 'sharp';
import { imageBatches, type DataItem } from '../data/index.ts';
import { writeFileAtomic } from '../atomic.ts';
import type { ExamplesIndex, Prediction } from './run_files.ts';

export interface ExampleOptions {
  /** Thumbnails of each kind (correct, incorrect). Default 8. */
  perKind?: number;
  /** Thumbnail side in pixels. Default 64. */
  size?: number;
}

/**
 * A PNG of one decoded image (float pixels 0..255, rows of `size`, `channels` per pixel), rounded and clamped.
 *
 * @example
 * const png = await pngThumbnail(pixels.subarray(0, 64 * 64 * 3), 64, 3);
 */
export async function pngThumbnail(pixels: ArrayLike<number>, size: number, channels: 1 | 3): Promise<Uint8Array> {
  const bytes = Uint8Array.from(pixels, (value) => Math.round(Math.min(255, Math.max(0, value))));
  return sharp(bytes, { raw: { width: size, height: size, channels } })
    .png()
    .toBuffer();
}

function confidence(record: Prediction): number | undefined {
  if (record.probs == null || typeof record.pred !== 'number') return undefined;
  return record.probs[record.pred];
}

/**
 * Picks the most confident correct and incorrect test predictions, writes their thumbnails into `dir` and returns the
 * index (also written as `dir/index.json` by the caller through writeRunFile).
 *
 * @example
 * const index = await writeExamples('runs/a/examples', predictions, itemsById, classNames);
 */
export async function writeExamples(
  dir: string,
  predictions: readonly Prediction[],
  itemsById: ReadonlyMap<string, DataItem>,
  classNames: readonly string[],
  options: ExampleOptions = {},
): Promise<ExamplesIndex> {
  const perKind = options.perKind ?? 8;
  const size = options.size ?? 64;
  const test = predictions.filter(
    (record) =>
      record.split === 'test' &&
      typeof record.true === 'number' &&
      typeof record.pred === 'number' &&
      record.id !== undefined,
  );
  const byConfidence = (a: Prediction, b: Prediction): number => (confidence(b) ?? 0) - (confidence(a) ?? 0);
  const chosen = [
    ...test
      .filter((record) => record.true === record.pred)
      .sort(byConfidence)
      .slice(0, perKind),
    ...test
      .filter((record) => record.true !== record.pred)
      .sort(byConfidence)
      .slice(0, perKind),
  ];
  const records = new Map(chosen.map((record) => [record.id!, record]));
  const items = chosen
    .map((record) => itemsById.get(record.id!))
    .filter((item): item is DataItem => item !== undefined);
  const index: ExamplesIndex = { items: [] };
  for await (const batch of imageBatches(items, { size, batchSize: 16, channels: 3 })) {
    const pixels = size * size * 3;
    const data = await batch.x.data();
    batch.x.dispose();
    for (let i = 0; i < batch.ids.length; i++) {
      const id = batch.ids[i]!;
      const record = records.get(id)!;
      const file = `${String(index.items.length).padStart(2, '0')}_${id.replace(/[^\w.-]+/g, '_')}.png`;
      writeFileAtomic(join(dir, file), await pngThumbnail(data.subarray(i * pixels, (i + 1) * pixels), size, 3));
      const conf = confidence(record);
      index.items.push({
        file,
        id,
        split: 'test',
        true: classNames[record.true as number] ?? String(record.true),
        pred: classNames[record.pred as number] ?? String(record.pred),
        correct: record.true === record.pred,
        ...(conf === undefined ? {} : { confidence: conf }),
      });
    }
  }
  return index;
}
