/**
 * The learning-rate range test (Smith 2017, "Cyclical Learning Rates for Training Neural Networks", §3.3), as fastai's
 * `lr_find` runs it (fastai/callback/schedule.py): the rate grows exponentially from `start` to `end` over `steps`
 * batches of ordinary training, the loss is smoothed with a bias-corrected moving average (β = 0.98), and the test
 * stops once the smoothed loss passes 4× its lowest. The suggestions are fastai's: `valley` (its default, the middle
 * of the longest descending stretch) and `steep` (the steepest descent against log rate), both computed on the
 * points without the first tenth and the last five.
 */
import { Callback, type Logs, type TrainingContext } from './callbacks.ts';

export interface RangeTestOptions {
  /** First rate. Default 1e-7 (fastai). */
  start?: number;
  /** Last rate. Default 10 (fastai). */
  end?: number;
  /** Batches, one rate each. Default 100 (fastai). */
  steps?: number;
}

/** One batch of the test: its rate, its loss, and the smoothed loss up to it. */
export interface RangePoint {
  lr: number;
  loss: number;
  smoothed: number;
}

/** fastai's moving-average factor of the recorded loss. */
const BETA = 0.98;
/** fastai's `stop_div`: the smoothed loss above this multiple of its lowest ends the test. */
const DIVERGED = 4;

/**
 * A trainer callback that sets the rate of every batch and records its loss; `done` turns true when the test is over
 * (all steps taken, or the loss diverged), and the batch source should then stop.
 *
 * @example
 * const test = new LearningRateRangeTest({ steps: 100 });
 * await train({ ..., callbacks: [test] }); // test.points, suggestLearningRates(test.points, 100)
 */
export class LearningRateRangeTest extends Callback {
  readonly points: RangePoint[] = [];
  done = false;
  /** Why the test ended before its last step, if it did. */
  stoppedEarly: string | undefined;
  readonly start: number;
  readonly end: number;
  readonly steps: number;
  private average = 0;
  private lowest = Number.POSITIVE_INFINITY;

  constructor(options: RangeTestOptions = {}) {
    super();
    this.start = options.start ?? 1e-7;
    this.end = options.end ?? 10;
    this.steps = options.steps ?? 100;
    if (!(this.start > 0 && this.end > this.start && Number.isInteger(this.steps) && this.steps >= 2))
      throw new Error(
        `LearningRateRangeTest: needs 0 < start < end and steps >= 2 (got ${this.start}, ${this.end}, ${this.steps})`,
      );
  }

  /** The rate of batch `i` (0-based): exponential from `start` to `end`. */
  rateAt(i: number): number {
    return this.start * (this.end / this.start) ** (i / (this.steps - 1));
  }

  override async onEpochBegin(_epoch: number, context: TrainingContext): Promise<void> {
    context.learningRate = this.rateAt(this.points.length);
  }

  override async onBatchEnd(_batch: number, logs: Logs, context: TrainingContext): Promise<void> {
    if (this.done) return;
    const loss = logs['loss']!;
    const i = this.points.length;
    this.average = BETA * this.average + (1 - BETA) * loss;
    const smoothed = this.average / (1 - BETA ** (i + 1));
    this.points.push({ lr: context.learningRate, loss, smoothed });
    this.lowest = Math.min(this.lowest, smoothed);
    if (!Number.isFinite(smoothed) || smoothed > DIVERGED * this.lowest) {
      this.done = true;
      this.stoppedEarly = `the smoothed loss passed ${DIVERGED}x its lowest at rate ${context.learningRate.toExponential(2)}`;
      context.stopTraining = true;
    } else if (this.points.length >= this.steps) {
      this.done = true;
      context.stopTraining = true;
    } else {
      context.learningRate = this.rateAt(this.points.length);
    }
  }
}

/** fastai's suggestions: where to start training, read off the smoothed loss against the rate. */
export interface LearningRateSuggestions {
  /** Middle of the longest stretch where the loss keeps falling (fastai's default suggestion). */
  valley: number;
  /** Where the loss falls fastest against log rate. */
  steepest: number;
}

/**
 * fastai's `valley` and `steep` on the points without the first tenth of the planned steps and the last five, and
 * before any non-finite loss; undefined when fewer than 3 points remain.
 *
 * @example
 * suggestLearningRates(test.points, 100)?.valley; // 1.2e-3
 */
export function suggestLearningRates(
  points: readonly RangePoint[],
  steps: number,
): LearningRateSuggestions | undefined {
  let kept = points.slice(Math.floor(steps / 10), Math.max(0, points.length - 5));
  const firstNaN = kept.findIndex((point) => !Number.isFinite(point.smoothed));
  if (firstNaN >= 0) kept = kept.slice(0, firstNaN);
  if (kept.length < 3) return undefined;
  const losses = kept.map((point) => point.smoothed);
  // valley: the longest decreasing subsequence ending at each point (fastai's O(n²) loop, kept as written).
  const lds = new Array<number>(losses.length).fill(1);
  let maxStart = 0;
  let maxEnd = 0;
  for (let i = 1; i < losses.length; i++) {
    for (let j = 0; j < i; j++) {
      if (losses[i]! < losses[j]! && lds[i]! < lds[j]! + 1) lds[i] = lds[j]! + 1;
      if (lds[maxEnd]! < lds[i]!) {
        maxEnd = i;
        maxStart = maxEnd - lds[maxEnd]!;
      }
    }
  }
  const sections = (maxEnd - maxStart) / 3;
  const valley = kept[maxStart + Math.trunc(sections) + Math.trunc(sections / 2)]!.lr;
  let steepestAt = 0;
  let steepestSlope = Number.POSITIVE_INFINITY;
  for (let i = 0; i + 1 < kept.length; i++) {
    const slope = (losses[i + 1]! - losses[i]!) / (Math.log(kept[i + 1]!.lr) - Math.log(kept[i]!.lr));
    if (slope < steepestSlope) {
      steepestSlope = slope;
      steepestAt = i;
    }
  }
  return { valley, steepest: kept[steepestAt]!.lr };
}
