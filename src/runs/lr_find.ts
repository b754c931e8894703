/**
 * `percept lr-find`: the learning-rate range test (src/train/lr_finder.ts) on an experiment config's own model,
 * data, augmentation, freezing (its first stage's) and optimizer, in memory: nothing is written to the config's run
 * folder, and the model is thrown away afterwards.
 */
import { resolve } from 'node:path';
import { tf } from '../tf.ts';
import { ProblemLog } from '../data/problem_log.ts';
import {
  LearningRateRangeTest,
  suggestLearningRates,
  type LearningRateSuggestions,
  type RangePoint,
  type RangeTestOptions,
} from '../train/lr_finder.ts';
import { train } from '../train/trainer.ts';
import type { Callback } from '../train/callbacks.ts';
import type { Batch, BatchSource } from '../train/types.ts';
import type { ExperimentConfig } from './config.ts';
import { buildModel, loadData, resolveConfig, trainingSetup } from './experiment.ts';

/** What the range test found, as `percept lr-find --json` prints it and its plot reads it. */
export interface LrFindResult {
  /** The config's name. */
  name: string;
  arch: string;
  start: number;
  end: number;
  /** Batches planned. */
  steps: number;
  points: RangePoint[];
  /** Undefined when the loss diverged too early to read anything off it. */
  suggestions?: LearningRateSuggestions;
  stoppedEarly?: string;
  seconds: number;
}

export interface LrFindOptions extends RangeTestOptions {
  /** The config's profile (e.g. 'quick'). */
  profile?: string;
  /** Where 'run:NAME' weights are looked up. Default 'runs'. */
  runsRoot?: string;
  /** More trainer callbacks (progress). */
  callbacks?: Callback[];
}

/** `source`'s batches, epoch after epoch, until the range test is done: a batch after that is disposed, not trained. */
function untilDone(source: BatchSource, test: LearningRateRangeTest): BatchSource {
  return {
    batchCount: source.batchCount,
    async *batches(epoch: number): AsyncIterable<Batch> {
      for await (const batch of source.batches(epoch)) {
        if (test.done) {
          tf.dispose([batch.x, ...batch.targets]);
          return;
        }
        yield batch;
      }
    },
  };
}

/**
 * Runs the range test for a config (a path or an object) and returns the loss at each rate with fastai's suggestions.
 *
 * @example
 * const result = await findLearningRate('configs/mobilenetv2_finetune.json', { steps: 100 });
 * result.suggestions?.valley; // 1.1e-3
 */
export async function findLearningRate(
  configOrPath: ExperimentConfig | string | object,
  options: LrFindOptions = {},
): Promise<LrFindResult> {
  const started = performance.now();
  const config = resolveConfig(configOrPath, options.profile);
  const problems = new ProblemLog();
  const loaded = await loadData(config, problems);
  const built = buildModel(config, loaded, resolve(options.runsRoot ?? 'runs'));
  const { model } = built;
  model.applyFreeze(config.train.stages?.[0]?.trainableTop ?? built.initialTop);
  const setup = await trainingSetup(config, loaded, model, problems);
  const test = new LearningRateRangeTest(options);
  try {
    const perEpoch = Math.max(1, setup.train.batchCount ?? test.steps);
    await train({
      model: setup.trainModel,
      outputs: model.outputs,
      train: untilDone(setup.train, test),
      // Enough epochs for every step; the test stops training when it is done.
      epochs: Math.ceil(test.steps / perEpoch) + 1,
      optimizer: config.train.optimizer,
      callbacks: [test, ...(options.callbacks ?? [])],
      seed: config.seed,
      stepMode: config.train.step,
      log: () => undefined,
    });
  } finally {
    setup.dispose();
    model.model.dispose();
    model.head.dispose();
  }
  const suggestions = suggestLearningRates(test.points, test.steps);
  return {
    name: config.name,
    arch: built.arch,
    start: test.start,
    end: test.end,
    steps: test.steps,
    points: test.points,
    ...(suggestions === undefined ? {} : { suggestions }),
    ...(test.stoppedEarly === undefined ? {} : { stoppedEarly: test.stoppedEarly }),
    seconds: (performance.now() - started) / 1000,
  };
}
