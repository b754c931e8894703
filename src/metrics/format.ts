/**
 * Plain-text rendering of one split's metrics for the terminal: each scalar with its interval, then the
 * classification report.
 */
import type { Estimate } from './bootstrap.ts';
import type { SplitMetrics } from './evaluate.ts';
import { classificationReport } from './report.ts';
import { metricSpec, SECTION_TASK } from './registry.ts';

/** Decimals of a figure the registry does not declare. */
const DEFAULT_DIGITS = 4;

function isEstimate(value: unknown): value is Estimate {
  return typeof value === 'object' && value !== null && 'value' in value && 'ci' in value;
}

function estimateText(estimate: Estimate, digits: number): string {
  const f = (x: number): string => (Number.isFinite(x) ? x.toFixed(digits) : 'n/a');
  return `${f(estimate.value)}  [${f(estimate.ci[0])}, ${f(estimate.ci[1])}]`;
}

/**
 * Formats every task present in `metrics`.
 *
 * @example
 * process.stdout.write(formatMetrics(evaluatePredictions(records)));
 * // classification (n=40)
 * //   accuracy            0.4250  [0.2750, 0.5750]
 */
export function formatMetrics(metrics: SplitMetrics): string {
  const lines: string[] = [];
  for (const [section, values] of Object.entries(metrics) as [
    keyof SplitMetrics,
    Record<string, unknown> & { n: number },
  ][]) {
    lines.push(`${section} (n=${values.n}, 95% bootstrap CI)`);
    for (const [name, value] of Object.entries(values)) {
      if (isEstimate(value))
        lines.push(
          `  ${name.padEnd(20)}${estimateText(value, metricSpec(SECTION_TASK[section], name)?.digits ?? DEFAULT_DIGITS)}`,
        );
    }
    lines.push('');
  }
  if (metrics.classification !== undefined) lines.push(classificationReport(metrics.classification));
  return lines.join('\n');
}
