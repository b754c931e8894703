/**
 * `percept lr-find CONFIG [--steps N] [--start LR] [--end LR] [--out PREFIX] [--profile P] [--json]`: the
 * learning-rate range test on the config's model and data, in memory (the config's run is not touched). Writes
 * PREFIX.json (every batch's rate and loss, the suggestions) and PREFIX.svg (the plot); prints the suggestions.
 */
import { basename, join } from 'node:path';
import { UserError } from '../errors.ts';
import { writeFileAtomic, writeJsonAtomic } from '../atomic.ts';
import { findLearningRate } from '../runs/lr_find.ts';
import { assertWritableFile } from '../runs/output_path.ts';
import { lrFindPlot } from '../plots/lr_find.ts';
import { specToSvg } from '../report/vega_svg.ts';
import { batchCounter, terminalCountProgress } from '../train/progress.ts';
import { parseCommandArgs, positiveIntFlag, printJson } from './args.ts';

const USAGE =
  'percept lr-find CONFIG [--steps N (default 100)] [--start LR (default 1e-7)] [--end LR (default 10)] [--out PREFIX] [--profile P] [--json]\n' +
  '  writes PREFIX.json and PREFIX.svg (default reports/lr-find/<config file name>)';

function rate(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!(parsed > 0 && Number.isFinite(parsed)))
    throw new UserError(`--${flag} '${value}' is not a positive learning rate, e.g. 1e-6.\nUsage: ${USAGE}`);
  return parsed;
}

export async function run(args: string[]): Promise<number> {
  const text = { type: 'string' } as const;
  const { values, positionals } = parseCommandArgs(
    'lr-find',
    args,
    { steps: text, start: text, end: text, out: text, profile: text, json: { type: 'boolean' } },
    USAGE,
  );
  if (values.help) {
    process.stdout.write(`Usage: ${USAGE}\n`);
    return 0;
  }
  if (positionals.length !== 1) throw new UserError(`lr-find: give one experiment config.\nUsage: ${USAGE}`);
  const config = positionals[0]!;
  const steps = positiveIntFlag('steps', values.steps, USAGE);
  if (steps !== undefined && steps < 10) throw new UserError(`--steps ${steps}: the test needs at least 10 batches`);
  const start = rate('start', values.start);
  const end = rate('end', values.end);
  if ((start ?? 1e-7) >= (end ?? 10))
    throw new UserError(`--start ${start ?? 1e-7} must be below --end ${end ?? 10}.\nUsage: ${USAGE}`);
  const prefix = values.out ?? join('reports', 'lr-find', basename(config).replace(/\.(json|ya?ml)$/i, ''));
  for (const file of [`${prefix}.json`, `${prefix}.svg`]) assertWritableFile(file, `--out ${prefix}`);
  const planned = steps ?? 100;
  const result = await findLearningRate(config, {
    ...(steps === undefined ? {} : { steps }),
    ...(start === undefined ? {} : { start }),
    ...(end === undefined ? {} : { end }),
    ...(values.profile === undefined ? {} : { profile: values.profile }),
    callbacks: [batchCounter(terminalCountProgress('lr-find batches', planned, process.stderr))],
  });
  writeJsonAtomic(`${prefix}.json`, result);
  writeFileAtomic(`${prefix}.svg`, await specToSvg(lrFindPlot(result)));
  if (values.json) {
    printJson({ ...result, points: result.points.length, json: `${prefix}.json`, svg: `${prefix}.svg` });
    return 0;
  }
  const s = result.suggestions;
  process.stdout.write(
    (s === undefined
      ? `no suggestion: the loss ${result.stoppedEarly ?? 'did not fall'} within the first batches; try a lower --end or more --steps\n`
      : `suggested learning rate: ${s.valley.toExponential(1)} (valley, fastai's default); steepest descent at ${s.steepest.toExponential(1)}\n`) +
      `${result.points.length} batches from ${result.start.toExponential(0)} in ${result.seconds.toFixed(1)} s${result.stoppedEarly === undefined ? '' : ` (stopped: ${result.stoppedEarly})`}; wrote ${prefix}.json and ${prefix}.svg\n`,
  );
  return 0;
}
