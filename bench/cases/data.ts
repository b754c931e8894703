/**
 * Data pipeline throughput: images/s from JPEG files to normalized 96×96 float batches, percept's streaming
 * `imageBatches` (TensorFlow decode on libuv threads, prefetch) against Keras's `image_dataset_from_directory` on the same files in the same run.
 */
import { join } from 'node:path';
import { tf } from '../../src/tf.ts';
import { imageBatches } from '../../src/data/batches.ts';
import { openDataset } from '../../src/data/open.ts';
import type { BenchCase, BenchContext } from '../case.ts';
import { syntheticFaces } from '../fixtures.ts';
import { runPythonPeer } from '../harness.ts';

const SIZE = 96;
const BATCH = 32;
/** Stored images are larger than the model input, so both sides decode and resize. */
const STORED_SIZE = 160;

/** The JPEG files both sides read, written once per run into the case's scratch folder. */
function faces(context: BenchContext): Promise<string> {
  return syntheticFaces(context, context.profile === 'quick' ? 256 : 2000, STORED_SIZE);
}

/** One full pass of percept's pipeline: decode + resize + batch + /255, each batch read back to host memory. */
async function measurePercept(context: BenchContext): Promise<number> {
  const dataset = await openDataset(await faces(context));
  const pass = async (items: typeof dataset.items): Promise<number> => {
    let count = 0;
    for await (const batch of imageBatches(items, { size: SIZE, batchSize: BATCH })) {
      const normalized = tf.div(batch.x, 255);
      await normalized.data();
      count += batch.x.shape[0];
      tf.dispose([normalized, batch.x]);
    }
    return count;
  };
  await pass(dataset.items.slice(0, 2 * BATCH));
  const start = performance.now();
  const count = await pass(dataset.items);
  return count / ((performance.now() - start) / 1000);
}

async function measureKeras(context: BenchContext): Promise<number> {
  const dir = join(await faces(context), 'images');
  return runPythonPeer(context, 'decode_keras.py', ['--dir', dir, '--size', String(SIZE), '--batch', String(BATCH)]);
}

export const DATA_CASES: BenchCase[] = [
  {
    name: `data/decode/${SIZE}`,
    unit: 'images/s',
    higherIsBetter: true,
    percept: measurePercept,
    peers: { keras: measureKeras },
  },
];
