/**
 * The tables a template can place with `::table{name=...}`: each a function of the runs to a header and rows of HTML
 * cells. A value a run lacks becomes 'not measured' (recorded as a gap), never an empty cell.
 */
import type { Estimate } from '../metrics/bootstrap.ts';
import type { SplitMetrics } from '../metrics/evaluate.ts';
import { metricsOf, storedKey, type MetricSpec } from '../metrics/registry.ts';
import { Registry } from '../registry.ts';
import type { Run } from '../runs/run_files.ts';
import type { ReportContext } from './context.ts';
import { distinctDatasets } from './datasets.ts';
import { duration, escapeHtml, estimateHtml, num, params } from './format.ts';
import { pairedComparisons, SIGNIFICANT, type Comparison } from './paired_comparisons.ts';

export interface TableContent {
  head: string[];
  /** HTML cells. */
  rows: string[][];
  /** Column indexes that hold numbers (right-aligned). */
  numeric?: number[];
}

export interface TableDefinition {
  name: string;
  caption: string;
  /** Undefined when no run has anything for this table (the directive then says so). */
  build(context: ReportContext): TableContent | undefined;
}

const text = (value: string): string => escapeHtml(value);

function estimateCell(
  context: ReportContext,
  run: Run,
  split: string,
  what: string,
  estimate: Estimate | undefined,
): string {
  return estimate === undefined ? context.notMeasured(run, `${split} ${what}`) : estimateHtml(estimate);
}

function splitMetrics(run: Run, split: string): SplitMetrics | undefined {
  return run.metrics?.[split];
}

function inputSize(run: Run): string {
  // No spaces: '48×48×3' stays on one line in a narrow column.
  return run.summary.input.join('×');
}

function head(run: Run): string {
  const h = run.config.model.head;
  const dense =
    h.dense.length > 0 ? `dense ${h.dense.join('-')}${h.batchNorm ? ' + BN' : ''}, ${h.activation}` : 'linear';
  return `${dense}${h.dropout > 0 ? `, dropout ${h.dropout}` : ''} → ${h.tasks.join(' + ')}`;
}

/** 'from scratch', 'Keras weights (resnet50.h5)', 'transfer from run fixture-fashion'. */
export function weightsText(run: Run): string {
  const w = run.summary.weights;
  if (w === 'none')
    return run.config.model.zeroInitResidual ? 'from scratch, residual branches at zero' : 'from scratch';
  if (w.startsWith('run:')) return `transfer from run ${w.slice(4)}`;
  return `pretrained (${w.split('/').pop()})`;
}

function rates(run: Run): string {
  const seen = [...new Set((run.history?.epochs ?? []).map((e) => e.lr))];
  const schedule = run.config.train.schedule.name;
  if (seen.length === 0) return `${num(run.config.train.optimizer.lr)} (${schedule})`;
  return `${seen.map((lr) => lr.toExponential(0)).join(' → ')} (${schedule})`;
}

function classificationRows(context: ReportContext, metrics: readonly MetricSpec[]): TableContent | undefined {
  const runs = context.imageRuns;
  if (runs.length === 0) return undefined;
  return {
    head: ['Model', ...metrics.map((metric) => metric.label)],
    numeric: metrics.map((_, i) => i + 1),
    rows: runs.map((run) => {
      const c = splitMetrics(run, 'test')?.classification;
      const values = (c ?? {}) as unknown as Record<string, Estimate | undefined>;
      return [
        text(run.summary.name),
        ...metrics.map((metric) => {
          const key = storedKey(metric, Object.keys(values));
          return estimateCell(context, run, 'test', metric.label, key === undefined ? undefined : values[key]);
        }),
      ];
    }),
  };
}

/** The regression metrics' labels whose better direction is `better`: 'RMSE, MAE'. */
function labelsWhere(better: MetricSpec['better']): string {
  return metricsOf('regression')
    .filter((metric) => metric.better === better)
    .map((metric) => metric.label)
    .join(', ');
}

/** Every table, by the name templates use. */
export const TABLES = new Registry<TableDefinition>('table', [
  {
    name: 'network',
    caption: 'Network details: base, head, input and parameters (frozen = not updated by training).',
    build: (context) => ({
      head: [
        'Model',
        'Base / weights',
        'Head',
        'Input',
        'Params total',
        'Trainable',
        'Frozen',
        'Layers trainable / frozen',
      ],
      numeric: [4, 5, 6],
      rows: context.runs.map((run) => [
        text(run.summary.name),
        text(
          `${run.summary.arch}${run.config.model.alpha !== undefined ? ` α=${run.config.model.alpha}` : ''}, ${weightsText(run)}`,
        ),
        text(head(run)),
        text(inputSize(run)),
        params(run.summary.params.total),
        params(run.summary.params.trainable),
        params(run.summary.params.frozen),
        text(
          `${run.summary.layers.trainable} / ${run.summary.layers.frozen}${run.summary.freezeCut !== undefined ? ` (${run.summary.freezeCut})` : ''}`,
        ),
      ]),
    }),
  },
  {
    name: 'training_setup',
    caption: 'Training setup: optimizer, learning rates, batch size, epochs and loss of each run.',
    build: (context) => ({
      head: [
        'Model',
        'Optimizer',
        'Learning rates (schedule)',
        'Batch',
        'Epochs run / planned',
        'Early stopping',
        'Loss',
      ],
      numeric: [3],
      rows: context.runs.map((run) => {
        const o = run.config.train.optimizer;
        const es = run.config.train.earlyStopping;
        return [
          text(run.summary.name),
          text(
            `${o.name}${o.weightDecay !== undefined ? `, wd ${o.weightDecay}` : ''}${o.momentum !== undefined ? `, momentum ${o.momentum}` : ''}`,
          ),
          text(rates(run)),
          String(run.config.train.batchSize),
          text(
            `${run.summary.epochs.run} / ${run.summary.epochs.planned}${run.summary.epochs.best !== undefined ? ` (best ${run.summary.epochs.best})` : ''}`,
          ),
          text(es === false ? 'off' : `${es.monitor}, patience ${es.patience}`),
          text(
            Object.entries(run.summary.losses)
              .map(([task, loss]) => `${task}: ${loss}`)
              .join('; '),
          ),
        ];
      }),
    }),
  },
  {
    name: 'splits',
    caption: 'Dataset splits: items per split and per class for each distinct dataset.',
    build: (context) => {
      const datasets = distinctDatasets(context.runs);
      if (datasets.length === 0) return undefined;
      const rows = datasets.flatMap((run) => {
        if (run.split === undefined)
          return [[text(run.config.data.path), ...new Array<string>(5).fill(context.notMeasured(run, 'split.json'))]];
        const splits = ['train', 'val', 'test'].filter((s) => run.split!.splits[s] !== undefined);
        const classes = Object.keys(run.split.splits[splits[0] ?? '']?.classes ?? {});
        const total = (s: string): number => run.split!.splits[s]!.count;
        return [
          [
            text(run.config.data.path),
            'all items',
            ...splits.map((s) => String(total(s))),
            String(splits.reduce((a, s) => a + total(s), 0)),
          ],
          ...classes.map((name) => {
            const counts = splits.map((s) => run.split!.splits[s]!.classes?.[name] ?? 0);
            return [
              text(run.config.data.path),
              text(name),
              ...counts.map(String),
              String(counts.reduce((a, b) => a + b, 0)),
            ];
          }),
        ];
      });
      return { head: ['Dataset', 'Class', 'Train', 'Validation', 'Test', 'Total'], numeric: [2, 3, 4, 5], rows };
    },
  },
  {
    name: 'classification',
    caption: 'Classification on the test split, with 95% bootstrap confidence intervals.',
    build: (context) => classificationRows(context, metricsOf('classification', 'scores')),
  },
  {
    name: 'agreement',
    caption:
      "Agreement and ranking on the test split: Cohen's κ, Krippendorff's α, one-vs-rest AUC-ROC and AUC-PR (macro), with 95% intervals.",
    build: (context) => classificationRows(context, metricsOf('classification', 'agreement')),
  },
  {
    name: 'regression',
    caption: `Valence and arousal regression on the test split (${labelsWhere('lower')} lower is better; ${labelsWhere('higher')} higher), with 95% intervals.`,
    build: (context) => {
      const runs = context.imageRuns.filter(
        (run) =>
          run.config.model.head.tasks.includes('valence_arousal') || splitMetrics(run, 'test')?.valence !== undefined,
      );
      if (runs.length === 0) return undefined;
      const metrics = metricsOf('regression');
      return {
        head: ['Model', 'Target', ...metrics.map((metric) => metric.label)],
        numeric: metrics.map((_, i) => i + 2),
        rows: runs.flatMap((run) =>
          (['valence', 'arousal'] as const).map((target) => {
            const m = splitMetrics(run, 'test')?.[target];
            const values = m as unknown as Record<string, Estimate | undefined> | undefined;
            return [
              text(run.summary.name),
              target,
              ...metrics.map((metric) =>
                estimateCell(context, run, 'test', `${target} ${metric.label}`, values?.[metric.key]),
              ),
            ];
          }),
        ),
      };
    },
  },
  {
    name: 'comparison',
    caption: 'Comparison of architectures: size, training time and accuracy on validation and test (95% intervals).',
    build: (context) => {
      const runs = context.imageRuns;
      if (runs.length === 0) return undefined;
      return {
        head: [
          'Model',
          'Input',
          'Parameters (trainable)',
          'Training time',
          'Val accuracy',
          'Test accuracy',
          'Test F1 (macro)',
          'Accuracy against the best (paired)',
        ],
        numeric: [2, 3, 4, 5, 6, 7],
        rows: runs.map((run) => [
          text(run.summary.name),
          text(inputSize(run)),
          `${params(run.summary.params.total)} (${params(run.summary.params.trainable)})`,
          duration(run.summary.timings.trainSeconds),
          estimateCell(context, run, 'val', 'accuracy', splitMetrics(run, 'val')?.classification?.accuracy),
          estimateCell(context, run, 'test', 'accuracy', splitMetrics(run, 'test')?.classification?.accuracy),
          estimateCell(context, run, 'test', 'F1 (macro)', splitMetrics(run, 'test')?.classification?.f1_macro),
          againstBest(context, run),
        ]),
      };
    },
  },
  {
    name: 'paired',
    caption:
      "Paired comparisons on the same test items: for each metric the best run against each other run, the difference with its 95% paired-bootstrap interval, McNemar's exact test (accuracy) or the paired bootstrap (others), and the p-value after Holm's correction over every comparison of this report.",
    build: (context) => {
      const rows = pairedComparisons(context).flatMap((group) => group.comparisons);
      if (rows.length === 0) return undefined;
      return {
        head: ['Metric', 'Best', 'Against', 'Items', 'Best − other', 'Test', 'p', 'Holm p', 'Verdict'],
        numeric: [3, 4, 6, 7],
        rows: rows.map((c) => [
          text(c.metric.label),
          text(c.best.summary.name),
          text(c.other.summary.name),
          String(c.items),
          estimateHtml(c.result.difference),
          c.result.test === 'mcnemar' ? 'McNemar exact' : 'paired bootstrap',
          pValue(c.result.p),
          pValue(c.holmP),
          c.holmP < SIGNIFICANT ? `${text(c.best.summary.name)} better` : 'not significant',
        ]),
      };
    },
  },
  {
    name: 'series',
    caption:
      'Time-series forecasts on the test split against the naive last-value benchmark (lower is better), with 95% intervals.',
    build: (context) => {
      const runs = context.seriesRuns;
      if (runs.length === 0) return undefined;
      return {
        head: ['Model', 'Params', 'MSE', 'MAE', 'Naive MSE', 'Naive MAE', 'MSE vs naive'],
        numeric: [1, 2, 3, 4, 5, 6],
        rows: runs.map((run) => {
          const s = splitMetrics(run, 'test')?.series;
          const cell = (what: string, e: Estimate | undefined): string => estimateCell(context, run, 'test', what, e);
          const change =
            s === undefined
              ? context.notMeasured(run, 'test MSE vs naive')
              : `${s.mse.value <= s.naive_mse.value ? '−' : '+'}${Math.abs((100 * (s.mse.value - s.naive_mse.value)) / s.naive_mse.value).toFixed(1)}%`;
          return [
            text(run.summary.name),
            params(run.summary.params.total),
            cell('MSE', s?.mse),
            cell('MAE', s?.mae),
            cell('naive MSE', s?.naive_mse),
            cell('naive MAE', s?.naive_mae),
            change,
          ];
        }),
      };
    },
  },
  {
    name: 'runs',
    caption: 'Runs behind this report: where each number comes from.',
    build: (context) => ({
      head: ['Run', 'Directory', 'Backend', 'Seed', 'Data hash', 'Code version'],
      rows: context.runs.map((run) => [
        text(run.summary.name),
        text(run.dir),
        text(run.summary.backend),
        String(run.summary.seed),
        text(run.summary.dataHash.slice(0, 16)),
        text(run.summary.codeVersion),
      ]),
    }),
  },
]);

/** `0.003`, `<0.001`. */
export function pValue(p: number): string {
  return p < 0.001 ? '&lt;0.001' : p.toFixed(3);
}

/** The comparison table's paired cell: 'best', or this run's accuracy minus the best's with Holm's p. */
function againstBest(context: ReportContext, run: Run): string {
  const accuracy = pairedComparisons(context).find(
    (group) => group.metric.key === 'accuracy' && (group.best === run || group.ranked.includes(run)),
  );
  if (accuracy === undefined) return context.notMeasured(run, 'paired accuracy comparison');
  if (accuracy.best === run) return 'best';
  const compared: Comparison | undefined = accuracy.comparisons.find((c) => c.other === run);
  if (compared === undefined) return '<span title="scored on other test items than the best run">other test set</span>';
  return `${num(-compared.result.difference.value)}<span class="ci">Holm p ${pValue(compared.holmP)}</span>`;
}

/**
 * Renders a table block with its numbered caption (above the table, as in papers).
 *
 * @example
 * html += renderTable(context, TABLES.get('comparison'));
 */
export function renderTable(context: ReportContext, definition: TableDefinition, caption?: string): string {
  const content = definition.build(context);
  if (content === undefined)
    return `<p class="nm-block">Table '${escapeHtml(definition.name)}': not measured (no run has the data).</p>`;
  const number = ++context.tables;
  const numeric = new Set(content.numeric ?? []);
  const cls = (i: number): string => (numeric.has(i) ? ' class="num"' : '');
  const headRow = content.head.map((h, i) => `<th${cls(i)}>${escapeHtml(h)}</th>`).join('');
  const body = content.rows.map((row) => `<tr>${row.map((c, i) => `<td${cls(i)}>${c}</td>`).join('')}</tr>`).join('\n');
  return `<div class="table-block" id="table-${number}"><p class="caption"><span class="label">Table ${number}.</span> ${escapeHtml(caption ?? definition.caption)}</p>\n<table><thead><tr>${headRow}</tr></thead>\n<tbody>\n${body}\n</tbody></table></div>\n`;
}
