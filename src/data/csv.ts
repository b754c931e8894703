/**
 * The CSV manifest (docs/ARCHITECTURE.md §3): a header `path,label[,valence,arousal][,split]`, paths relative to the CSV.
 * Labels are class names, or integers (then the classes are named '0'..'max').
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { UserError } from '../errors.ts';
import { parseCsv } from './csv_text.ts';
import { compareNames } from './listing.ts';
import { SPLIT_NAMES, UNCERTAIN_AFFECT, type DataItem, type Dataset, type Problem, type SplitName } from './types.ts';

/** True when the CSV's header has a `path` column (a manifest rather than a time series). */
export function isManifestHeader(header: readonly string[]): boolean {
  return header.some((name) => name.toLowerCase() === 'path');
}

interface Row {
  line: number;
  /** The path as the manifest writes it. */
  id: string;
  file: string;
  label: string;
  valence: string | undefined;
  arousal: string | undefined;
  split: string | undefined;
}

function parseAffect(name: string, text: string | undefined): number | string | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  const value = Number(text);
  if (Number.isNaN(value)) return `${name} '${text}' is not a number`;
  if (value !== UNCERTAIN_AFFECT && (value < -1 || value > 1))
    return `${name} ${value} out of range [-1, 1] (or -2 for uncertain)`;
  return value;
}

/**
 * Reads a CSV manifest.
 *
 * @example
 * const dataset = await readCsvManifest('data/manifest.csv'); // rows like 'img/1.jpg,Happy,0.6,0.2'
 */
export async function readCsvManifest(file: string): Promise<Dataset> {
  const table = parseCsv(readFileSync(file, 'utf8'));
  const column = (name: string): number => table.header.findIndex((header) => header.toLowerCase() === name);
  const [pathAt, labelAt, valenceAt, arousalAt, splitAt] = ['path', 'label', 'valence', 'arousal', 'split'].map(
    column,
  ) as [number, number, number, number, number];
  if (pathAt < 0 || labelAt < 0) {
    throw new UserError(
      `${file}: header '${table.header.join(',')}' lacks a path and a label column. Fix: start the file with 'path,label[,valence,arousal]'`,
    );
  }
  const base = dirname(file);
  const problems: Problem[] = [];
  const rows: Row[] = [];
  const seen = new Set<string>();
  for (const { line, cells } of table.rows) {
    const path = cells[pathAt]?.trim() ?? '';
    const where = `${file}:${line}`;
    const image = resolve(base, path);
    const get = (at: number): string | undefined => (at < 0 ? undefined : cells[at]?.trim());
    if (path === '') problems.push({ file: where, reason: 'empty path' });
    else if (seen.has(path)) problems.push({ file: where, reason: `duplicate id ${path}` });
    else if (!existsSync(image)) problems.push({ file: image, reason: `missing image (listed at line ${line})` });
    else if (statSync(image).size === 0) problems.push({ file: image, reason: 'zero-byte image' });
    else if ((get(labelAt) ?? '') === '') problems.push({ file: where, reason: 'empty label' });
    else {
      seen.add(path);
      rows.push({
        line,
        id: path,
        file: image,
        label: get(labelAt)!,
        valence: get(valenceAt),
        arousal: get(arousalAt),
        split: get(splitAt),
      });
    }
  }
  const numeric = rows.every((row) => /^\d+$/.test(row.label));
  const classes = numeric
    ? Array.from({ length: Math.max(-1, ...rows.map((row) => Number(row.label))) + 1 }, (_, i) => String(i))
    : [...new Set(rows.map((row) => row.label))].sort(compareNames);
  const items: DataItem[] = [];
  for (const row of rows) {
    const valence = parseAffect('valence', row.valence);
    const arousal = parseAffect('arousal', row.arousal);
    const split = row.split === undefined || row.split === '' ? undefined : row.split;
    if (typeof valence === 'string' || typeof arousal === 'string')
      problems.push({
        file: `${file}:${row.line}`,
        reason: [valence, arousal].find((value) => typeof value === 'string') as string,
      });
    else if (split !== undefined && !SPLIT_NAMES.includes(split as SplitName))
      problems.push({ file: `${file}:${row.line}`, reason: `split '${split}' is not train, val or test` });
    else {
      items.push({
        id: row.id,
        file: row.file,
        label: classes.indexOf(row.label),
        ...(valence === undefined ? {} : { valence }),
        ...(arousal === undefined ? {} : { arousal }),
        ...(split === undefined ? {} : { split: split as SplitName }),
      });
    }
  }
  const presplit = items.length > 0 && items.every((item) => item.split !== undefined);
  return { format: 'csv', root: file, classes, items, problems, presplit };
}
