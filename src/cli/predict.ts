/**
 * `percept predict RUN INPUT... [--out FILE.jsonl|FILE.csv] [--top K] [--grid FILE.png|FILE.pdf]`: a trained run on
 * new images (files, folders searched recursively, CSV manifests). Results stream to `--out` (written under a temp
 * name and renamed when complete) or as JSON lines to stdout, batch by batch; progress with an ETA and each skipped
 * image go to stderr.
 */
import { extname } from 'node:path';
import { UserError } from '../errors.ts';
import { AtomicFileWriter } from '../atomic.ts';
import { describeProblems } from '../data/verify.ts';
import type { Problem } from '../data/types.ts';
import { listPredictInputs } from '../runs/predict_inputs.ts';
import {
  openRunPredictor,
  predictImages,
  predictionCaption,
  topCount,
  type ImagePrediction,
} from '../runs/predict_images.ts';
import { assertWritableFile } from '../runs/output_path.ts';
import { terminalCountProgress } from '../train/progress.ts';
import { htmlToPdf, htmlToPng } from '../report/pdf.ts';
import { imageGridBundle, type GridImage } from '../notebook/display.ts';
import { parseCommandArgs, positiveIntFlag } from './args.ts';

const USAGE =
  'percept predict RUN INPUT... [--out FILE.jsonl|FILE.csv] [--top K] [--all-probs] [--grid FILE.png|FILE.pdf] [--grid-count N] [--batch-size N]\n' +
  '  RUN         a run folder written by percept train (runs/<name>)\n' +
  '  INPUT       image files, folders (searched recursively) or CSV manifests with a path column\n' +
  '  --out       where the results go (default: JSON lines on stdout)\n' +
  '  --top       classes listed per image, most probable first (default 5, at most the class count)\n' +
  '  --all-probs also every class probability, in class order (JSON lines only)\n' +
  '  --grid      a labelled grid of the first images (PNG or PDF, drawn by Chromium)\n' +
  '  --grid-count images in the grid (default 32)\n' +
  '  --batch-size images per batch (default 32)';

/** How the results are written: a line per image, and the header a CSV needs first. */
interface ResultFormat {
  header?: string;
  line(prediction: ImagePrediction): string;
}

function csvField(value: string | number | undefined): string {
  if (value === undefined) return '';
  const text = String(value);
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

function csvFormat(top: number, classification: boolean, affect: boolean): ResultFormat {
  const columns = [
    'file',
    ...(classification ? Array.from({ length: top }, (_, i) => [`class${i + 1}`, `prob${i + 1}`]).flat() : []),
    ...(affect ? ['valence', 'arousal'] : []),
  ];
  return {
    header: `${columns.join(',')}\n`,
    line: (p) =>
      [
        p.file,
        ...(classification ? Array.from({ length: top }, (_, i) => [p.top?.[i]?.class, p.top?.[i]?.prob]).flat() : []),
        ...(affect ? [p.valence, p.arousal] : []),
      ]
        .map(csvField)
        .join(',') + '\n',
  };
}

const JSONL_FORMAT: ResultFormat = { line: (p) => `${JSON.stringify(p)}\n` };

async function writeGrid(file: string, images: readonly GridImage[], runName: string): Promise<void> {
  const grid = imageGridBundle(images, { columns: 8, size: 96, title: `Predictions of ${runName}` })['text/html'];
  const html =
    `<!doctype html><html><head><meta charset="utf-8"><style>@page{size:A4 landscape;margin:12mm}` +
    `body{font-family:'DejaVu Sans',sans-serif;margin:8px;width:max-content}</style></head><body>${String(grid)}</body></html>`;
  if (/\.pdf$/i.test(file)) await htmlToPdf(html, file, { footerText: `percept predict: ${runName}` });
  else await htmlToPng(html, file);
}

function checkOutput(flag: string, file: string | undefined, extensions: readonly string[]): void {
  if (file === undefined) return;
  if (!extensions.includes(extname(file).toLowerCase()))
    throw new UserError(`--${flag} ${file}: must end in ${extensions.join(' or ')}.\nUsage: ${USAGE}`);
  assertWritableFile(file, `--${flag} ${file}`);
}

export async function run(args: string[]): Promise<number> {
  const text = { type: 'string' } as const;
  const { values, positionals } = parseCommandArgs(
    'predict',
    args,
    {
      out: { type: 'string', short: 'o' },
      top: text,
      'all-probs': { type: 'boolean' },
      grid: text,
      'grid-count': text,
      'batch-size': text,
    },
    USAGE,
  );
  if (values.help) {
    process.stdout.write(`Usage: ${USAGE}\n`);
    return 0;
  }
  const [runDir, ...inputs] = positionals;
  if (runDir === undefined || inputs.length === 0)
    throw new UserError(`predict: give a run folder and at least one image, folder or CSV.\nUsage: ${USAGE}`);
  checkOutput('out', values.out, ['.jsonl', '.csv']);
  checkOutput('grid', values.grid, ['.png', '.pdf']);
  const csv = values.out !== undefined && extname(values.out).toLowerCase() === '.csv';
  if (csv && values['all-probs'] === true)
    throw new UserError(`predict: --all-probs writes JSON lines; use --out FILE.jsonl or drop --all-probs`);
  const top = positiveIntFlag('top', values.top, USAGE);
  const gridCount = values.grid === undefined ? 0 : (positiveIntFlag('grid-count', values['grid-count'], USAGE) ?? 32);
  const batchSize = positiveIntFlag('batch-size', values['batch-size'], USAGE);

  const listed = listPredictInputs(inputs);
  const predictor = await openRunPredictor(runDir);
  const classification = predictor.tasks.includes('classification');
  const format = csv
    ? csvFormat(topCount(predictor, top), classification, predictor.tasks.includes('valence_arousal'))
    : JSONL_FORMAT;
  const out = values.out === undefined ? undefined : new AtomicFileWriter(values.out);
  const write = (line: string): void => {
    if (out === undefined) process.stdout.write(line);
    else out.write(line);
  };
  const skipped: Problem[] = [];
  const report = (problems: readonly Problem[]): void => {
    for (const problem of problems) process.stderr.write(`skipped ${problem.file}: ${problem.reason}\n`);
    skipped.push(...problems);
  };
  const grid: GridImage[] = [];
  let predicted = 0;
  try {
    report(listed.problems);
    if (format.header !== undefined) write(format.header);
    const advance = terminalCountProgress('predicting', listed.items.length, process.stderr);
    for await (const batch of predictImages(predictor, listed.items, {
      ...(top === undefined ? {} : { top }),
      ...(values['all-probs'] === true ? { allProbabilities: true } : {}),
      ...(batchSize === undefined ? {} : { batchSize }),
      thumbnails: gridCount,
    })) {
      report(batch.problems);
      for (const prediction of batch.predictions) write(format.line(prediction));
      batch.thumbnails.forEach((bytes, i) => grid.push({ bytes, caption: predictionCaption(batch.predictions[i]!) }));
      predicted += batch.predictions.length;
      advance(batch.predictions.length + batch.problems.length);
    }
    if (predicted === 0)
      throw new UserError(
        `predict: no image could be read (${skipped.length} skipped: ${describeProblems(skipped)}). Fix: give JPEG, PNG or WebP images`,
      );
    out?.commit();
  } finally {
    out?.abort();
    predictor.dispose();
  }
  if (values.grid !== undefined) await writeGrid(values.grid, grid, predictor.name);
  const written = [values.out, values.grid].filter((file) => file !== undefined);
  process.stderr.write(
    `predicted ${predicted} images${skipped.length > 0 ? `, skipped ${skipped.length}` : ''}` +
      `${written.length > 0 ? `; wrote ${written.join(' and ')}` : ''}\n`,
  );
  return 0;
}
