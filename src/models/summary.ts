/**
 * A Keras-style model summary (`model.summary(show_trainable=True)`): one row per layer with its name, Keras class,
 * output shape, parameter count and trainable flag, then the totals.
 */
import type { LayersModel } from '@tensorflow/tfjs';
import { countParams } from './params.ts';

/** One layer of the summary. */
export interface SummaryRow {
  name: string;
  /** Keras's class name ('TFOpLambda' for percept's scalar-op layers, as Keras builds them). */
  type: string;
  /** As Keras prints it: `(None, 7, 7, 1280)`. */
  outputShape: string;
  params: number;
  trainable: boolean;
}

type Layer = LayersModel['layers'][number];

/**
 * The class Keras gives a layer: percept's stand-ins for Keras's op layers say it with a static `kerasClassName`.
 *
 * @example
 * kerasClassName(model.getLayer('tf.math.multiply')); // 'TFOpLambda'
 */
export function kerasClassName(layer: Layer): string {
  return (layer.constructor as { kerasClassName?: string }).kerasClassName ?? layer.getClassName();
}

function shapeText(shape: Layer['outputShape']): string {
  const one = (dims: readonly (number | null)[]): string =>
    `(${dims.map((dim) => (dim === null ? 'None' : String(dim))).join(', ')})`;
  const list = shape as readonly unknown[];
  return Array.isArray(list[0])
    ? `[${(list as (number | null)[][]).map(one).join(', ')}]`
    : one(shape as (number | null)[]);
}

/**
 * The summary's rows, in `model.layers` order.
 *
 * @example
 * summaryRows(model).filter((row) => !row.trainable).length; // frozen layers
 */
export function summaryRows(model: LayersModel): SummaryRow[] {
  return model.layers.map((layer) => ({
    name: layer.name,
    type: kerasClassName(layer),
    outputShape: shapeText(layer.outputShape),
    params: layer.countParams(),
    trainable: layer.trainable,
  }));
}

const grouped = (n: number): string => n.toLocaleString('en-US');

/**
 * The summary as Keras prints it, with a Trainable column (Y/N) and the parameter totals.
 *
 * @example
 * process.stdout.write(summaryText(buildArchitecture('vgg16', { inputSize: 224, includeTop: true })));
 */
export function summaryText(model: LayersModel): string {
  const rows = summaryRows(model);
  const header = ['Layer (type)', 'Output Shape', 'Param #', 'Trainable'];
  const cells = rows.map((row) => [
    `${row.name} (${row.type})`,
    row.outputShape,
    String(row.params),
    row.trainable ? 'Y' : 'N',
  ]);
  const widths = header.map((title, i) => Math.max(title.length, ...cells.map((cell) => cell[i]!.length)));
  const line = (cell: string[]): string =>
    cell
      .map((text, i) => text.padEnd(widths[i]!))
      .join('   ')
      .trimEnd();
  const rule = (char: string): string =>
    char.repeat(widths.reduce((sum, width) => sum + width, 0) + 3 * (widths.length - 1));
  const counts = countParams(model);
  return [
    `Model: "${model.name}"`,
    rule('_'),
    line(header),
    rule('='),
    ...cells.map(line),
    rule('='),
    `Total params: ${grouped(counts.total)}`,
    `Trainable params: ${grouped(counts.trainable)}`,
    `Non-trainable params: ${grouped(counts.nonTrainable)}`,
    rule('_'),
    '',
  ].join('\n');
}
