/**
 * Opening an image dataset in any docs/ARCHITECTURE.md §3 format, detected from its layout or forced.
 */
import { UserError } from '../errors.ts';
import { readAffectNet } from './affectnet.ts';
import { readCsvManifest } from './csv.ts';
import { detectFormat, FORMAT_LAYOUTS } from './detect.ts';
import { readIdxDataset } from './idx.ts';
import { readImageFolder } from './imagefolder.ts';
import { describeProblems } from './verify.ts';
import { DATA_FORMATS, type DataFormat, type Dataset, type ImageFormat } from './types.ts';

const READERS: Record<ImageFormat, (path: string) => Promise<Dataset>> = {
  affectnet: readAffectNet,
  imagefolder: readImageFolder,
  csv: readCsvManifest,
  idx: readIdxDataset,
};

/** Checks a `--format` / config value. */
export function parseFormat(value: string): DataFormat {
  if (!(DATA_FORMATS as readonly string[]).includes(value))
    throw new UserError(`unknown data format '${value}'. Valid: ${DATA_FORMATS.join(', ')}`);
  return value as DataFormat;
}

/**
 * Opens an image dataset, detecting its format unless given. Bad items are skipped and listed in `problems`;
 * a dataset with no usable item is a `UserError` that names the path and the layout expected.
 *
 * @example
 * const dataset = await openDataset('/usr/share/datasets/fashion-mnist'); // format 'idx', 70,000 items
 */
export async function openDataset(path: string, options: { format?: DataFormat } = {}): Promise<Dataset> {
  const format = options.format ?? detectFormat(path);
  if (format === 'timeseries')
    throw new UserError(
      `${path}: a time series is not an image dataset. Fix: load it with loadSeries(), or pass --format for an image layout`,
    );
  let dataset: Dataset;
  try {
    dataset = await READERS[format](path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ENOTDIR' && code !== 'EISDIR') throw error;
    throw new UserError(
      `${path}: not readable as ${format} (${FORMAT_LAYOUTS[format]} expected): ${(error as Error).message}`,
    );
  }
  if (dataset.items.length === 0) {
    const problems = dataset.problems.length > 0 ? `; problems: ${describeProblems(dataset.problems)}` : '';
    throw new UserError(`${path}: no usable item as ${format} (${FORMAT_LAYOUTS[format]} expected)${problems}`);
  }
  return dataset;
}
