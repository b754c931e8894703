/**
 * The state of one report rendering: the runs, the front matter, figure and table counters, the figures still being
 * rendered to SVG, and every value found missing (the `--json` gaps).
 */
import { isSeriesRun, type Run } from '../runs/run_files.ts';
import { escapeHtml, NOT_MEASURED } from './format.ts';
import type { ReportMeta } from './meta.ts';

/** A value the report marked 'not measured'. */
export interface Gap {
  run: string;
  /** What is missing, e.g. 'test accuracy', 'history.json'. */
  what: string;
  /** Section heading where it showed. */
  where: string;
}

export class ReportContext {
  figures = 0;
  tables = 0;
  readonly gaps: Gap[] = [];
  /** Placeholder comment -> the SVG being rendered for it. */
  readonly pending = new Map<string, Promise<string>>();
  /** The heading the renderer is under (for gaps). */
  section = '';

  constructor(
    readonly runs: readonly Run[],
    readonly meta: ReportMeta,
    /** Folder of the template (for images it references). */
    readonly templateDir: string,
  ) {}

  get imageRuns(): Run[] {
    return this.runs.filter((run) => !isSeriesRun(run));
  }

  get seriesRuns(): Run[] {
    return this.runs.filter(isSeriesRun);
  }

  /**
   * Records a gap and returns the cell text that marks it.
   *
   * @example
   * cell = estimate === undefined ? context.notMeasured(run, 'test accuracy') : estimateHtml(estimate);
   */
  notMeasured(run: Run | string, what: string): string {
    const name = typeof run === 'string' ? run : run.summary.name;
    if (!this.gaps.some((g) => g.run === name && g.what === what && g.where === this.section))
      this.gaps.push({ run: name, what, where: this.section });
    return `<span class="nm" title="${escapeHtml(what)}">${NOT_MEASURED}</span>`;
  }
}
