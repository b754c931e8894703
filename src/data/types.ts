/**
 * The data contract every reader produces and every consumer (splits, batches, trainer, inspect) reads.
 * Items are plain JSON-serialisable records, so a run can save its split and a report can show it.
 */

/** Formats of docs/ARCHITECTURE.md §3 that hold images. */
export const IMAGE_FORMATS = ['affectnet', 'imagefolder', 'csv', 'idx'] as const;
export type ImageFormat = (typeof IMAGE_FORMATS)[number];
/** Every format `percept data inspect --format` accepts. */
export const DATA_FORMATS = [...IMAGE_FORMATS, 'timeseries'] as const;
export type DataFormat = (typeof DATA_FORMATS)[number];

export type SplitName = 'train' | 'val' | 'test';
export const SPLIT_NAMES: readonly SplitName[] = ['train', 'val', 'test'];

/** AffectNet's 8 expression classes, in the order of its `_exp.npy` codes (Mollahosseini et al. 2017). */
export const AFFECTNET_CLASSES = [
  'Neutral',
  'Happy',
  'Sad',
  'Surprise',
  'Fear',
  'Disgust',
  'Anger',
  'Contempt',
] as const;

/** AffectNet's valence/arousal code for 'uncertain': kept in the item, excluded from regression only. */
export const UNCERTAIN_AFFECT = -2;

/**
 * One usable example.
 *
 * @example
 * const item: DataItem = { id: '17', file: 'data/images/17.jpg', label: 1, valence: 0.62, arousal: 0.2 };
 */
export interface DataItem {
  /** Unique within the dataset (AffectNet id, path relative to the root, or `train/123` for idx). */
  id: string;
  /** Image file (absolute or relative to the process's working directory). */
  file?: string;
  /** Record number inside `file` when the file holds many images (idx). */
  index?: number;
  /** Class index into `Dataset.classes`. */
  label?: number;
  /** In [-1, 1], or `UNCERTAIN_AFFECT` (-2) when the annotator was unsure: batches turn -2 into NaN. */
  valence?: number;
  /** In [-1, 1], or `UNCERTAIN_AFFECT` (-2). */
  arousal?: number;
  /** Set when the source itself is split (pre-split folders, idx's official test set). */
  split?: SplitName;
}

/** A skipped item or a suspicious part of the source, with why. */
export interface Problem {
  file: string;
  reason: string;
}

/**
 * What a reader returns: the usable items and every problem it skipped.
 *
 * @example
 * const dataset = await openDataset('data/synth');
 * dataset.classes[dataset.items[0].label!]; // 'Happy'
 */
export interface Dataset {
  format: ImageFormat;
  /** The path the dataset was opened from. */
  root: string;
  classes: string[];
  items: DataItem[];
  problems: Problem[];
  /** True when every item carries its `split` from the source. */
  presplit: boolean;
}
