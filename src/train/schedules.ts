/**
 * Learning-rate schedules by epoch. `step` and `cosine` are functions of the epoch within a stage; `plateau` reacts
 * to the monitored value and lives in callbacks.ts (ReduceLrOnPlateau). tfjs has none of these and keeps
 * `learningRate` protected: LearningRateSchedule (callbacks.ts) sets each epoch's rate on the training context, and the
 * trainer hands it to the optimizer (optimizers.ts).
 */

export type ScheduleConfig =
  | { name: 'constant' }
  /** Multiplies the rate by `gamma` every `stepSize` epochs (PyTorch StepLR). */
  | { name: 'step'; stepSize: number; gamma: number }
  /** Cosine annealing from the base rate to `minLr` over the stage (Loshchilov & Hutter 2017, SGDR, without restarts). */
  | { name: 'cosine'; minLr: number }
  /** Reduce on plateau; see ReduceLrOnPlateau for the fields. */
  | { name: 'plateau'; monitor: string; factor: number; patience: number; minLr: number };

/**
 * The learning rate for `epoch` (0-based, within a stage of `epochs` epochs) that starts at `baseLr`;
 * undefined for `plateau`, whose rate only its callback changes.
 *
 * @example
 * scheduledRate({ name: 'step', stepSize: 10, gamma: 0.1 }, 1e-3, 25, 30); // 1e-5
 */
export function scheduledRate(
  schedule: ScheduleConfig,
  baseLr: number,
  epoch: number,
  epochs: number,
): number | undefined {
  switch (schedule.name) {
    case 'constant':
      return baseLr;
    case 'step':
      return baseLr * schedule.gamma ** Math.floor(epoch / schedule.stepSize);
    case 'cosine':
      return schedule.minLr + 0.5 * (baseLr - schedule.minLr) * (1 + Math.cos((Math.PI * epoch) / Math.max(1, epochs)));
    case 'plateau':
      return undefined;
  }
}
