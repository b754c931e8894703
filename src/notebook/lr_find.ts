/**
 * `percept lr-find` in a notebook: the range test with its progress updated in place, then its plot inline.
 */
import { findLearningRate, type LrFindOptions, type LrFindResult } from '../runs/lr_find.ts';
import type { ExperimentConfig } from '../runs/config.ts';
import { lrFindPlot } from '../plots/lr_find.ts';
import { batchCounter, countProgress, formatCount } from '../train/progress.ts';
import { DisplayHandle, showVegaLite } from './display.ts';

/**
 * Runs the learning-rate range test on a config (path or object), shows the loss against the rate with the suggested
 * rates, and returns the result.
 *
 * @example
 * const { suggestions } = await lrFind('configs/mobilenetv2_finetune.json', { steps: 100 });
 */
export async function lrFind(
  config: ExperimentConfig | string | object,
  options: Omit<LrFindOptions, 'callbacks'> = {},
): Promise<LrFindResult> {
  const status = new DisplayHandle();
  const advance = countProgress(options.steps ?? 100, (event) =>
    status.show({ 'text/plain': formatCount('lr-find batches', event) }),
  );
  const result = await findLearningRate(config, { ...options, callbacks: [batchCounter(advance)] });
  await showVegaLite(lrFindPlot(result));
  return result;
}
