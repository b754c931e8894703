/**
 * Correctly and incorrectly classified images: thumbnails from a run's examples/ folder in green- and red-bordered
 * grids, each with its true and predicted label, embedded as data URIs so the HTML stays one file.
 */
import { existsSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import type { ExamplesIndex, Run } from '../runs/run_files.ts';
import type { ReportContext } from './context.ts';
import { escapeHtml } from './format.ts';

/** Thumbnails per grid: two rows of an A4 column. */
const PER_GRID = 8;

function dataUri(file: string): string {
  const type = extname(file).toLowerCase() === '.png' ? 'image/png' : 'image/jpeg';
  return `data:${type};base64,${readFileSync(file).toString('base64')}`;
}

function grid(run: Run, items: ExamplesIndex['items'], correct: boolean): string {
  const cells = items.slice(0, PER_GRID).map((item) => {
    const file = join(run.dir, 'examples', item.file);
    const image = existsSync(file)
      ? `<img src="${dataUri(file)}" alt="${escapeHtml(item.id ?? item.file)}">`
      : `<span class="nm">image not found: ${escapeHtml(item.file)}</span>`;
    const confidence = item.confidence !== undefined ? ` (${item.confidence.toFixed(2)})` : '';
    return `<div class="example ${correct ? 'correct' : 'wrong'}">${image}<div class="labels">true: ${escapeHtml(item.true)}<br>pred: ${escapeHtml(item.pred)}${confidence}</div></div>`;
  });
  return `<div class="example-grid">${cells.join('')}</div>`;
}

/**
 * One numbered figure per image run with examples: the correct grid, then the incorrect one.
 *
 * @example
 * html += exampleGrids(context);
 */
export function exampleGrids(context: ReportContext): string {
  return context.imageRuns
    .map((run) => {
      const items = run.examples?.items;
      if (items === undefined || items.length === 0)
        return `<p class="nm-block">${escapeHtml(run.summary.name)}: example images ${context.notMeasured(run, 'examples/index.json')}.</p>`;
      const right = items.filter((i) => i.correct);
      const wrong = items.filter((i) => !i.correct);
      const number = ++context.figures;
      const part = (list: typeof items, ok: boolean, title: string): string =>
        list.length > 0
          ? `<h4 class="grid-title">${title}</h4>${grid(run, list, ok)}`
          : `<h4 class="grid-title">${title}</h4><p>${context.notMeasured(run, `${ok ? 'correct' : 'incorrect'} examples`)}</p>`;
      return (
        `<figure class="figure" id="figure-${number}">${part(right, true, 'Correctly classified')}${part(wrong, false, 'Incorrectly classified')}` +
        `<figcaption><span class="label">Figure ${number}.</span> Test images of ${escapeHtml(run.summary.name)}: green borders are correct, red ones wrong; labels give the true and predicted class (and its probability).</figcaption></figure>\n`
      );
    })
    .join('');
}
