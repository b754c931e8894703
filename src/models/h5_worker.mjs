// Worker of readKerasH5Sync (h5_file.ts): reads one Keras .h5 file and posts the layers back, then raises the shared
// flag that the waiting thread blocks on. Plain JavaScript that registers tsx itself, so it runs however the parent
// was started (node --import tsx, the percept bin, the notebook bundle).
import { workerData } from 'node:worker_threads';

const { file, port, signal } = workerData;
try {
  const { register } = await import('tsx/esm/api');
  register();
  const { readKerasH5 } = await import('./h5_file.ts');
  const { UserError } = await import('../errors.ts');
  try {
    const layers = await readKerasH5(file);
    const buffers = layers.flatMap((layer) => layer.weights.map((weight) => weight.values.buffer));
    port.postMessage({ layers }, [...new Set(buffers)]);
  } catch (error) {
    port.postMessage({ error: error instanceof Error ? error.message : String(error), userError: error instanceof UserError });
  }
} catch (error) {
  port.postMessage({ error: `the .h5 reader thread failed to start: ${error instanceof Error ? error.message : String(error)}`, userError: false });
} finally {
  Atomics.store(signal, 0, 1);
  Atomics.notify(signal, 0);
}
