/**
 * How numbers appear in a report: estimates with their interval, parameter counts, durations, and the one marker for
 * a value a run lacks. Every cell goes through these, so no cell is ever blank.
 */
import type { Estimate } from '../metrics/bootstrap.ts';

/** The text of a value a run does not have (docs/ARCHITECTURE.md: never a blank cell, never a zero for an absent task). */
export const NOT_MEASURED = 'not measured';

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/**
 * A number with 3 decimals, or 3 significant digits for large/small values; 'n/a' for NaN.
 *
 * @example
 * num(0.83333); // '0.833'
 * num(1234.5); // '1235'
 */
export function num(value: number): string {
  if (!Number.isFinite(value)) return 'n/a';
  const size = Math.abs(value);
  if (size >= 100) return value.toFixed(0);
  if (size >= 10) return value.toFixed(1);
  if (size !== 0 && size < 0.001) return value.toExponential(1);
  return value.toFixed(3);
}

/**
 * `0.833 [0.750, 0.892]` as plain text (sentences).
 *
 * @example
 * estimateText({ value: 0.8, ci: [0.7, 0.9] }); // '0.800 (95% CI 0.700–0.900)'
 */
export function estimateText(estimate: Estimate): string {
  return `${num(estimate.value)} (95% CI ${num(estimate.ci[0])}–${num(estimate.ci[1])})`;
}

/** An estimate as a table cell: the value, and the interval below it in small type. */
export function estimateHtml(estimate: Estimate): string {
  return `${num(estimate.value)}<span class="ci">[${num(estimate.ci[0])}, ${num(estimate.ci[1])}]</span>`;
}

/**
 * Parameter counts the way papers write them.
 *
 * @example
 * params(2_587_000); // '2.59 M'
 */
export function params(count: number): string {
  if (count >= 1e6) return `${(count / 1e6).toFixed(2)} M`;
  if (count >= 1e3) return `${(count / 1e3).toFixed(1)} k`;
  return String(count);
}

/**
 * Seconds as `42.0 s`, `3 min 5 s` or `1 h 2 min`.
 *
 * @example
 * duration(185); // '3 min 5 s'
 */
export function duration(seconds: number): string {
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(seconds / 3600)} h ${Math.round((seconds % 3600) / 60)} min`;
}

/** Do two 95% intervals overlap? (Overlap does not prove equality; no overlap is a clear difference.) */
export function overlaps(a: Estimate, b: Estimate): boolean {
  return a.ci[0] <= b.ci[1] && b.ci[0] <= a.ci[1];
}
