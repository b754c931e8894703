import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LearningRateRangeTest, suggestLearningRates, type RangePoint } from './lr_finder.ts';
import type { TrainingContext } from './callbacks.ts';

/** Feeds `losses` through the callback as the trainer would, batch by batch. */
async function feed(test: LearningRateRangeTest, losses: readonly number[]): Promise<TrainingContext> {
  const context = { learningRate: 0, stopTraining: false } as TrainingContext;
  await test.onEpochBegin(0, context);
  for (const [i, loss] of losses.entries()) {
    if (test.done) break;
    await test.onBatchEnd(i, { loss }, context);
  }
  return context;
}

test('the rate grows exponentially from start to end, one rate per batch, and a constant loss smooths to itself', async () => {
  const range = new LearningRateRangeTest({ start: 1e-6, end: 1, steps: 7 });
  const context = await feed(range, new Array<number>(7).fill(2.5));
  assert.deepEqual(
    range.points.map((point) => Number(point.lr.toPrecision(12))),
    [1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1],
  );
  // fastai's bias correction makes the first smoothed value the loss itself, not (1 - β) of it.
  for (const point of range.points) assert.ok(Math.abs(point.smoothed - 2.5) < 1e-12);
  assert.equal(range.done, true);
  assert.equal(context.stopTraining, true);
  assert.equal(range.stoppedEarly, undefined);
});

test('the test stops once the smoothed loss passes 4x its lowest, or turns NaN', async () => {
  const diverging = new LearningRateRangeTest({ steps: 100 });
  const losses = [...new Array<number>(20).fill(1), ...Array.from({ length: 80 }, (_, i) => 1 + 2 ** i)];
  await feed(diverging, losses);
  assert.equal(diverging.done, true);
  assert.ok(diverging.points.length < 40, `${diverging.points.length} batches`);
  assert.match(diverging.stoppedEarly!, /passed 4x its lowest/);
  assert.ok(diverging.points.at(-1)!.smoothed > 4 * Math.min(...diverging.points.map((p) => p.smoothed)));
  const nan = new LearningRateRangeTest({ steps: 100 });
  await feed(nan, [1, 1, 1, Number.NaN, 1]);
  assert.equal(nan.points.length, 4);
});

/** Points of a loss curve `f(log10 lr)` over `steps` rates from 1e-7 to 10, smoothed as the test smooths. */
function curve(steps: number, f: (log10: number) => number): RangePoint[] {
  return Array.from({ length: steps }, (_, i) => {
    const lr = 1e-7 * 1e8 ** (i / (steps - 1));
    const loss = f(Math.log10(lr));
    return { lr, loss, smoothed: loss };
  });
}

test('suggestions: steepest at the fastest fall against log rate, valley inside the longest fall, as fastai computes them', () => {
  // Flat, then a fall that is steepest at 1e-3, a minimum near 1e-1, then a rise.
  const points = curve(100, (x) => 2 - Math.tanh(1.5 * (x + 3)) + 0.3 * Math.max(0, x + 1) ** 2);
  const suggested = suggestLearningRates(points, 100)!;
  assert.ok(Math.abs(Math.log10(suggested.steepest) + 3) < 0.1, `steepest ${suggested.steepest}`);
  const lowest = points.reduce((a, b) => (b.smoothed < a.smoothed ? b : a));
  assert.ok(suggested.valley > suggested.steepest / 100 && suggested.valley < lowest.lr, `valley ${suggested.valley}`);
  // fastai's valley, literally: the longest strictly falling run ends at the minimum (index `end` of the kept points)
  // and is end + 1 long; fastai takes start = end - length (one before the run) and the index
  // start + ⌊(end - start) / 3⌋ + ⌊(end - start) / 6⌋.
  const kept = points.slice(10, 95);
  const end = kept.findIndex((p) => p === lowest);
  const start = end - (end + 1);
  const sections = (end - start) / 3;
  assert.equal(suggested.valley, kept[start + Math.trunc(sections) + Math.trunc(sections / 2)]!.lr);
  assert.equal(suggestLearningRates(points.slice(0, 12), 100), undefined, 'too few points to read');
});
