/**
 * The report pipeline: read the runs, render the template to one self-contained HTML file, print it to PDF.
 * `percept report` and the notebooks call `renderReport`.
 */
import { writeFileAtomic } from '../atomic.ts';
import { readRun, type Run } from '../runs/run_files.ts';
import type { Gap } from './context.ts';
import type { ReportMeta } from './meta.ts';
import { htmlToPdf } from './pdf.ts';
import { htmlDocument, loadTemplate, renderBody } from './render.ts';

export interface ReportOptions {
  /** Output file: .pdf (printed with Chromium) or .html. */
  out: string;
  /** Also write the HTML next to the PDF (same name, .html). */
  html?: boolean;
  /** Template name (templates/<name>) or folder. Default 'assignment'. */
  template?: string;
  meta: ReportMeta;
  chromium?: string;
}

export interface ReportResult {
  pdf?: string;
  html?: string;
  pages?: number;
  figures: number;
  tables: number;
  runs: string[];
  /** Values shown as 'not measured'. */
  gaps: Gap[];
  seconds: number;
  /** Where the time went: reading runs, SVG figures, Chromium. */
  timings: { readSeconds: number; renderSeconds: number; svgSeconds: number; chromiumSeconds: number };
}

/**
 * Renders a report over run directories (or runs already read).
 *
 * @example
 * const result = await renderReport(['runs/a', 'runs/b'], { out: 'reports/assignment.pdf', meta: resolveMeta(undefined) });
 */
export async function renderReport(runs: readonly (string | Run)[], options: ReportOptions): Promise<ReportResult> {
  const started = performance.now();
  const read = runs.map((run) => (typeof run === 'string' ? readRun(run) : run));
  const readSeconds = (performance.now() - started) / 1000;
  const template = loadTemplate(options.template);
  const renderStarted = performance.now();
  const body = await renderBody(read, template, options.meta);
  const document = htmlDocument(body.body, template, options.meta);
  const renderSeconds = (performance.now() - renderStarted) / 1000;
  const pdfOut = /\.pdf$/i.test(options.out);
  const htmlFile = pdfOut ? (options.html === true ? options.out.replace(/\.pdf$/i, '.html') : undefined) : options.out;
  if (htmlFile !== undefined) writeFileAtomic(htmlFile, document);
  const printed = pdfOut
    ? await htmlToPdf(document, options.out, {
        ...(options.chromium !== undefined ? { chromium: options.chromium } : {}),
        footerText: options.meta.title,
      })
    : undefined;
  return {
    ...(pdfOut ? { pdf: options.out } : {}),
    ...(htmlFile !== undefined ? { html: htmlFile } : {}),
    ...(printed !== undefined ? { pages: printed.pages } : {}),
    figures: body.figures,
    tables: body.tables,
    runs: read.map((run) => run.dir),
    gaps: body.gaps,
    seconds: (performance.now() - started) / 1000,
    timings: { readSeconds, renderSeconds, svgSeconds: body.svgSeconds, chromiumSeconds: printed?.seconds ?? 0 },
  };
}
