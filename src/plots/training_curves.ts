/**
 * Training graphs: loss and each logged metric per epoch, train against validation, with the epoch whose weights were
 * kept (early stopping / restore-best) and each step change of the learning rate marked.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { Run } from '../runs/run_files.ts';
import { HALF_WIDTH, PLOT_CONFIG, round } from './common.ts';

/** Figures logged with a validation twin (`loss` and `val_loss`, `acc` and `val_acc`), loss first. */
export function curveNames(run: Run): string[] {
  const logs = run.history?.epochs[0]?.logs ?? {};
  const names = Object.keys(logs).filter((key) => !key.startsWith('val_'));
  return names.sort((a, b) => Number(b === 'loss') - Number(a === 'loss'));
}

/** An epoch at which the learning rate differs from the epoch before, with both rates. */
export interface RateChange {
  epoch: number;
  from: number;
  to: number;
}

/** Every change of the learning rate between consecutive epochs. */
export function rateChanges(run: Run): RateChange[] {
  const epochs = run.history?.epochs ?? [];
  return epochs
    .slice(1)
    .flatMap((e, i) => (e.lr !== epochs[i]!.lr ? [{ epoch: e.epoch, from: epochs[i]!.lr, to: e.lr }] : []));
}

/**
 * Rate changes worth a rule each: step decays, plateaus and fine-tuning stages change the rate a few times; a
 * schedule that changes it more often (cosine changes it every epoch) would draw a rule and a label per epoch, an
 * unreadable comb, so such schedules get none (the report's training table lists their rates).
 */
const MAX_MARKED_RATE_CHANGES = 4;

function markedRateChanges(run: Run): RateChange[] {
  const changes = rateChanges(run);
  return changes.length <= MAX_MARKED_RATE_CHANGES ? changes : [];
}

/**
 * One panel per logged figure (loss, acc, mae...), lines for train and validation, a dashed rule at the best epoch
 * and at each step change of the learning rate.
 *
 * @example
 * const spec = trainingCurves(readRun('runs/mobilenetv2'));
 */
export function trainingCurves(run: Run): TopLevelSpec {
  const epochs = run.history?.epochs ?? [];
  const values = epochs
    .flatMap((e) =>
      curveNames(run).flatMap((name) => [
        { epoch: e.epoch, figure: name, split: 'train', value: round(e.logs[name]!) },
        ...(e.logs[`val_${name}`] !== undefined
          ? [{ epoch: e.epoch, figure: name, split: 'validation', value: round(e.logs[`val_${name}`]!) }]
          : []),
      ]),
    )
    .filter((row) => Number.isFinite(row.value));
  const markers = [
    ...(run.history?.bestEpoch !== undefined
      ? [{ epoch: run.history.bestEpoch, marker: `best epoch ${run.history.bestEpoch}` }]
      : []),
    ...markedRateChanges(run).map((c) => ({
      epoch: c.epoch - 0.5,
      marker: `lr ${c.from.toExponential(0)} → ${c.to.toExponential(0)}`,
    })),
  ];
  return {
    config: PLOT_CONFIG,
    data: { values },
    facet: { column: { field: 'figure', type: 'nominal', title: null, sort: curveNames(run) } },
    resolve: { scale: { y: 'independent' } },
    spec: {
      width: HALF_WIDTH,
      height: 170,
      layer: [
        {
          mark: { type: 'line', point: { size: 18 } },
          encoding: {
            x: { field: 'epoch', type: 'quantitative', title: 'epoch', axis: { tickMinStep: 1 } },
            y: { field: 'value', type: 'quantitative', title: null, scale: { zero: false } },
            color: {
              field: 'split',
              type: 'nominal',
              title: null,
              scale: { domain: ['train', 'validation'], range: ['#1f77b4', '#ff7f0e'] },
            },
          },
        },
        // Marker layers only when there are markers: an empty layer makes Vega warn of an infinite extent.
        ...(markers.length === 0
          ? []
          : [
              {
                data: { values: markers },
                mark: { type: 'rule' as const, strokeDash: [4, 3], color: '#555' },
                encoding: { x: { field: 'epoch', type: 'quantitative' as const } },
              },
              {
                data: { values: markers },
                mark: {
                  type: 'text' as const,
                  angle: 270,
                  align: 'right' as const,
                  baseline: 'bottom' as const,
                  dx: -4,
                  dy: -2,
                  fontSize: 9,
                  color: '#555',
                },
                encoding: {
                  x: { field: 'epoch', type: 'quantitative' as const },
                  y: { value: 0 },
                  text: { field: 'marker' },
                },
              },
            ]),
      ],
    },
  };
}
