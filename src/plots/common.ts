/**
 * What every plot shares: the look (fonts that exist on a bare Debian machine, sizes that fit an A4 column), rounding
 * of embedded numbers (stable golden files, smaller reports), and how a run is named on an axis.
 */
import type { Config } from 'vega-lite';
import type { Run } from '../runs/run_files.ts';

/** Font of every figure: DejaVu Sans ships in Debian's fonts-dejavu-core. */
export const FONT = 'DejaVu Sans';

/** Width in pixels of a full-width figure's plotting area (A4 column at 96 dpi, less the axes). */
export const FULL_WIDTH = 560;
/** Width of one of two side-by-side panels. */
export const HALF_WIDTH = 250;

/** The config block every spec carries, so figures look alike wherever they are rendered (SVG, notebook). */
export const PLOT_CONFIG: Config = {
  font: FONT,
  view: { stroke: '#bbb' },
  axis: { labelFontSize: 10, titleFontSize: 11, grid: true, gridColor: '#eee' },
  legend: { labelFontSize: 10, titleFontSize: 11, orient: 'bottom', direction: 'horizontal' },
  title: { fontSize: 12, anchor: 'start' },
  header: { labelFontSize: 11, titleFontSize: 11 },
};

/**
 * Rounds to 4 significant digits: enough for any plot, and stable across platforms for golden files.
 *
 * @example
 * round(0.123456); // 0.1235
 */
export function round(value: number): number {
  if (!Number.isFinite(value) || value === 0) return value;
  return Number(value.toPrecision(4));
}

/** The name of a run on an axis or legend. */
export function runLabel(run: Run): string {
  return run.summary.name;
}

/** Human names of the splits, in display order. */
export const SPLIT_ORDER = ['train', 'val', 'test'];
export const SPLIT_NAMES: Record<string, string> = { train: 'train', val: 'validation', test: 'test' };
