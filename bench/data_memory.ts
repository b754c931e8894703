/**
 * Issue 3 point 4, a measurement rather than a timed test: peak RSS of one streamed epoch over a 2,000- and a
 * 20,000-image synthetic set (96px JPEGs), each in a fresh process. Streaming holds only the batches in flight,
 * so the difference should stay well within 300 MB.
 *
 *   node --import tsx bench/data_memory.ts [SCRATCH_DIR]
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { measuredValue } from './harness.ts';
import { peakRssMB } from './peak_rss.ts';

const SIZES = [2000, 20000];

async function epoch(dir: string): Promise<void> {
  const { tf } = await import('../src/tf.ts');
  const { openDataset } = await import('../src/data/open.ts');
  const { imageBatches } = await import('../src/data/batches.ts');
  const dataset = await openDataset(dir);
  let images = 0;
  for await (const batch of imageBatches(dataset.items, { size: 96, batchSize: 32, shuffle: true, seed: 1 })) {
    // Stand-in for a training step: touch every pixel on the backend.
    const mean = tf.mean(batch.x);
    await mean.data();
    tf.dispose([mean, batch.x]);
    images += batch.ids.length;
  }
  process.stdout.write(JSON.stringify({ images, maxRssMB: peakRssMB() }) + '\n');
}

async function main(): Promise<void> {
  if (process.argv[2] === '--epoch') return epoch(process.argv[3]!);
  const scratch = process.argv[2] ?? join(tmpdir(), 'percept-data-memory');
  const { synthesizeFaces } = await import('../src/data/synth/index.ts');
  const results: Record<number, { images: number; maxRssMB: number }> = {};
  for (const n of SIZES) {
    const dir = join(scratch, `faces-${n}`);
    if (!existsSync(join(dir, 'synth.json'))) await synthesizeFaces({ out: dir, n, size: 96, seed: 1 });
    const child = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--epoch', dir], {
      encoding: 'utf8',
      env: { ...process.env, PERCEPT_QUIET_BACKEND: '1' },
    });
    if (child.status !== 0) throw new Error(child.stderr);
    results[n] = measuredValue(
      'the data-memory epoch',
      child.stdout,
      z.looseObject({ images: z.number(), maxRssMB: z.number() }),
    );
    process.stdout.write(`${n} images: peak RSS ${results[n].maxRssMB.toFixed(0)} MB\n`);
  }
  const growth = results[SIZES[1]!]!.maxRssMB - results[SIZES[0]!]!.maxRssMB;
  process.stdout.write(`growth ${growth.toFixed(0)} MB (limit 300 MB): ${growth <= 300 ? 'ok' : 'too much'}\n`);
}

await main();
