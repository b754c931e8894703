import type { LayersModel } from '@tensorflow/tfjs';

export interface ParamCounts {
  total: number;
  trainable: number;
  nonTrainable: number;
}

/** Parameter counts as Keras's `model.summary()` reports them (moving statistics are non-trainable). */
export function countParams(model: LayersModel): ParamCounts {
  const size = (shape: readonly (number | null)[]): number => shape.reduce<number>((a, b) => a * (b ?? 0), 1);
  const trainable = model.trainableWeights.reduce((sum, weight) => sum + size(weight.shape), 0);
  const nonTrainable = model.nonTrainableWeights.reduce((sum, weight) => sum + size(weight.shape), 0);
  return { total: trainable + nonTrainable, trainable, nonTrainable };
}
