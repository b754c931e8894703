/**
 * Test-only: TensorBoard event folders read back by TensorBoard's own reader (EventAccumulator, in .venv).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { venvPython } from '../setup/python_env.ts';

/** Every scalar and histogram of one event folder, as TensorBoard's own EventAccumulator reads it. */
export function readEvents(dir: string): {
  scalars: Record<string, [number, number][]>;
  histograms: Record<string, [number, number][]>;
} {
  const script = `
import json, sys
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from tensorboard.util import tensor_util
acc = EventAccumulator(sys.argv[1], size_guidance={'scalars': 0, 'tensors': 0})
acc.Reload()
scalars, histograms = {}, {}
# WriteScalarSummary writes simple values; WriteSummary's histograms are tensors of [left, right, count] rows.
for tag in acc.Tags()['scalars']:
    scalars[tag] = [[event.step, event.value] for event in acc.Scalars(tag)]
for tag in acc.Tags()['tensors']:
    for event in acc.Tensors(tag):
        value = tensor_util.make_ndarray(event.tensor_proto)
        histograms.setdefault(tag, []).append([event.step, float(value[:, 2].sum())])
print(json.dumps({'scalars': scalars, 'histograms': histograms}))
`;
  const result = spawnSync(venvPython(), ['-c', script, dir], { encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
  return JSON.parse(result.stdout) as ReturnType<typeof readEvents>;
}
