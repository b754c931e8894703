import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import MarkdownIt from 'markdown-it';
import { UserError } from '../errors.ts';
import { readRun } from '../runs/run_files.ts';
import { projectRoot } from '../paths.ts';
import { needsChromium } from '../testing.ts';
import { directives, parseAttrs, type Directive } from './directives.ts';
import { FIXTURE_SPECS, writeFixtureRuns } from './fixture_runs.ts';
import { num } from './format.ts';
import { compareGolden } from './golden.ts';
import { resolveMeta } from './meta.ts';
import { htmlToPdf } from './pdf.ts';
import { renderReport } from './report.ts';

const HEADINGS = [
  '1 Network Details',
  '2 Dataset Splits',
  '3 Training Graphs',
  '4 Performance Measures',
  '5 Comparison of Architectures',
  '6 Correctly and Incorrectly Classified Images',
  '7 Time Series',
  '8 Discussion',
  'Summary',
];
const META = resolveMeta(undefined, {
  course: 'Fixture Course',
  author: 'Fixture Author',
  id: 'F-1',
  section: 'A',
  date: '2025-01-31',
});

let root = '';
let runs: string[] = [];

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'percept-report-'));
  const specs = FIXTURE_SPECS.filter((s) =>
    ['fixture-mobilenet_v2', 'fixture-mobilenet_v2-scratch', 'fixture-lstm'].includes(s.name),
  );
  runs = await writeFixtureRuns(join(root, 'runs'), { specs, items: 40, resamples: 50, seed: 1 });
});

after(() => rmSync(root, { recursive: true, force: true }));

/** The HTML without what the golden file should not pin: temp paths, SVG bodies (plots have their own goldens), image bytes. */
function normalize(html: string): string {
  return html
    .replaceAll(root, '$ROOT')
    .replace(/<svg[\s\S]*?<\/svg>/g, '<svg/>')
    .replace(/data:image\/png;base64,[^"]+/g, 'data:image/png;base64,…');
}

test('directives: attributes, a dropped :::when container, and an unknown name with its line', () => {
  assert.deepEqual(parseAttrs('plot=roc_pr runs="a b" each'), { plot: 'roc_pr', runs: 'a b', each: '' });
  const seen: Directive[] = [];
  const md = new MarkdownIt().use(directives, {
    render: (d: Directive) => (seen.push(d), `<x-${d.name}>`),
    keep: (d: Directive) => d.attrs['has'] === 'yes',
  });
  const html = md.render(
    '# A\n\n::figure[My caption]{plot=loss}\n\n:::when{has=no}\n# Hidden\n::table{name=t}\n:::\n\n:::when{has=yes}\n# Shown\n:::\n',
  );
  assert.match(html, /<x-figure>/);
  assert.doesNotMatch(html, /Hidden|x-table/);
  assert.match(html, /<h1>Shown<\/h1>/);
  assert.deepEqual(seen, [{ name: 'figure', label: 'My caption', attrs: { plot: 'loss' }, line: 3 }]);
});

test('a template with an unknown directive or plot fails naming the file and line', async () => {
  const dir = join(root, 'bad-template');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'report.md'), '# X\n\n::figure{plot=nope}\n');
  await assert.rejects(
    renderReport(runs, { out: join(root, 'bad.html'), template: dir, meta: META }),
    (error: Error) =>
      error instanceof UserError &&
      /report\.md:3: ::figure: unknown plot 'nope'. Valid: class_counts/.test(error.message),
  );
});

test('front matter from YAML: dates and numeric ids become text, flags win, today is the default date', () => {
  const file = join(root, 'meta.yaml');
  writeFileSync(file, 'title: Assignment 2\ncourse: CS 101\nid: 12345\ndate: 2025-02-01\n');
  const meta = resolveMeta(file, { course: 'CS 102', author: undefined });
  assert.deepEqual(meta, { title: 'Assignment 2', course: 'CS 102', id: '12345', date: '2025-02-01' });
  assert.equal(resolveMeta(undefined, {}, new Date('2024-03-04T10:00:00Z')).date, '2024-03-04');
  writeFileSync(file, 'titel: typo\n');
  assert.throws(() => resolveMeta(file), /meta\.yaml: .*titel/);
});

test('the rendered HTML is one self-contained file that matches its golden copy', async () => {
  const out = join(root, 'report.html');
  const result = await renderReport(runs, { out, meta: META });
  const html = readFileSync(out, 'utf8');
  assert.doesNotMatch(html, /<(link|script)\b|src="(?!data:)/, 'no external resources');
  assert.doesNotMatch(html, /<td[^>]*>\s*<\/td>/, 'no blank cell');
  let position = -1;
  for (const heading of HEADINGS) {
    const at = html.indexOf(`>${heading}</h1>`);
    assert.ok(at > position, `heading '${heading}' present and in order`);
    position = at;
  }
  assert.deepEqual(result.gaps, []);
  assert.equal(result.figures, (html.match(/<figure /g) ?? []).length);
  assert.equal(compareGolden(join(import.meta.dirname, 'golden', 'assignment.html'), normalize(html)), undefined);
});

test('a run without metrics or history shows "not measured" and lists the gaps; without series runs there is no section 7', async () => {
  const partial = join(root, 'partial', 'fixture-mobilenet_v2');
  cpSync(runs[0]!, partial, { recursive: true });
  rmSync(join(partial, 'metrics.json'));
  rmSync(join(partial, 'history.json'));
  const out = join(root, 'partial.html');
  const result = await renderReport([partial, runs[1]!], { out, meta: META });
  const html = readFileSync(out, 'utf8');
  assert.doesNotMatch(html, /<td[^>]*>\s*<\/td>/);
  assert.doesNotMatch(html, /7 Time Series/);
  const gaps = result.gaps.filter((g) => g.run === 'fixture-mobilenet_v2').map((g) => g.what);
  for (const what of ['test accuracy', 'val accuracy', 'history.json', 'test valence RMSE'])
    assert.ok(gaps.includes(what), `gap '${what}' listed in ${gaps.join(', ')}`);
  assert.match(html, /class="nm"[^>]*>not measured/);
  // The comparison chart spans all runs, so its note names the run it leaves out.
  assert.match(html, /fixture-mobilenet_v2 is not in the figure above: test classification metrics <span class="nm"/);
});

test('the Discussion ranks and compares transfer only among runs on the same data', async () => {
  // The from-scratch fixture moved to another dataset: no ranking or transfer claim may pair it with the first.
  const other = join(root, 'other', 'fixture-other-scratch');
  cpSync(runs[1]!, other, { recursive: true });
  const edit = (file: string, change: (json: Record<string, unknown>) => void): void => {
    const json = JSON.parse(readFileSync(join(other, file), 'utf8')) as Record<string, unknown>;
    change(json);
    writeFileSync(join(other, file), JSON.stringify(json));
  };
  edit('summary.json', (summary) =>
    Object.assign(summary, { name: 'fixture-other-scratch', dataHash: 'fixture-other-set' }),
  );
  edit('config.json', (config) =>
    Object.assign(config, {
      name: 'fixture-other-scratch',
      data: { ...(config['data'] as object), path: '/data/other-set' },
    }),
  );
  const out = join(root, 'datasets.html');
  await renderReport([runs[0]!, other], { out, meta: META });
  const html = readFileSync(out, 'utf8');
  assert.match(html, /Best model per metric \(test split\), on other-set/);
  assert.doesNotMatch(html, /runner-up/, 'one run per dataset: nothing to rank it against');
  assert.match(html, /No dataset has both a transferred and a from-scratch run/);
});

/** A copy of the run in `from` under another name, in `parent/name`. */
function copyRun(from: string, parent: string, name: string): string {
  const to = join(parent, name);
  cpSync(from, to, { recursive: true });
  for (const file of ['summary.json', 'config.json']) {
    const json = JSON.parse(readFileSync(join(to, file), 'utf8')) as Record<string, unknown>;
    writeFileSync(join(to, file), JSON.stringify({ ...json, name }));
  }
  return to;
}

test('a tie in the Discussion is called level, not ranked by a margin of zero', async () => {
  const twin = copyRun(runs[0]!, join(root, 'twin'), 'fixture-twin');
  const out = join(root, 'tie.html');
  await renderReport([runs[0]!, twin], { out, meta: META });
  const html = readFileSync(out, 'utf8');
  assert.match(
    html,
    /has the highest test accuracy, [^;]*, level with <b>fixture-(twin|mobilenet_v2)<\/b> \([^)]*\)\): no ranking between them\./,
  );
  assert.doesNotMatch(html, /0\.000 above/);
});

test('runs scored on different test items are not paired: the Discussion says so and falls back to their intervals', async () => {
  const other = copyRun(runs[1]!, join(root, 'other'), 'fixture-other-items');
  // One test item fewer: the two runs no longer share their test set.
  const lines = readFileSync(join(other, 'predictions.jsonl'), 'utf8').trim().split('\n');
  const dropped = lines.findIndex((line) => (JSON.parse(line) as { split?: string }).split === 'test');
  writeFileSync(join(other, 'predictions.jsonl'), lines.filter((_, i) => i !== dropped).join('\n') + '\n');
  const out = join(root, 'other.html');
  await renderReport([runs[0]!, other], { out, meta: META });
  const html = readFileSync(out, 'utf8');
  assert.match(
    html,
    /scored on different test items, so no paired test applies and only the unpaired intervals compare them/,
  );
  assert.match(html, /other test set/);
  assert.doesNotMatch(html, /McNemar exact/, 'no paired table row for unpaired runs');
});

test(
  'percept report as a process writes a PDF whose text has every heading, the key numbers and page numbers',
  needsChromium(),
  () => {
    const pdf = join(root, 'out', 'assignment.pdf');
    const cli = spawnSync(
      process.execPath,
      [
        join(projectRoot(), 'src/cli/bin.mjs'),
        'report',
        ...runs,
        '-o',
        pdf,
        '--json',
        '--title',
        'Fixture report',
        '--author',
        'Fixture Author',
      ],
      { encoding: 'utf8' },
    );
    assert.equal(cli.status, 0, cli.stderr);
    const result = JSON.parse(cli.stdout) as {
      pdf: string;
      pages: number;
      figures: number;
      gaps: unknown[];
      timings: { chromiumSeconds: number };
    };
    assert.equal(result.pdf, pdf);
    assert.ok(result.pages >= 8 && result.timings.chromiumSeconds > 0);
    const text = execFileSync('pdftotext', ['-layout', pdf, '-'], { encoding: 'utf8' });
    for (const heading of ['Fixture report', 'Contents', ...HEADINGS])
      assert.ok(text.includes(heading), `PDF text has '${heading}'`);
    for (const dir of runs) {
      const run = readRun(dir);
      const test = run.metrics!['test']!;
      const key = test.classification !== undefined ? test.classification.accuracy : test.series!.mse;
      assert.ok(
        text.includes(num(key.value)) && text.includes(num(key.ci[0])),
        `${run.name}: test ${num(key.value)} [${num(key.ci[0])}, ...] in the PDF`,
      );
    }
    assert.match(text, new RegExp(`\\b3 / ${result.pages}\\b`), 'page numbers in the footer');
    execFileSync('pdftoppm', ['-png', '-r', '50', '-f', '2', '-l', '2', pdf, join(root, 'out', 'page')]);
    assert.ok(existsSync(join(root, 'out', `page-${String(2).padStart(String(result.pages).length, '0')}.png`)));
  },
);

test('Chromium is closed when printing fails', needsChromium(), async () => {
  const file = join(root, 'a-file');
  writeFileSync(file, '');
  // The PDF is printed, then writing it fails (its folder would be inside a file): the browser must still close.
  await assert.rejects(htmlToPdf('<p>x</p>', join(file, 'x.pdf')), /ENOTDIR|EEXIST/);
  const children = execFileSync('ps', ['--ppid', String(process.pid), '-o', 'comm='], { encoding: 'utf8' });
  assert.doesNotMatch(children, /chrom/i);
});
