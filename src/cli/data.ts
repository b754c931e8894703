/**
 * `percept data inspect PATH [--format F] [--json]` and `percept data synth OUT [--n 4000] [--size 96] [--seed 1] [--json]`.
 */
import { parseCommandArgs, printJson } from './args.ts';
import { UserError } from '../errors.ts';
import { inspectDataset, type InspectReport, type Range } from '../data/inspect.ts';
import { parseFormat } from '../data/open.ts';
import { synthesizeFaces } from '../data/synth/index.ts';

const USAGE = [
  'percept data inspect PATH [--format affectnet|imagefolder|csv|idx|timeseries] [--json]',
  'percept data synth OUT [--n 4000] [--size 96] [--seed 1] [--json]',
].join('\n       ');

function integer(flag: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed)) throw new UserError(`data synth: --${flag} '${value}' is not an integer`);
  return parsed;
}

const round = (value: number): string => (Number.isInteger(value) ? String(value) : value.toFixed(3));
const range = (r: Range): string => `${round(r.min)}..${round(r.max)} (mean ${round(r.mean)})`;

function printInspect(path: string, report: InspectReport): void {
  const lines = [`${path}: ${report.format}, ${report.usable} usable of ${report.count}`];
  const total = Object.values(report.classes).reduce((sum, n) => sum + n, 0);
  const width = Math.max(0, ...Object.keys(report.classes).map((name) => name.length));
  for (const [name, n] of Object.entries(report.classes))
    lines.push(
      `  ${name.padEnd(width)}  ${String(n).padStart(6)}  ${((100 * n) / Math.max(1, total)).toFixed(1).padStart(5)}%`,
    );
  if (report.splits !== undefined)
    lines.push(
      `splits: ${Object.entries(report.splits)
        .map(([name, n]) => `${name} ${n}`)
        .join(', ')}`,
    );
  for (const key of ['valence', 'arousal'] as const) {
    const affect = report[key];
    if (affect !== undefined)
      lines.push(
        `${key}: ${range(affect)}${affect.uncertain > 0 ? `, ${affect.uncertain} uncertain (-2, excluded from regression)` : ''}`,
      );
  }
  if (report.imageSize !== undefined)
    lines.push(`image width: ${range(report.imageSize.width)}, height: ${range(report.imageSize.height)}`);
  if (report.series !== undefined) {
    const s = report.series;
    lines.push(`series: ${s.valueColumn} by ${s.dateColumn}, ${s.from} to ${s.to}, values ${range(s.values)}`);
  }
  lines.push(`problems: ${report.problems.length}`);
  for (const problem of report.problems) lines.push(`  ${problem.file}: ${problem.reason}`);
  process.stdout.write(lines.join('\n') + '\n');
}

export async function run(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    'data',
    args,
    {
      json: { type: 'boolean' },
      format: { type: 'string' },
      n: { type: 'string' },
      size: { type: 'string' },
      seed: { type: 'string' },
    },
    USAGE,
  );
  const [sub, path, ...extra] = positionals;
  if (values.help) {
    process.stdout.write(`Usage: ${USAGE}\n`);
    return 0;
  }
  if ((sub !== 'inspect' && sub !== 'synth') || path === undefined || extra.length > 0) {
    throw new UserError(
      `data: expected 'inspect PATH' or 'synth OUT'${sub === undefined ? '' : `, got '${positionals.join(' ')}'`}\nUsage: ${USAGE}`,
    );
  }
  if (sub === 'inspect') {
    const report = await inspectDataset(
      path,
      values.format === undefined ? {} : { format: parseFormat(values.format) },
    );
    if (values.json) printJson(report);
    else printInspect(path, report);
    return 0;
  }
  const summary = await synthesizeFaces({
    out: path,
    n: integer('n', values.n, 4000),
    size: integer('size', values.size, 96),
    seed: integer('seed', values.seed, 1),
    onProgress: values.json ? undefined : (done, total) => process.stderr.write(`${done}/${total} images\n`),
  });
  if (values.json) printJson(summary);
  else
    process.stdout.write(
      `wrote ${summary.count} images (${summary.size}px, seed ${summary.seed}, ${summary.flipped} labels flipped to a neighbour) to ${summary.out} in ${summary.seconds.toFixed(1)} s\n`,
    );
  return 0;
}
