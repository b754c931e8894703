/**
 * `percept report RUN... [-o FILE.pdf] [--template T] [--html] [--json] [--meta FILE] [--title ... --author ...]`:
 * renders a report over run directories (docs/ARCHITECTURE.md §3) into `-o` (default reports/report.pdf). `--json` prints {pdf,
 * html, pages, figures, tables, seconds, gaps}; the gaps are the values shown as 'not measured'.
 */
import { UserError } from '../errors.ts';
import { resolveMeta } from '../report/meta.ts';
import { renderReport } from '../report/report.ts';
import { assertWritableFile } from '../runs/output_path.ts';
import { parseCommandArgs, printJson } from './args.ts';

/** Where the report goes without -o: a report is wanted more often than a choice of its name. */
const DEFAULT_OUT = 'reports/report.pdf';

const USAGE =
  `percept report RUN... [-o FILE.pdf|FILE.html (default ${DEFAULT_OUT})] [--template assignment] [--html] [--json] [--meta FILE.yaml|json] ` +
  '[--title T] [--subtitle S] [--course C] [--author A] [--id ID] [--section S] [--institution I] [--date D] [--chromium PATH]';

export async function run(args: string[]): Promise<number> {
  const text = { type: 'string' } as const;
  const { values, positionals } = parseCommandArgs(
    'report',
    args,
    {
      out: { type: 'string', short: 'o' },
      template: text,
      html: { type: 'boolean' },
      json: { type: 'boolean' },
      meta: text,
      title: text,
      subtitle: text,
      course: text,
      author: text,
      id: text,
      section: text,
      institution: text,
      date: text,
      chromium: text,
    },
    USAGE,
  );
  if (values.help) {
    process.stdout.write(`Usage: ${USAGE}\n`);
    return 0;
  }
  if (positionals.length === 0) throw new UserError(`report: no run directories given.\nUsage: ${USAGE}`);
  const out = values.out ?? DEFAULT_OUT;
  if (!/\.(pdf|html)$/i.test(out)) throw new UserError(`report: -o ${out}: the output must end in .pdf or .html.`);
  // Before anything is rendered: a PDF path under a file or onto a folder failed after the HTML was written.
  const html = values.html === true && /\.pdf$/i.test(out) ? out.replace(/\.pdf$/i, '.html') : undefined;
  for (const file of [out, ...(html === undefined ? [] : [html])])
    assertWritableFile(file, `-o ${out}${file === out ? '' : ` (with --html, ${file})`}`);
  const { title, subtitle, course, author, id, section, institution, date } = values;
  const meta = resolveMeta(values.meta, { title, subtitle, course, author, id, section, institution, date });
  const result = await renderReport(positionals, {
    out,
    meta,
    ...(values.html === true ? { html: true } : {}),
    ...(values.template !== undefined ? { template: values.template } : {}),
    ...(values.chromium !== undefined ? { chromium: values.chromium } : {}),
  });
  if (values.json) {
    printJson(result);
  } else {
    const written = [result.pdf, result.html].filter((f) => f !== undefined).join(' and ');
    process.stdout.write(
      `wrote ${written}: ${result.runs.length} runs, ${result.pages !== undefined ? `${result.pages} pages, ` : ''}${result.figures} figures, ${result.tables} tables in ${result.seconds.toFixed(1)} s` +
        ` (Chromium ${result.timings.chromiumSeconds.toFixed(1)} s)\n`,
    );
    if (result.gaps.length > 0)
      process.stdout.write(
        `${result.gaps.length} values not measured (see --json): ${[...new Set(result.gaps.map((g) => `${g.run}: ${g.what}`))].slice(0, 5).join('; ')}${result.gaps.length > 5 ? '; ...' : ''}\n`,
      );
  }
  return 0;
}
