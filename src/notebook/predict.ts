/**
 * `percept predict` in a notebook: a trained run on new images, with progress updated in place and the first images
 * shown in a labelled grid. It returns every prediction, so it suits the hundreds of images a notebook looks at; for
 * a whole folder of tens of thousands the CLI streams to a file.
 */
import type { Problem } from '../data/types.ts';
import { listPredictInputs } from '../runs/predict_inputs.ts';
import {
  openRunPredictor,
  predictImages,
  predictionCaption,
  type ImagePrediction,
  type PredictImagesOptions,
} from '../runs/predict_images.ts';
import { countProgress, formatCount } from '../train/progress.ts';
import { DisplayHandle, showImageGrid, type GridImage } from './display.ts';

export interface NotebookPredictOptions extends Omit<PredictImagesOptions, 'thumbnails'> {
  /** Images shown in the grid. Default 16; 0 shows none. */
  grid?: number;
}

/** Every prediction, in input order, and the images skipped with why. */
export interface NotebookPredictions {
  predictions: ImagePrediction[];
  skipped: Problem[];
}

/**
 * Predicts image files, folders (recursively) or CSV manifests with the run in `runDir`.
 *
 * @example
 * const { predictions } = await predict('runs/mobilenetv2', ['my_faces/'], { top: 3 });
 */
export async function predict(
  runDir: string,
  inputs: readonly string[],
  options: NotebookPredictOptions = {},
): Promise<NotebookPredictions> {
  const { grid: gridCount = 16, ...predictOptions } = options;
  const listed = listPredictInputs(inputs);
  const predictor = await openRunPredictor(runDir);
  const status = new DisplayHandle();
  const advance = countProgress(listed.items.length, (event) => {
    const line = formatCount('predicting', event);
    status.show({ 'text/plain': line, 'text/html': `<div style="font-family:monospace">${line}</div>` });
  });
  const result: NotebookPredictions = { predictions: [], skipped: [...listed.problems] };
  const grid: GridImage[] = [];
  try {
    for await (const batch of predictImages(predictor, listed.items, { ...predictOptions, thumbnails: gridCount })) {
      result.predictions.push(...batch.predictions);
      result.skipped.push(...batch.problems);
      batch.thumbnails.forEach((bytes, i) => grid.push({ bytes, caption: predictionCaption(batch.predictions[i]!) }));
      advance(batch.predictions.length + batch.problems.length);
    }
  } finally {
    predictor.dispose();
  }
  if (grid.length > 0) showImageGrid(grid, { title: `Predictions of ${predictor.name}` });
  return result;
}
