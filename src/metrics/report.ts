/**
 * A text classification report laid out like scikit-learn's `classification_report` (sklearn/metrics/_classification.py):
 * per-class precision, recall, F1 and support, then accuracy, macro and weighted averages.
 */
import type { ClassificationMetrics } from './classification.ts';

/**
 * Formats the report with `digits` decimals (sklearn's default 2).
 *
 * @example
 * console.log(classificationReport(metrics.classification));
 * //               precision    recall  f1-score   support
 * //          cat       0.50      1.00      0.67         1
 */
export function classificationReport(metrics: ClassificationMetrics, digits = 2): string {
  const names = Object.keys(metrics.per_class);
  const rows = names.map((name) => {
    const row = metrics.per_class[name]!;
    return { name, values: [row.precision.value, row.recall.value, row.f1.value], support: row.support };
  });
  const total = rows.reduce((sum, row) => sum + row.support, 0);
  const seen = rows.filter(
    (row) => row.support > 0 || metrics.confusion_matrix.matrix.some((r) => r[names.indexOf(row.name)]! > 0),
  );
  const average = (column: number, weighted: boolean): number =>
    weighted
      ? rows.reduce((sum, row) => sum + row.values[column]! * row.support, 0) / total
      : seen.reduce((sum, row) => sum + row.values[column]!, 0) / seen.length;
  const width = Math.max('weighted avg'.length, ...names.map((name) => name.length), digits);
  // sklearn's row format: "{:>{width}s} " + " {:>9}" per column.
  const row = (label: string, cells: string[]): string =>
    `${label.padStart(width)} ${cells.map((c) => ` ${c.padStart(9)}`).join('')}`;
  const number = (value: number): string => value.toFixed(digits);
  const lines = [row('', ['precision', 'recall', 'f1-score', 'support']), ''];
  for (const r of rows) lines.push(row(r.name, [...r.values.map(number), String(r.support)]));
  lines.push('');
  lines.push(row('accuracy', ['', '', number(metrics.accuracy.value), String(total)]));
  for (const [label, weighted] of [
    ['macro avg', false],
    ['weighted avg', true],
  ] as const) {
    lines.push(row(label, [...[0, 1, 2].map((column) => number(average(column, weighted))), String(total)]));
  }
  return lines.join('\n') + '\n';
}
