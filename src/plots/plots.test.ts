import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FIXTURE_SPECS, writeFixtureRuns } from '../report/fixture_runs.ts';
import { compareGolden } from '../report/golden.ts';
import { readRun, type Run } from '../runs/run_files.ts';
import { PLOTS } from './index.ts';
import { rateChanges } from './training_curves.ts';

const GOLDEN = join(import.meta.dirname, 'golden');

async function fixtureRuns(): Promise<Run[]> {
  const root = mkdtempSync(join(tmpdir(), 'percept-plots-'));
  try {
    const specs = FIXTURE_SPECS.filter((s) =>
      ['fixture-mobilenet_v2', 'fixture-simple_cnn', 'fixture-lstm'].includes(s.name),
    );
    return (await writeFixtureRuns(root, { specs, items: 30, resamples: 50, seed: 1 })).map(readRun);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

test('every registered plot matches its golden spec (seeded fixture runs, rounded numbers)', async () => {
  const runs = await fixtureRuns();
  const failures: string[] = [];
  for (const plot of PLOTS.all()) {
    const ready = runs.filter((run) => plot.appliesTo(run) && plot.lacks(run) === undefined);
    assert.ok(ready.length > 0, `${plot.name}: no fixture run has its data`);
    const spec = plot.spec(plot.scope === 'runs' ? ready : [ready[0]!]);
    const failure = compareGolden(join(GOLDEN, `${plot.name}.json`), JSON.stringify(spec, null, 1) + '\n');
    if (failure !== undefined) failures.push(failure);
  }
  assert.deepEqual(failures, []);
});

test('training curves mark each learning-rate change and the best epoch', async () => {
  const mobilenet = (await fixtureRuns()).find((run) => run.summary.name === 'fixture-mobilenet_v2');
  assert.deepEqual(rateChanges(mobilenet!), [{ epoch: 6, from: 1e-3, to: 1e-4 }]);
  const layers = JSON.stringify(PLOTS.get('training_curves').spec([mobilenet!]));
  assert.match(layers, /best epoch \d/);
  assert.match(layers, /lr 1e-3 → 1e-4/);
  // No best epoch and one learning rate: no marker layers (an empty one makes Vega warn of an infinite extent).
  const history = mobilenet!.history!;
  const plain = {
    ...mobilenet!,
    history: { ...history, bestEpoch: undefined, epochs: history.epochs.map((epoch) => ({ ...epoch, lr: 1e-3 })) },
  };
  const spec = PLOTS.get('training_curves').spec([plain]) as { spec: { layer: unknown[] } };
  assert.equal(spec.spec.layer.length, 1);
  // A rate that changes every epoch (cosine) gets no rule per epoch, but the best epoch keeps its own.
  const cosine = {
    ...mobilenet!,
    history: { ...history, epochs: history.epochs.map((epoch, i) => ({ ...epoch, lr: 1e-3 * Math.cos(i / 20) })) },
  };
  const cosineLayers = JSON.stringify(PLOTS.get('training_curves').spec([cosine]));
  assert.ok(rateChanges(cosine).length > 4);
  assert.doesNotMatch(cosineLayers, /lr \d/);
  assert.match(cosineLayers, /best epoch \d/);
});
