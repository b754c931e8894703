/**
 * Discussion and summary sentences computed from the numbers: every claim carries its value and interval. A ranking of
 * two runs scored on the same test items rests on the paired test of their difference (src/report/paired_comparisons.ts);
 * of runs scored on different items, on whether their 95% intervals overlap, and says so.
 */
import type { Estimate } from '../metrics/bootstrap.ts';
import { metricSpec, type MetricTask } from '../metrics/registry.ts';
import type { Run } from '../runs/run_files.ts';
import type { ReportContext } from './context.ts';
import { basename } from 'node:path';
import { byDataset } from './datasets.ts';
import { weightsText } from './tables.ts';
import { duration, escapeHtml, estimateText, num, overlaps } from './format.ts';
import { COMPARED_METRICS, pairedComparisons, SIGNIFICANT, type ComparedMetric } from './paired_comparisons.ts';

interface Scored {
  run: Run;
  estimate: Estimate;
}

type Getter = (run: Run) => Estimate | undefined;

function scored(runs: readonly Run[], get: Getter): Scored[] {
  return runs.flatMap((run) => {
    const estimate = get(run);
    return estimate !== undefined && Number.isFinite(estimate.value) ? [{ run, estimate }] : [];
  });
}

const name = (run: Run): string => `<b>${escapeHtml(run.summary.name)}</b>`;

/** How a dataset is named in the text: the last part of its path (e.g. 'faces', 'fashion-mnist'). */
function datasetName(group: readonly Run[]): string {
  return escapeHtml(basename(group[0]!.config.data.path) || group[0]!.config.data.path);
}

/**
 * 'X has the highest test accuracy, 0.833 (95% CI ...), 0.042 above Y (0.792 ...); the intervals overlap, so ...'.
 * Undefined when fewer than one run has the metric.
 */
export function bestSentence(
  runs: readonly Run[],
  get: Getter,
  label: string,
  higherIsBetter: boolean,
): string | undefined {
  const list = scored(runs, get).sort((a, b) =>
    higherIsBetter ? b.estimate.value - a.estimate.value : a.estimate.value - b.estimate.value,
  );
  const [best, second] = list;
  if (best === undefined) return undefined;
  const head = `${name(best.run)} has the ${higherIsBetter ? 'highest' : 'lowest'} ${label}, ${estimateText(best.estimate)}`;
  if (second === undefined) return `${head} (the only run with this metric).`;
  // Equal as printed: a margin of '0.000' would read as a ranking.
  if (num(best.estimate.value) === num(second.estimate.value))
    return `${head}, level with ${name(second.run)} (${estimateText(second.estimate)}): no ranking between them.`;
  const margin = Math.abs(best.estimate.value - second.estimate.value);
  const verdict = overlaps(best.estimate, second.estimate)
    ? 'the intervals overlap, so this ranking is not conclusive at this test-set size'
    : 'the intervals do not overlap, so the difference is clear';
  return `${head}, ${num(margin)} ${higherIsBetter ? 'above' : 'below'} the runner-up ${name(second.run)} (${estimateText(second.estimate)}); ${verdict}.`;
}

/**
 * The best run of `metric` on `group` with the runner-up, judged by the paired test where both were scored on the
 * same test items (the difference with its interval, the test's p and Holm's), and against every other run; by the
 * unpaired intervals, saying so, where they were not.
 */
function pairedBestSentence(context: ReportContext, group: readonly Run[], metric: ComparedMetric): string | undefined {
  const found = pairedComparisons(context).find((m) => m.metric.key === metric.key && group.includes(m.best));
  const unpairedText = (): string | undefined => bestSentence(group, metric.value, metric.label, metric.higherIsBetter);
  if (found === undefined) return unpairedText();
  const runnerUp = found.ranked[0]!;
  // Level as printed: bestSentence calls it a tie rather than ranking by a margin of zero.
  if (num(metric.value(runnerUp)!.value) === num(metric.value(found.best)!.value)) return unpairedText();
  const paired = found.comparisons.find((c) => c.other === runnerUp);
  if (paired === undefined)
    return `${unpairedText()!} The two were scored on different test items, so no paired test applies and only the unpaired intervals compare them.`;
  const best = metric.value(found.best)!;
  const head = `${name(found.best)} has the ${metric.higherIsBetter ? 'highest' : 'lowest'} ${metric.label}, ${estimateText(best)}`;
  const d = paired.result.difference;
  const testName = paired.result.test === 'mcnemar' ? "McNemar's exact test" : 'paired bootstrap';
  const verdict =
    paired.holmP < SIGNIFICANT ? `${name(found.best)} is better` : 'the difference is not significant at the 5% level';
  const better = found.comparisons.filter((c) => c.holmP < SIGNIFICANT).length;
  const others = found.comparisons.length;
  const overall =
    others > 1
      ? ` Against all ${others} other runs on the same items it is significantly better than ${better}${found.unpaired.length > 0 ? `; ${found.unpaired.length} run${found.unpaired.length === 1 ? ' was' : 's were'} scored on other test items` : ''}.`
      : '';
  return `${head}; the runner-up ${name(runnerUp)} has ${estimateText(metric.value(runnerUp)!)}. Paired on the same ${paired.items} test items the difference is ${num(d.value)} (95% CI ${num(d.ci[0])}–${num(d.ci[1])}), ${testName} p = ${pText(paired.result.p)}, Holm-adjusted p = ${pText(paired.holmP)}: ${verdict}.${overall}`;
}

/** `p = 0.003`, `p < 0.001` in prose. */
function pText(p: number): string {
  return p < 0.001 ? '< 0.001' : p.toFixed(3);
}

/** Which way a metric ranks, from the metric registry. */
function higherIsBetter(task: MetricTask, key: string): boolean {
  return metricSpec(task, key)!.better === 'higher';
}

const test =
  (key: 'accuracy' | 'f1_macro' | 'kappa' | 'auc_roc_macro'): Getter =>
  (run) =>
    run.metrics?.['test']?.classification?.[key];

function gapSentences(runs: readonly Run[]): string[] {
  const gaps = runs
    .flatMap((run) => {
      const train = run.metrics?.['train']?.classification?.accuracy;
      const val = run.metrics?.['val']?.classification?.accuracy;
      return train !== undefined && val !== undefined ? [{ run, train, val, gap: train.value - val.value }] : [];
    })
    .sort((a, b) => b.gap - a.gap);
  if (gaps.length === 0) return [];
  const describe = (g: (typeof gaps)[number]): string =>
    `${name(g.run)} (train ${num(g.train.value)}, validation ${num(g.val.value)}, gap ${num(g.gap)})`;
  const largest = gaps[0]!;
  const smallest = gaps[gaps.length - 1]!;
  const sentences = [
    `The largest train/validation accuracy gap is ${describe(largest)}${largest.gap > 0.1 ? ', a sign of overfitting' : ''}.`,
  ];
  if (smallest !== largest) sentences.push(`The smallest is ${describe(smallest)}.`);
  return sentences;
}

/** Transfer against from scratch, compared only between runs on the same data (another dataset says nothing). */
function transferSentences(runs: readonly Run[]): string[] {
  const accuracy = test('accuracy');
  const transferred = runs.filter((run) => run.summary.weights !== 'none' && accuracy(run) !== undefined);
  const scratch = runs.filter((run) => run.summary.weights === 'none' && accuracy(run) !== undefined);
  if (transferred.length === 0)
    return [
      'No run started from pretrained or transferred weights, so transfer against from-scratch training is not measured.',
    ];
  if (scratch.length === 0)
    return [
      'Every run started from pretrained or transferred weights, so transfer against from-scratch training is not measured.',
    ];
  const comparable = byDataset(runs)
    .map((group) => ({
      transferred: group.filter((run) => transferred.includes(run)),
      scratch: group.filter((run) => scratch.includes(run)),
    }))
    .filter((group) => group.transferred.length > 0 && group.scratch.length > 0);
  if (comparable.length === 0)
    return [
      'No dataset has both a transferred and a from-scratch run, so transfer against from-scratch training is not measured.',
    ];
  return comparable.flatMap((group) => transferOnDataset(group.transferred, group.scratch));
}

function transferOnDataset(transferred: Run[], scratch: Run[]): string[] {
  const accuracy = test('accuracy');
  const pairs = transferred.flatMap((t) =>
    scratch.filter((s) => s.summary.arch === t.summary.arch).map((s) => ({ t, s })),
  );
  if (pairs.length > 0) {
    return pairs.map(({ t, s }) => {
      const a = accuracy(t)!;
      const b = accuracy(s)!;
      const diff = a.value - b.value;
      return `With the same architecture (${escapeHtml(t.summary.arch)}), ${name(t)} (${escapeHtml(weightsText(t))}) reaches a test accuracy of ${estimateText(a)} against ${estimateText(b)} for ${name(s)} (from scratch): ${diff >= 0 ? 'transfer gains' : 'transfer loses'} ${num(Math.abs(diff))}; the intervals ${overlaps(a, b) ? 'overlap' : 'do not overlap'}.`;
    });
  }
  const best = (list: Run[]): Scored => scored(list, accuracy).sort((x, y) => y.estimate.value - x.estimate.value)[0]!;
  const t = best(transferred);
  const s = best(scratch);
  return [
    `No architecture was trained both ways; the best pretrained/transferred run ${name(t.run)} reaches ${estimateText(t.estimate)} test accuracy and the best from-scratch run ${name(s.run)} ${estimateText(s.estimate)} (the intervals ${overlaps(t.estimate, s.estimate) ? 'overlap' : 'do not overlap'}; the architectures differ, so this mixes both effects).`,
  ];
}

function stoppingSentences(runs: readonly Run[]): string[] {
  return runs.flatMap((run) =>
    run.summary.epochs.run < run.summary.epochs.planned
      ? [
          `${name(run)} stopped early after ${run.summary.epochs.run} of ${run.summary.epochs.planned} epochs${run.summary.epochs.best !== undefined ? ` and kept the weights of epoch ${run.summary.epochs.best}` : ''}.`,
        ]
      : [],
  );
}

function seriesSentences(runs: readonly Run[]): string[] {
  return runs.flatMap((run) => {
    const s = run.metrics?.['test']?.series;
    if (s === undefined) return [];
    const change = (100 * (s.mse.value - s.naive_mse.value)) / s.naive_mse.value;
    return [
      `${name(run)} forecasts with a test MSE of ${estimateText(s.mse)}, ${Math.abs(change).toFixed(1)}% ${change <= 0 ? 'below' : 'above'} the naive last-value forecast (${estimateText(s.naive_mse)}); the intervals ${overlaps(s.mse, s.naive_mse) ? 'overlap, so the gain over the naive benchmark is not conclusive' : 'do not overlap'}.`,
    ];
  });
}

function paragraph(title: string, sentences: (string | undefined)[], list = false): string {
  const kept = sentences.filter((s): s is string => s !== undefined);
  if (kept.length === 0) return '';
  return list
    ? `<p class="lead-in"><b class="lead">${title}.</b></p><ul class="claims">${kept.map((s) => `<li>${s}</li>`).join('')}</ul>\n`
    : `<p><b class="lead">${title}.</b> ${kept.join(' ')}</p>\n`;
}

/**
 * The Discussion section's body: best model per metric, train/validation gap, transfer against from scratch, early
 * stopping, and the recurrent models against the naive benchmark.
 *
 * @example
 * html += discussion(context);
 */
export function discussion(context: ReportContext): string {
  const images = context.imageRuns;
  const paired = (key: ComparedMetric['key'], group: readonly Run[]): string | undefined =>
    pairedBestSentence(
      context,
      group,
      COMPARED_METRICS.find((metric) => metric.key === key)!,
    );
  // Rankings only among runs on the same data: a score on Fashion-MNIST does not beat one on the faces.
  const datasets = byDataset(images);
  const best = datasets.map((group) =>
    paragraph(
      `Best model per metric (test split)${datasets.length > 1 ? `, on ${datasetName(group)}` : ''}`,
      [
        paired('accuracy', group),
        paired('f1_macro', group),
        paired('kappa', group),
        bestSentence(
          group,
          test('auc_roc_macro'),
          'test macro AUC-ROC',
          higherIsBetter('classification', 'auc_roc_macro'),
        ),
        paired('valence_ccc', group),
        paired('arousal_ccc', group),
        paired('valence_rmse', group),
      ],
      true,
    ),
  );
  const parts = [
    ...best,
    paragraph('Train/validation gap', gapSentences(images)),
    paragraph('Transfer versus from scratch', transferSentences(images)),
    paragraph('Early stopping', stoppingSentences(context.runs)),
    paragraph('Time series', seriesSentences(context.seriesRuns)),
  ].join('');
  return parts === ''
    ? `<p>${context.notMeasured('all runs', 'metrics to discuss')}: the runs carry no metrics.json.</p>`
    : parts;
}

/**
 * The Summary: what was trained, the best image model and series model, the total training time and the gaps.
 *
 * @example
 * html += summary(context);
 */
export function summary(context: ReportContext): string {
  const items: string[] = [];
  const total = context.runs.reduce((sum, run) => sum + run.summary.timings.trainSeconds, 0);
  items.push(
    `${context.runs.length} run${context.runs.length === 1 ? '' : 's'} (${[...new Set(context.runs.map((r) => escapeHtml(r.summary.arch)))].join(', ')}), ${duration(total)} of training in all.`,
  );
  const datasets = byDataset(context.imageRuns);
  for (const group of datasets) {
    const best = scored(group, test('accuracy')).sort((a, b) => b.estimate.value - a.estimate.value)[0];
    if (best !== undefined)
      items.push(
        `Best test accuracy${datasets.length > 1 ? ` on ${datasetName(group)}` : ''}: ${name(best.run)}, ${estimateText(best.estimate)}.`,
      );
  }
  const series = scored(context.seriesRuns, (run) => run.metrics?.['test']?.series?.mse).sort(
    (a, b) => a.estimate.value - b.estimate.value,
  )[0];
  if (series !== undefined) {
    const naive = series.run.metrics!['test']!.series!.naive_mse;
    items.push(
      `Best forecaster: ${name(series.run)}, test MSE ${estimateText(series.estimate)} against ${estimateText(naive)} for the naive forecast.`,
    );
  }
  items.push(
    context.gaps.length === 0
      ? 'Every metric of the template was measured for every run.'
      : `${context.gaps.length} value${context.gaps.length === 1 ? ' is' : 's are'} marked 'not measured' (listed by <code>percept report --json</code>).`,
  );
  return `<ul class="summary">${items.map((i) => `<li>${i}</li>`).join('')}</ul>\n`;
}
