/**
 * The image side of an experiment: open and split the dataset, feed the trainer (streaming decoded batches, or the
 * frozen base's features computed once when nothing can change them), and predict val and test.
 */
import type { LayersModel, Tensor } from '@tensorflow/tfjs';
import { tf } from '../tf.ts';
import { UserError } from '../errors.ts';
import {
  imageBatches,
  openDataset,
  splitDataset,
  splitCounts,
  type Batch as DataBatch,
  type DataItem,
  type Dataset,
  type DatasetSplit,
} from '../data/index.ts';
import type { AugmentOptions } from '../data/augment.ts';
import { describeProblems, verifyDataset } from '../data/verify.ts';
import type { ProblemLog } from '../data/problem_log.ts';
import { preprocess } from '../models/index.ts';
import { canCacheFeatures } from '../train/feature_cache.ts';
import { tensorSource } from '../train/tensor_source.ts';
import { seededPermutation } from '../random.ts';
import { predictorFor } from '../train/traced_predict.ts';
import type { Batch, BatchSource } from '../train/types.ts';
import { hashJson } from './cache_key.ts';
import type { ExperimentConfig } from './config.ts';
import type { ExperimentModel, Task } from './experiment_model.ts';
import { predictBatches, tensorBatches, type InputBatch, type Outputs } from './predict_batches.ts';
import type { Prediction, RunSplit } from './run_files.ts';

export interface ImageData {
  dataset: Dataset;
  split: DatasetSplit;
  /** Hash of what was trained on: format, classes, and each item's id, labels and split. */
  dataHash: string;
  splitFile: RunSplit;
}

/** A seeded subset of `limit` items, kept in dataset order (quick profiles). */
function limitItems(items: DataItem[], limit: number | undefined, seed: number): DataItem[] {
  if (limit === undefined || limit >= items.length) return items;
  const chosen = Array.from(seededPermutation(items.length, seed).subarray(0, limit)).sort((a, b) => a - b);
  return chosen.map((index) => items[index]!);
}

/** Refuses a classification task on fewer than two classes among the usable items (a one-class softmax learns nothing). */
function checkClasses(config: ExperimentConfig, dataset: Dataset): void {
  if (!config.model.head.tasks.includes('classification')) return;
  const found = [...new Set(dataset.items.map((item) => item.label!))];
  if (found.length >= 2) return;
  const name = dataset.classes[found[0]!] ?? String(found[0]);
  throw new UserError(
    `${config.data.path}: only one class found ('${name}', all ${dataset.items.length} usable items); model.head.tasks 'classification' needs at least 2. ` +
      `Fix: add items of other classes (for imagefolder, one folder per class), or drop 'classification' from model.head.tasks`,
  );
}

/** Refuses a split the config asks for that came out empty: a run without val cannot train, one without test is not scored. */
function checkSplits(config: ExperimentConfig, split: DatasetSplit, dataset: Dataset): void {
  const counts = `${dataset.items.length} usable items${dataset.problems.length > 0 ? `, ${dataset.problems.length} skipped` : ''}: train ${split.train.length}, val ${split.val.length}, test ${split.test.length}`;
  // Skipped items are the likely cause of an empty split (a pre-split train/ folder of broken files): name them.
  const skipped = dataset.problems.length > 0 ? `; skipped: ${describeProblems(dataset.problems, 2)}` : '';
  const repair =
    dataset.problems.length > 0
      ? `replace the unreadable files (percept data inspect ${config.data.path} lists them), `
      : '';
  for (const name of ['train', 'val'] as const) {
    if (split[name].length === 0)
      throw new UserError(
        `${config.data.path}: the ${name} split is empty (${counts})${skipped}. Fix: ${repair}add data, raise data.limit or data.split.${name}`,
      );
  }
  const test = config.data.split.test;
  if (test > 0 && split.test.length === 0) {
    throw new UserError(
      `${config.data.path}: data.split.test = ${test} gives no test item (${counts}). ` +
        `Fix: add data or raise data.split.test, or set data.split.test to 0 to train without a test set`,
    );
  }
}

/**
 * Opens, limits, decodes once and splits the config's dataset, so that the split holds only usable items; bad items
 * are skipped into `problems`.
 *
 * @example
 * const data = await loadImageData(config, problems); // data.split.train, data.dataHash
 */
export async function loadImageData(config: ExperimentConfig, problems: ProblemLog): Promise<ImageData> {
  if (config.data.format === 'timeseries') throw new Error('loadImageData: a time series config');
  const opened = await openDataset(config.data.path, { format: config.data.format });
  const { dataset } = await verifyDataset({
    ...opened,
    items: limitItems(opened.items, config.data.limit, config.seed),
  });
  problems.add(dataset.problems);
  const tasks = config.model.head.tasks;
  if (tasks.includes('forecast'))
    throw new UserError(
      `model.head.tasks: 'forecast' needs data.format 'timeseries', not '${dataset.format}'. Fix: use 'classification' or 'valence_arousal'`,
    );
  if (tasks.includes('classification') && dataset.items.some((item) => item.label === undefined)) {
    throw new UserError(
      `${config.data.path}: some items have no class label, which model.head.tasks 'classification' needs. Fix: label every item or drop the task`,
    );
  }
  if (tasks.includes('valence_arousal') && !dataset.items.some((item) => item.valence !== undefined)) {
    throw new UserError(
      `${config.data.path}: no item has valence/arousal, which model.head.tasks 'valence_arousal' needs. Fix: use an affectnet or csv dataset with valence and arousal`,
    );
  }
  checkClasses(config, dataset);
  const { train, val, test, stratify } = config.data.split;
  const split = splitDataset(dataset, { train, val, test, stratify, seed: config.seed });
  checkSplits(config, split, dataset);
  const counts = splitCounts(split, dataset.classes);
  const dataHash = hashJson({
    format: dataset.format,
    classes: dataset.classes,
    items: dataset.items.map((item) => [
      item.id,
      item.label ?? null,
      item.valence ?? null,
      item.arousal ?? null,
      item.split ?? null,
    ]),
  });
  const splitFile: RunSplit = {
    seed: config.seed,
    stratify,
    splits: Object.fromEntries(
      Object.entries(counts).map(([name, value]) => [name, { count: value.total, classes: value.classes }]),
    ),
  };
  return { dataset, split, dataHash, splitFile };
}

/** The config's augmentation in src/data's terms, or undefined when it does nothing. */
export function augmentOf(config: ExperimentConfig): AugmentOptions | undefined {
  const a = config.data.augment;
  if (!a.flip && a.rotation === 0 && a.zoom === 0 && a.brightness === 0 && a.contrast === 0) return undefined;
  return {
    flip: a.flip,
    rotation: a.rotation,
    brightness: a.brightness,
    contrast: a.contrast,
    ...(a.zoom > 0 ? { crop: { minScale: 1 - a.zoom } } : {}),
  };
}

/**
 * True when the config's base features cannot change during training (base frozen in every stage, no augmentation),
 * so they are computed once.
 *
 * @example
 * cachesFeatures(config); // true for configs/frozen_mobilenet_v2_classification.json
 */
export function cachesFeatures(config: ExperimentConfig): boolean {
  return (
    config.data.format !== 'timeseries' &&
    canCacheFeatures({
      freeze: config.model.freeze,
      augmented: augmentOf(config) !== undefined,
      stages: config.train.stages,
    })
  );
}

function targetsOf(batch: DataBatch, tasks: readonly Task[]): Tensor[] {
  const n = batch.ids.length;
  return tasks.map((task) => {
    if (task === 'classification') return tf.tensor1d(batch.labels!, 'int32');
    const pairs = new Float32Array(2 * n);
    for (let i = 0; i < n; i++) {
      pairs[2 * i] = batch.valence?.[i] ?? NaN;
      pairs[2 * i + 1] = batch.arousal?.[i] ?? NaN;
    }
    return tf.tensor2d(pairs, [n, 2]);
  });
}

interface Feed {
  model: ExperimentModel;
  size: number;
  batchSize: number;
  problems: ProblemLog;
}

/** Decoded, preprocessed batches of `items`; empty batches (all corrupt) are dropped after their problems are logged. */
async function* preparedBatches(
  items: readonly DataItem[],
  feed: Feed,
  order: { shuffle: boolean; seed: number; augment?: AugmentOptions },
): AsyncGenerator<{ batch: DataBatch; x: Tensor }> {
  const channels = feed.model.channels === 1 ? 1 : 3;
  for await (const batch of imageBatches(items, {
    size: feed.size,
    batchSize: feed.batchSize,
    channels,
    shuffle: order.shuffle,
    seed: order.seed,
    ...(order.augment === undefined ? {} : { augment: order.augment }),
  })) {
    feed.problems.add(batch.problems);
    if (batch.ids.length === 0) {
      batch.x.dispose();
      continue;
    }
    const x = preprocess(feed.model.preprocess, batch.x);
    batch.x.dispose();
    yield { batch, x };
  }
}

function streamSource(
  items: readonly DataItem[],
  feed: Feed,
  tasks: readonly Task[],
  order: { shuffle: boolean; seed: number; augment?: AugmentOptions },
): BatchSource {
  return {
    batchCount: Math.ceil(items.length / feed.batchSize),
    async *batches(epoch: number): AsyncIterable<Batch> {
      // seed + epoch: a new order and new augmentations each epoch, the same ones again on resume.
      for await (const { batch, x } of preparedBatches(items, feed, { ...order, seed: order.seed + epoch }))
        yield { x, targets: targetsOf(batch, tasks) };
    },
  };
}

/** The decoded, preprocessed batches of `items` in dataset order, as `predictBatches` takes them. */
async function* predictionInputs(items: readonly DataItem[], feed: Feed): AsyncGenerator<InputBatch> {
  for await (const { batch, x } of preparedBatches(items, feed, { shuffle: false, seed: 0 }))
    yield { ids: batch.ids, x };
}

/** Features of a frozen base for some items, with their targets and ids. */
interface CachedSplit {
  features: Tensor;
  targets: Tensor[];
  ids: string[];
}

async function extractSplit(
  items: readonly DataItem[],
  feed: Feed,
  tasks: readonly Task[],
): Promise<CachedSplit | undefined> {
  const parts: Tensor[] = [];
  const targets: Tensor[][] = tasks.map(() => []);
  const ids: string[] = [];
  for await (const { batch, x } of preparedBatches(items, feed, { shuffle: false, seed: 0 })) {
    parts.push(predictorFor(feed.model.base).predict(x)[0]!);
    x.dispose();
    targetsOf(batch, tasks).forEach((target, i) => targets[i]!.push(target));
    ids.push(...batch.ids);
  }
  if (parts.length === 0) return undefined;
  const concat = (list: Tensor[]): Tensor => {
    const joined = list.length === 1 ? list[0]! : tf.concat(list);
    if (list.length > 1) tf.dispose(list);
    return joined;
  };
  return { features: concat(parts), targets: targets.map(concat), ids };
}

function predictionRecords(
  split: string,
  outputs: Outputs,
  tasks: readonly Task[],
  byId: ReadonlyMap<string, DataItem>,
): Prediction[] {
  return outputs.ids.map((id, row) => {
    const item = byId.get(id)!;
    const record: Prediction = { id, split };
    tasks.forEach((task, i) => {
      const values = outputs.values[i]![row]!;
      if (task === 'classification') {
        record.true = item.label ?? null;
        record.pred = values.indexOf(Math.max(...values));
        record.probs = values;
      } else {
        record.valence = item.valence ?? null;
        record.arousal = item.arousal ?? null;
        record.predValence = values[0]!;
        record.predArousal = values[1]!;
      }
    });
    return record;
  });
}

/** What the experiment trains on, and how it predicts afterwards. */
export interface ImageTraining {
  /** The model the trainer updates: the full model, or the head alone on cached features. */
  trainModel: LayersModel;
  train: BatchSource;
  validation: BatchSource;
  /** True when the head trains on features computed once (frozen base, no augmentation). */
  cachedFeatures: boolean;
  /** Val and test predictions of the trained model. */
  predict(): Promise<Prediction[]>;
  dispose(): void;
}

/**
 * Sets up training on images: cached base features when the config allows it (frozen base for every stage, no
 * augmentation), streaming decoded batches otherwise.
 *
 * @example
 * const run = await imageTraining(config, data, model, problems);
 * await train({ model: run.trainModel, train: run.train, validation: run.validation, ... });
 */
export async function imageTraining(
  config: ExperimentConfig,
  data: ImageData,
  model: ExperimentModel,
  problems: ProblemLog,
): Promise<ImageTraining> {
  const tasks = config.model.head.tasks;
  const feed: Feed = { model, size: model.input[0]!, batchSize: config.train.batchSize, problems };
  const augment = augmentOf(config);
  const byId = new Map(data.dataset.items.map((item) => [item.id, item]));
  const splits = ['val', 'test'] as const;
  if (!cachesFeatures(config)) {
    return {
      trainModel: model.model,
      train: streamSource(data.split.train, feed, tasks, {
        shuffle: true,
        seed: config.seed,
        ...(augment === undefined ? {} : { augment }),
      }),
      validation: streamSource(data.split.val, feed, tasks, { shuffle: false, seed: 0 }),
      cachedFeatures: false,
      async predict() {
        const records: Prediction[] = [];
        for (const split of splits)
          records.push(
            ...predictionRecords(
              split,
              await predictBatches(model.model, predictionInputs(data.split[split], feed)),
              tasks,
              byId,
            ),
          );
        return records;
      },
      dispose() {},
    };
  }
  const cached: Partial<Record<'train' | 'val' | 'test', CachedSplit>> = {};
  for (const split of ['train', 'val', 'test'] as const) {
    const extracted = await extractSplit(data.split[split], feed, tasks);
    if (extracted !== undefined) cached[split] = extracted;
  }
  const empty = (['train', 'val'] as const).find((split) => cached[split] === undefined);
  if (empty !== undefined)
    throw new UserError(
      `${config.data.path}: no image of the ${empty} split could be decoded. Fix: check the images (percept data inspect)`,
    );
  const batchSize = config.train.batchSize;
  const all = Object.values(cached);
  return {
    trainModel: model.head,
    train: tensorSource(cached.train!.features, cached.train!.targets, { batchSize, shuffle: true, seed: config.seed }),
    validation: tensorSource(cached.val!.features, cached.val!.targets, { batchSize }),
    cachedFeatures: true,
    async predict() {
      const records: Prediction[] = [];
      for (const split of splits) {
        const part = cached[split];
        if (part === undefined) continue;
        records.push(
          ...predictionRecords(
            split,
            await predictBatches(model.head, tensorBatches(part.features, part.ids, batchSize)),
            tasks,
            byId,
          ),
        );
      }
      return records;
    },
    dispose() {
      tf.dispose(all.flatMap((part) => [part.features, ...part.targets]));
    },
  };
}
