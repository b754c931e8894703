/**
 * Checks that the class labels of predictions made elsewhere agree with one class table before they are scored.
 * `evaluatePredictions` builds its table from what it is given (the indices up to the largest, or the names found),
 * so a stray `true: 99` among 8 probability columns, or a name among indices, would silently grow the table (and
 * top-k and the AUCs would vanish with it); this says which line is wrong instead.
 */
import { UserError } from '../errors.ts';
import type { PredictionRecord } from './evaluate.ts';

/** A prediction and where it came from, for messages. */
export interface LocatedRecord {
  record: PredictionRecord;
  /** `file:line`. */
  where: string;
}

type Label = number | string;

const FIX_KIND = 'Fix: give every true and pred as a class index (0, 1, ...) or every one as a class name';

function labelsOf(record: PredictionRecord): ['true' | 'pred', Label][] {
  if (record.true === null || record.true === undefined || record.pred === null || record.pred === undefined) return [];
  return [
    ['true', record.true],
    ['pred', record.pred],
  ];
}

function shown(value: Label): string {
  return JSON.stringify(value);
}

/** Against `--classes`: indices inside its range, names from its list, probs one per class. */
function checkAgainstClasses(rows: readonly LocatedRecord[], classNames: readonly string[]): void {
  const listed = `--classes lists ${classNames.length} classes (${classNames.join(', ')})`;
  for (const { record, where } of rows) {
    for (const [field, value] of labelsOf(record)) {
      const known =
        typeof value === 'string' ? classNames.includes(value) : Number.isInteger(value) && value < classNames.length;
      if (!known) {
        throw new UserError(
          `${listed}, but ${where} has ${field} ${shown(value)}. Fix: list every class in --classes, in index order (${typeof value === 'number' ? `index ${value} needs at least ${value + 1} names` : `add '${value}'`}), or leave --classes out`,
        );
      }
    }
    const width = record.probs?.length;
    if (width !== undefined && labelsOf(record).length > 0 && width !== classNames.length) {
      throw new UserError(
        `${listed}, but ${where} has ${width} probs. Fix: one name in --classes per probability column`,
      );
    }
  }
}

/** Without `--classes`: one kind of label throughout, and as many probability columns as classes on every line. */
function checkConsistent(rows: readonly LocatedRecord[]): void {
  const labelled = rows.filter(({ record }) => labelsOf(record).length > 0);
  const first = labelled[0];
  if (first === undefined) return;
  const [, firstValue] = labelsOf(first.record)[0]!;
  const kind = typeof firstValue;
  for (const { record, where } of labelled) {
    for (const [field, value] of labelsOf(record)) {
      if (typeof value !== kind) {
        throw new UserError(
          `${where}: ${field} ${shown(value)} is a class ${typeof value === 'string' ? 'name' : 'index'}, but ${first.where} gives class ${kind === 'string' ? 'names' : 'indices'} (true ${shown(firstValue)}). ${FIX_KIND}, or pass --classes A,B,... to name the indices`,
        );
      }
    }
  }
  const withProbs = labelled.find(({ record }) => record.probs !== null && record.probs !== undefined);
  if (withProbs === undefined) return;
  const width = withProbs.record.probs!.length;
  for (const { record, where } of labelled) {
    const probs = record.probs?.length;
    if (probs !== width) {
      throw new UserError(
        `${where}: ${probs === undefined ? 'no probs' : `${probs} probs`}, but ${withProbs.where} has ${width}. Fix: one probability per class on every line (or none on any)`,
      );
    }
    if (kind === 'number') {
      for (const [field, value] of labelsOf(record)) {
        if ((value as number) >= width)
          throw new UserError(
            `${where}: ${field} ${value} is outside the ${width} classes that probs scores (0..${width - 1}). Fix: correct the label, or give one probability per class`,
          );
      }
    }
  }
  if (kind === 'string') {
    const names = new Set(labelled.flatMap(({ record }) => labelsOf(record).map(([, value]) => value)));
    if (names.size !== width) {
      throw new UserError(
        `${withProbs.where}: ${width} probs, but the labels name ${names.size} classes (${[...names].sort().join(', ')}), so which column is which class is unknown. Fix: pass --classes with one name per probability column, in column order`,
      );
    }
  }
}

/**
 * Throws a `UserError` naming the line (and `--classes` when given) whose labels do not fit the class table.
 *
 * @example
 * checkClassLabels(rows, ['Neutral', 'Happy']); // rows[i].where is 'preds.jsonl:3'
 */
export function checkClassLabels(rows: readonly LocatedRecord[], classNames?: readonly string[]): void {
  if (classNames === undefined) checkConsistent(rows);
  else checkAgainstClasses(rows, classNames);
}
