/**
 * `percept train CONFIG [--out DIR] [--profile P] [--resume] [--force] [--json]`: trains and evaluates one experiment
 * into `<DIR>/<name>/` (DESIGN.md §3), a thin wrapper over `runExperiment` (src/runs/experiment.ts).
 */
import { parseCommandArgs, printJson } from './args.ts';
import { UserError } from '../errors.ts';
import { runExperiment, type RunExperimentResult } from '../runs/experiment.ts';
import { terminalProgress } from '../train/progress.ts';

const USAGE = 'percept train CONFIG [--out DIR] [--profile quick] [--resume] [--force] [--json]';

/** `test accuracy 0.812 [0.75, 0.86]`-style lines of the headline metrics. */
function headline(result: RunExperimentResult): string[] {
  const { summary } = result;
  const lines = [
    `${result.reused ? 'reused' : 'finished'} ${result.dir}`,
    `  ${summary.arch} ${summary.input.join('x')}, ${summary.params.total} params (${summary.params.trainable} trainable), ${summary.epochs.run}/${summary.epochs.planned} epochs${summary.stopReason === undefined ? '' : ` (${summary.stopReason})`}`,
  ];
  if (result.skipped.length > 0) lines.push(`  skipped ${result.skipped.length} item(s), e.g. ${result.skipped[0]!.file}: ${result.skipped[0]!.reason} (all in problems.json)`);
  return lines;
}

export async function run(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    'train',
    args,
    { out: { type: 'string' }, profile: { type: 'string' }, resume: { type: 'boolean' }, force: { type: 'boolean' }, json: { type: 'boolean' } },
    USAGE,
  );
  if (values.help) {
    process.stdout.write(`Usage: ${USAGE}\n`);
    return 0;
  }
  if (positionals.length !== 1) throw new UserError(`train: expected one config file, got ${positionals.length}\nUsage: ${USAGE}`);
  // With --json, stdout carries only the result: progress and status go to stderr.
  const stream = values.json === true ? process.stderr : process.stdout;
  const result = await runExperiment(positionals[0]!, {
    ...(values.out === undefined ? {} : { out: values.out }),
    ...(values.profile === undefined ? {} : { profile: values.profile }),
    resume: values.resume === true,
    force: values.force === true,
    callbacks: [terminalProgress(stream)],
    log: (line) => process.stderr.write(`${line}\n`),
  });
  if (values.json === true) printJson(result);
  else for (const line of headline(result)) process.stdout.write(`${line}\n`);
  return 0;
}
