/**
 * A trained run on new images: its saved model (`model/`), its architecture's preprocessing and its input size and
 * channels from `summary.json`, its class names, and its tasks in output order from `config.json`. Images are
 * decoded and resized by the same batches the run was trained and scored with (src/data/batches.ts), so a run's own
 * test image gets the probabilities the run saved for it; predictions stream out batch by batch, so memory stays
 * flat however many images are given.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { LayersModel, Tensor } from '@tensorflow/tfjs';
import { tf } from '../tf.ts';
import { UserError } from '../errors.ts';
import { imageBatches, type DataItem, type Problem } from '../data/index.ts';
import { architectures, preprocess } from '../models/index.ts';
import { loadLayersModel } from '../models/model_files.ts';
import type { PreprocessName } from '../models/types.ts';
import { TracedPredictor } from '../train/traced_predict.ts';
import { pngThumbnail } from './examples.ts';
import type { Task } from './experiment_model.ts';
import { isSeriesRun, readRun } from './run_files.ts';

/** A run's model with what it needs to predict an image file. */
export interface RunPredictor {
  /** The run's name. */
  name: string;
  model: LayersModel;
  /** The model's outputs, in order. */
  tasks: readonly Task[];
  /** Class names in index order (classification runs; otherwise empty). */
  classNames: readonly string[];
  /** Side of the square input. */
  size: number;
  channels: 1 | 3;
  preprocess: PreprocessName;
  /** The model's outputs (one tensor per task) for a preprocessed batch; the caller disposes them. */
  predict(x: Tensor): Tensor[];
  /** Frees the model and its traced functions. */
  dispose(): void;
}

/**
 * Loads the model of the finished run in `dir`. A folder that is not a finished run, a series run, or a run without
 * a saved model is a user error that says so and how to get one.
 *
 * @example
 * const predictor = await openRunPredictor('runs/mobilenetv2');
 */
export async function openRunPredictor(dir: string): Promise<RunPredictor> {
  const run = readRun(dir);
  if (isSeriesRun(run))
    throw new UserError(
      `${dir}: a time-series run ('${run.summary.arch}' forecasting); percept predict takes image runs. Fix: give the folder of an image run`,
    );
  const modelJson = join(dir, 'model', 'model.json');
  if (!existsSync(modelJson))
    throw new UserError(
      `${modelJson}: missing, so ${dir} has no saved model. Fix: train the run again with 'percept train' (a finished run saves model/)`,
    );
  const [size, , channels] = run.summary.input as [number, number, number];
  if (channels !== 1 && channels !== 3)
    throw new UserError(`${dir}/summary.json: input ${JSON.stringify(run.summary.input)} is not an image input`);
  const model = await loadLayersModel(modelJson);
  // A predictor of its own, not `predictorFor`'s shared one: its traced functions go when this run is closed.
  const traced = new TracedPredictor(model);
  return {
    name: run.name,
    model,
    tasks: run.config.model.head.tasks,
    classNames: run.summary.classNames ?? [],
    size,
    channels,
    preprocess: architectures.get(run.summary.arch).preprocess,
    predict: (x) => traced.predict(x),
    dispose: () => {
      traced.dispose();
      model.dispose();
    },
  };
}

/** One class with its probability. */
export interface ClassScore {
  class: string;
  index: number;
  prob: number;
}

/** What the model says about one image. */
export interface ImagePrediction {
  /** The image's path, as reached from the input it came from. */
  file: string;
  /** The `top` most probable classes, most probable first (classification runs). */
  top?: ClassScore[];
  /** Every class's probability in index order, when asked for (`allProbabilities`). */
  probs?: number[];
  /** Valence and arousal (runs with a valence/arousal head). */
  valence?: number;
  arousal?: number;
}

/** One batch of results: its predictions in input order, the images it skipped, and the thumbnails asked for. */
export interface PredictedBatch {
  predictions: ImagePrediction[];
  problems: Problem[];
  /** PNG thumbnails (the model's input, before preprocessing) of the first `thumbnails` predictions overall. */
  thumbnails: Uint8Array[];
}

export interface PredictImagesOptions {
  /** Classes listed per image. Default min(5, classes). */
  top?: number;
  /** Also give every class's probability. Default false. */
  allProbabilities?: boolean;
  /** Images per batch. Default 32. */
  batchSize?: number;
  /** How many of the first images get a PNG thumbnail, for grids. Default 0. */
  thumbnails?: number;
}

/**
 * How many classes each prediction lists: `top` (default 5), at most the run's class count.
 *
 * @example
 * topCount(predictor, 10); // 8 for AffectNet's 8 classes
 */
export function topCount(predictor: Pick<RunPredictor, 'classNames'>, top?: number): number {
  return Math.min(top ?? 5, predictor.classNames.length);
}

function topClasses(probs: readonly number[], names: readonly string[], k: number): ClassScore[] {
  return probs
    .map((prob, index) => ({ class: names[index] ?? String(index), index, prob }))
    .sort((a, b) => b.prob - a.prob || a.index - b.index)
    .slice(0, k);
}

/**
 * Predicts `items` batch by batch in inference mode. An image that cannot be decoded is skipped and reported in its
 * batch's `problems`; nothing is held between batches but the thumbnails asked for.
 *
 * @example
 * for await (const batch of predictImages(predictor, listPredictInputs(['photos/']).items, { top: 3 }))
 *   for (const p of batch.predictions) console.log(p.file, p.top?.[0]?.class);
 */
export async function* predictImages(
  predictor: RunPredictor,
  items: readonly DataItem[],
  options: PredictImagesOptions = {},
): AsyncGenerator<PredictedBatch> {
  const k = topCount(predictor, options.top);
  let thumbnailsLeft = options.thumbnails ?? 0;
  const { size, channels } = predictor;
  for await (const batch of imageBatches(items, { size, batchSize: options.batchSize ?? 32, channels })) {
    let outputs: number[][][];
    let raw: Float32Array | undefined;
    try {
      if (batch.ids.length === 0) {
        yield { predictions: [], problems: batch.problems, thumbnails: [] };
        continue;
      }
      const x = preprocess(predictor.preprocess, batch.x);
      let predicted: Tensor[];
      try {
        predicted = predictor.predict(x);
      } finally {
        x.dispose();
      }
      outputs = predicted.map((tensor) => tensor.arraySync() as number[][]);
      tf.dispose(predicted);
      if (thumbnailsLeft > 0) raw = batch.x.dataSync() as Float32Array;
    } finally {
      batch.x.dispose();
    }
    const pixels = size * size * channels;
    const thumbnails: Uint8Array[] = [];
    for (let row = 0; row < batch.ids.length && thumbnailsLeft > 0 && raw !== undefined; row++, thumbnailsLeft--)
      thumbnails.push(await pngThumbnail(raw.subarray(row * pixels, (row + 1) * pixels), size, channels));
    const predictions = batch.ids.map((file, row) => {
      const prediction: ImagePrediction = { file };
      predictor.tasks.forEach((task, output) => {
        const values = outputs[output]![row]!;
        if (task === 'classification') {
          prediction.top = topClasses(values, predictor.classNames, k);
          if (options.allProbabilities === true) prediction.probs = values;
        } else if (task === 'valence_arousal') {
          prediction.valence = values[0]!;
          prediction.arousal = values[1]!;
        }
      });
      return prediction;
    });
    yield { predictions, problems: batch.problems, thumbnails };
  }
}

/**
 * A grid caption for a prediction: the top class with its probability, and valence/arousal where predicted.
 *
 * @example
 * predictionCaption({ file: 'a.jpg', top: [{ class: 'Happy', index: 1, prob: 0.91 }] }); // 'Happy 0.91'
 */
export function predictionCaption(prediction: ImagePrediction): string {
  const best = prediction.top?.[0];
  const parts = [
    ...(best === undefined ? [] : [`${best.class} ${best.prob.toFixed(2)}`]),
    ...(prediction.valence === undefined
      ? []
      : [`V ${prediction.valence.toFixed(2)} A ${(prediction.arousal ?? Number.NaN).toFixed(2)}`]),
  ];
  return parts.join(' · ');
}
