/**
 * Format auto-detection from what is on disk (docs/ARCHITECTURE.md §3 layouts).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { extname } from 'node:path';
import { UserError } from '../errors.ts';
import { affectNetSplitFolders, isAffectNetFolder } from './affectnet.ts';
import { isManifestHeader } from './csv.ts';
import { parseCsvRows } from './csv_text.ts';
import { isIdxPath } from './idx.ts';
import { imageFolderSplits } from './imagefolder.ts';
import { subfolders } from './listing.ts';
import type { DataFormat } from './types.ts';

/** What each format expects, for messages. */
export const FORMAT_LAYOUTS: Record<DataFormat, string> = {
  affectnet: 'DIR/images/<id>.jpg with DIR/annotations/<id>_exp.npy, _val.npy, _aro.npy',
  imagefolder: 'DIR/<class>/*.jpg or DIR/{train,val,test}/<class>/*.jpg',
  csv: "a CSV manifest with header 'path,label[,valence,arousal]'",
  idx: 'MNIST-style *-images-idx3-ubyte(.gz) with *-labels-idx1-ubyte(.gz)',
  timeseries: 'a CSV or JSON file with a date column and a value column',
};

/** Every layout, one per line, for a message that says what was expected. */
export function expectedLayouts(): string {
  return Object.entries(FORMAT_LAYOUTS)
    .map(([format, layout]) => `${format}: ${layout}`)
    .join('; ');
}

/**
 * The format of `path`, from its layout.
 *
 * @example
 * detectFormat('/usr/share/datasets/fashion-mnist'); // 'idx'
 */
export function detectFormat(path: string): DataFormat {
  if (!existsSync(path))
    throw new UserError(`${path}: no such file or folder. Fix: pass a dataset path (${expectedLayouts()})`);
  if (statSync(path).isFile()) {
    const extension = extname(path).toLowerCase();
    if (isIdxPath(path)) return 'idx';
    if (extension === '.json') return 'timeseries';
    if (extension === '.csv') {
      const header =
        parseCsvRows(
          readFileSync(path, 'utf8')
            .split('\n', 1)[0]!
            .replace(/^\uFEFF/, ''),
        )[0]?.cells ?? [];
      return isManifestHeader(header.map((cell) => cell.trim())) ? 'csv' : 'timeseries';
    }
    throw new UserError(
      `${path}: cannot tell the format of a '${extension}' file. Fix: pass a .csv/.json file, an idx file or a dataset folder (${expectedLayouts()})`,
    );
  }
  if (isAffectNetFolder(path) || affectNetSplitFolders(path).length > 0) return 'affectnet';
  if (isIdxPath(path)) return 'idx';
  const splits = imageFolderSplits(path);
  if (subfolders(splits.length > 0 ? `${path}/${splits[0]}` : path).length > 0) return 'imagefolder';
  throw new UserError(
    `${path}: no known dataset layout found. Fix: arrange it as one of ${expectedLayouts()}, or pass --format`,
  );
}
