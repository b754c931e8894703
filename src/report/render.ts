/**
 * Renders a report template (markdown + directives) over runs into the HTML body: markdown-it for the text, the
 * directive handlers for title page, table of contents, tables, figures, example grids, discussion and summary.
 * Figures are compiled to SVG concurrently and put in place after the markdown pass.
 */
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import MarkdownIt from 'markdown-it';
import { UserError } from '../errors.ts';
import { PLOTS, type PlotDefinition } from '../plots/index.ts';
import type { Run } from '../runs/run_files.ts';
import { projectRoot } from '../paths.ts';
import { ReportContext, type Gap } from './context.ts';
import { directives, type Directive } from './directives.ts';
import { discussion, summary } from './discussion.ts';
import { exampleGrids } from './examples.ts';
import { escapeHtml } from './format.ts';
import type { ReportMeta } from './meta.ts';
import { distinctDatasets } from './datasets.ts';
import { renderTable, TABLES } from './tables.ts';
import { specToSvg } from './vega_svg.ts';

export interface Template {
  name: string;
  dir: string;
  markdown: string;
  css: string;
}

/**
 * A template by name (`templates/<name>/`) or folder path; it holds report.md and style.css.
 *
 * @example
 * const template = loadTemplate('assignment');
 */
export function loadTemplate(nameOrDir = 'assignment'): Template {
  const builtIn = join(projectRoot(), 'templates', nameOrDir);
  const dir = /[/\\]/.test(nameOrDir) || isAbsolute(nameOrDir) ? resolve(nameOrDir) : builtIn;
  const file = join(dir, 'report.md');
  if (!existsSync(file)) {
    throw new UserError(
      `template '${nameOrDir}': ${file} not found. Fix: use a folder with report.md and style.css, or a built-in name (templates/: assignment).`,
    );
  }
  const css = join(dir, 'style.css');
  return {
    name: nameOrDir,
    dir,
    markdown: readFileSync(file, 'utf8'),
    css: existsSync(css) ? readFileSync(css, 'utf8') : '',
  };
}

export interface RenderedBody {
  /** The HTML body (no <html> wrapper). */
  body: string;
  figures: number;
  tables: number;
  gaps: Gap[];
  /** Seconds spent waiting for the SVG figures after the markdown pass (compiling overlaps it). */
  svgSeconds: number;
}

/** Section-independent conditions of `:::when{has=...}`. */
const CONDITIONS: Record<string, (context: ReportContext) => boolean> = {
  series: (c) => c.seriesRuns.length > 0,
  images: (c) => c.imageRuns.length > 0,
  classification: (c) => c.imageRuns.some((r) => r.metrics?.['test']?.classification !== undefined),
  regression: (c) => c.imageRuns.some((r) => r.metrics?.['test']?.valence !== undefined),
  examples: (c) => c.imageRuns.some((r) => r.examples !== undefined),
};

function slug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^\w]+/g, '-')
    .replace(/^-|-$/g, '');
}

function titlePage(meta: ReportMeta): string {
  const line = (cls: string, value: string | undefined): string =>
    value === undefined ? '' : `<p class="${cls}">${escapeHtml(value)}</p>`;
  const facts = (
    [
      ['Course', meta.course],
      ['Author', meta.author],
      ['ID', meta.id],
      ['Section', meta.section],
      ['Institution', meta.institution],
      ['Date', meta.date],
    ] as const
  )
    .filter(([, value]) => value !== undefined)
    .map(([label, value]) => `<tr><th>${label}</th><td>${escapeHtml(value!)}</td></tr>`)
    .join('');
  return `<section class="title-page"><h1 class="title">${escapeHtml(meta.title)}</h1>${line('subtitle', meta.subtitle)}<table class="facts">${facts}</table></section>\n`;
}

class BodyRenderer {
  private readonly headings: { level: number; text: string; id: string }[] = [];
  private svgSeconds = 0;

  constructor(
    private readonly context: ReportContext,
    private readonly template: Template,
  ) {}

  private fail(directive: Directive, message: string): never {
    throw new UserError(`${join(this.template.dir, 'report.md')}:${directive.line}: ::${directive.name}: ${message}`);
  }

  private figure(plot: PlotDefinition, runs: readonly Run[], caption: string): string {
    const number = ++this.context.figures;
    const placeholder = `<!--percept-svg-${number}-->`;
    const spec = plot.spec(runs);
    this.context.pending.set(placeholder, specToSvg(spec));
    return `<figure class="figure" id="figure-${number}"><div class="plot">${placeholder}</div><figcaption><span class="label">Figure ${number}.</span> ${escapeHtml(caption)}</figcaption></figure>\n`;
  }

  private figures(directive: Directive): string {
    const name = directive.attrs['plot'] ?? this.fail(directive, 'needs {plot=NAME}');
    if (!PLOTS.has(name)) this.fail(directive, `unknown plot '${name}'. Valid: ${PLOTS.names().join(', ')}`);
    const plot = PLOTS.get(name);
    const caption = (run?: Run): string =>
      (directive.label ?? plot.caption).replace(/\{run\}/g, run?.summary.name ?? 'all runs');
    const candidates = (plot.scope === 'dataset' ? distinctDatasets(this.context.runs) : this.context.runs).filter(
      (run) => plot.appliesTo(run),
    );
    const ready = candidates.filter((run) => plot.lacks(run) === undefined);
    const lacking = candidates.filter((run) => plot.lacks(run) !== undefined);
    // A figure over all runs names the run left out of it; a per-run figure's caption already names its run.
    const subject = (run: Run): string =>
      plot.scope === 'runs'
        ? `${run.summary.name} is not in the figure above: ${plot.lacks(run)!}`
        : `${caption(run).replace(/\.$/, '')}:`;
    const notes = lacking.map(
      (run) =>
        `<p class="nm-block">${escapeHtml(subject(run))} ${this.context.notMeasured(run, plot.lacks(run)!)}.</p>\n`,
    );
    if (plot.scope === 'runs') return (ready.length > 0 ? this.figure(plot, ready, caption()) : '') + notes.join('');
    return ready.map((run) => this.figure(plot, [run], caption(run))).join('') + notes.join('');
  }

  private directive(directive: Directive): string {
    switch (directive.name) {
      case 'title-page':
        return titlePage(this.context.meta);
      case 'toc':
        return '<!--percept-toc-->';
      case 'table': {
        const name = directive.attrs['name'] ?? this.fail(directive, 'needs {name=NAME}');
        if (!TABLES.has(name)) this.fail(directive, `unknown table '${name}'. Valid: ${TABLES.names().join(', ')}`);
        return renderTable(this.context, TABLES.get(name), directive.label);
      }
      case 'figure':
        return this.figures(directive);
      case 'examples':
        return exampleGrids(this.context);
      case 'discussion':
        return discussion(this.context);
      case 'summary':
        return summary(this.context);
      default:
        return this.fail(
          directive,
          'unknown directive. Valid: title-page, toc, table, figure, examples, discussion, summary (and the container :::when{has=...})',
        );
    }
  }

  async render(): Promise<RenderedBody> {
    const md = new MarkdownIt({ html: true, typographer: true });
    md.use(directives, {
      render: (d: Directive) => this.directive(d),
      keep: (d: Directive) => {
        if (d.name !== 'when') this.fail(d, 'the only container is :::when{has=CONDITION}');
        const condition = d.attrs['has'] ?? '';
        const test =
          CONDITIONS[condition] ??
          this.fail(d, `unknown condition '${condition}'. Valid: ${Object.keys(CONDITIONS).join(', ')}`);
        return test(this.context);
      },
    });
    const defaultHeading = md.renderer.rules['heading_open'];
    md.renderer.rules['heading_open'] = (tokens, index, options, env, self) => {
      const token = tokens[index]!;
      const text = tokens[index + 1]?.content ?? '';
      const level = Number(token.tag.slice(1));
      const id = `${slug(text)}-${this.headings.length}`;
      token.attrSet('id', id);
      if (level <= 2) this.headings.push({ level, text, id });
      if (level === 1) this.context.section = text;
      return defaultHeading !== undefined
        ? defaultHeading(tokens, index, options, env, self)
        : self.renderToken(tokens, index, options);
    };
    let body = md.render(this.template.markdown);
    const started = performance.now();
    const svgs = await Promise.all(
      [...this.context.pending.entries()].map(async ([placeholder, svg]) => [placeholder, await svg] as const),
    );
    this.svgSeconds = (performance.now() - started) / 1000;
    for (const [placeholder, svg] of svgs) body = body.replace(placeholder, () => svg);
    const toc = this.headings
      .map((h) => `<li class="toc-${h.level}"><a href="#${h.id}">${escapeHtml(h.text)}</a></li>`)
      .join('');
    body = body.replace(
      '<!--percept-toc-->',
      () => `<nav class="toc"><h2 class="toc-title">Contents</h2><ol>${toc}</ol></nav>`,
    );
    return {
      body,
      figures: this.context.figures,
      tables: this.context.tables,
      gaps: this.context.gaps,
      svgSeconds: this.svgSeconds,
    };
  }
}

/**
 * Renders the template's markdown over the runs into an HTML body.
 *
 * @example
 * const { body, gaps } = await renderBody(runs, loadTemplate(), resolveMeta(undefined));
 */
export async function renderBody(runs: readonly Run[], template: Template, meta: ReportMeta): Promise<RenderedBody> {
  if (runs.length === 0)
    throw new UserError('report: no runs given. Fix: percept report runs/<name> [more runs] -o report.pdf');
  return new BodyRenderer(new ReportContext(runs, meta, template.dir), template).render();
}

/**
 * Wraps a body into one self-contained HTML file (CSS inline, SVG inline, images as data URIs).
 *
 * @example
 * writeFileAtomic('report.html', htmlDocument(body, template, meta));
 */
export function htmlDocument(body: string, template: Template, meta: ReportMeta): string {
  return `<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<meta name="generator" content="percept report">\n<title>${escapeHtml(meta.title)}</title>\n<style>\n${template.css}</style>\n</head>\n<body>\n${body}</body>\n</html>\n`;
}
