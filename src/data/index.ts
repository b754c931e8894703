/**
 * percept's data API: open a dataset in any docs/ARCHITECTURE.md §3 format, split it, stream batches, load time series,
 * inspect, and generate the synthetic AffectNet-style set.
 */
export * from './types.ts';
export { openDataset, parseFormat } from './open.ts';
export { detectFormat } from './detect.ts';
export { splitDataset, splitCounts, type SplitFractions, type DatasetSplit } from './split.ts';
export { imageBatches, type Batch, type ImageBatchOptions } from './batches.ts';
export { augmentImage, type AugmentOptions } from './augment.ts';
export { decodeImage, type RawImage } from './image.ts';
export { parseNpy, readNpyNumber, encodeNpy } from './npy.ts';
export { FASHION_MNIST_DIR, FASHION_MNIST_CLASSES } from './idx.ts';
export * from './timeseries.ts';
export { inspectDataset, type InspectReport } from './inspect.ts';
export { SYNTH_GENERATOR_VERSION, synthesizeFaces, type SynthOptions } from './synth/index.ts';
